#pragma once

#include <QGraphicsEllipseItem>
#include <QString>

namespace loom {

class NodeItem;

/// PortItem: where wires attach to a node on the canvas. Every node has one input port (a
/// merge layer takes several wires into it, in the order they were made) and one output port
/// (any number of wires leave it). A wire is drawn by dragging from one port to a port of the
/// other direction on another node.
class PortItem : public QGraphicsEllipseItem {
public:
    enum class Direction { Input, Output };
    /// QGraphicsItem::type(), so the canvas can tell ports from other items.
    enum { Type = UserType + 2 };

    PortItem(NodeItem* node, Direction direction);

    NodeItem* node() const { return m_node; }
    Direction direction() const { return m_direction; }
    /// Lit while a wire being drawn can end here.
    void setHighlighted(bool highlighted);
    int type() const override { return Type; }

protected:
    void hoverEnterEvent(QGraphicsSceneHoverEvent* event) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* event) override;

private:
    NodeItem* m_node;
    Direction m_direction;
};

}  // namespace loom
