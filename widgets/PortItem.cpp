#include "PortItem.h"

#include "NodeItem.h"

#include <QBrush>
#include <QCursor>
#include <QPen>

namespace loom {

namespace {

constexpr qreal kRadius = 6.0;

}  // namespace

PortItem::PortItem(NodeItem* node, Direction direction)
    : QGraphicsEllipseItem(-kRadius, -kRadius, 2 * kRadius, 2 * kRadius, node),
      m_node(node),
      m_direction(direction) {
    setAcceptHoverEvents(true);
    setCursor(Qt::CrossCursor);
    setZValue(1);
    setHighlighted(false);
    setToolTip(direction == Direction::Input
                   ? QObject::tr("Input: drag a wire here from another layer's output")
                   : QObject::tr("Output: drag from here to another layer's input"));
}

void PortItem::setHighlighted(bool highlighted) {
    setPen(QPen(QColor(0x40, 0x40, 0x40), 1.5));
    setBrush(highlighted ? QColor(0xff, 0xb3, 0x00) : QColor(0xf4, 0xf4, 0xf4));
}

void PortItem::hoverEnterEvent(QGraphicsSceneHoverEvent* event) {
    setHighlighted(true);
    QGraphicsEllipseItem::hoverEnterEvent(event);
}

void PortItem::hoverLeaveEvent(QGraphicsSceneHoverEvent* event) {
    setHighlighted(false);
    QGraphicsEllipseItem::hoverLeaveEvent(event);
}

}  // namespace loom
