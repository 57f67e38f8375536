#pragma once

#include <QGraphicsPathItem>
#include <QString>

namespace loom {

class NodeItem;

/// WireItem: one input of a layer, drawn as a curve from the source's output port to the
/// target's input port with the tensor shape that flows along it written at its middle. A wire
/// into a layer the engine refuses is red, with the reason as its tooltip. Selecting a wire
/// and pressing Delete disconnects it.
class WireItem : public QGraphicsPathItem {
public:
    enum { Type = UserType + 3 };

    /// Attaches itself to both nodes, so it follows them when they move. The layers are those
    /// the wire joins, which differ from the nodes' names where a node stands for a collapsed
    /// group (NetworkCanvas).
    WireItem(NodeItem* from, NodeItem* to, QString fromLayer, QString toLayer);
    ~WireItem() override;

    NodeItem* from() const { return m_from; }
    NodeItem* to() const { return m_to; }
    const QString& fromLayer() const { return m_fromLayer; }
    const QString& toLayer() const { return m_toLayer; }
    /// The shape text ("(None, 128)", or "?" when the source is not valid) and, when the
    /// target refuses its inputs, the reason.
    void setState(const QString& shapeText, const QString& problem);
    const QString& shapeText() const { return m_shapeText; }
    bool isValid() const { return m_problem.isEmpty(); }
    void updatePath();

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    int type() const override { return Type; }

private:
    QRectF labelRect() const;

    NodeItem* m_from;
    NodeItem* m_to;
    QString m_fromLayer, m_toLayer;
    QString m_shapeText;
    QString m_problem;
};

/// The curve a wire takes between two port positions: it leaves and enters along the flow.
QPainterPath wirePath(QPointF from, QPointF to, Qt::Orientation flow);

}  // namespace loom
