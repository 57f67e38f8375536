#include "WireItem.h"

#include "NodeItem.h"
#include "PortItem.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

const QColor kWireColour(0x4a, 0x4a, 0x4a);
const QColor kInvalidColour(0xd3, 0x2f, 0x2f);

QFont labelFont() {
    QFont font;
    font.setPointSizeF(8.5);
    return font;
}

/// The flow the ports were laid out for: output below the input means top to bottom.
Qt::Orientation flowOf(const NodeItem* node) {
    return node->outputPort()->pos().y() > node->inputPort()->pos().y() ? Qt::Vertical
                                                                        : Qt::Horizontal;
}

}  // namespace

QPainterPath wirePath(QPointF from, QPointF to, Qt::Orientation flow) {
    QPainterPath path(from);
    const qreal distance =
        flow == Qt::Vertical ? std::abs(to.y() - from.y()) : std::abs(to.x() - from.x());
    const qreal pull = std::max<qreal>(40.0, distance / 2);
    const QPointF along = flow == Qt::Vertical ? QPointF(0, pull) : QPointF(pull, 0);
    path.cubicTo(from + along, to - along, to);
    return path;
}

WireItem::WireItem(NodeItem* from, NodeItem* to, QString fromLayer, QString toLayer)
    : m_from(from), m_to(to), m_fromLayer(std::move(fromLayer)), m_toLayer(std::move(toLayer)) {
    setFlags(ItemIsSelectable);
    setZValue(-1);  // under the nodes, so a node is what a click on the overlap picks
    m_from->attach(this);
    m_to->attach(this);
    updatePath();
}

WireItem::~WireItem() {
    m_from->detach(this);
    m_to->detach(this);
}

void WireItem::setState(const QString& shapeText, const QString& problem) {
    m_shapeText = shapeText;
    m_problem = problem;
    QString tip = QObject::tr("%1 → %2: %3").arg(m_from->name(), m_to->name(), shapeText);
    if (!problem.isEmpty()) {
        tip += QStringLiteral("\n") + problem;
    }
    setToolTip(tip);
    prepareGeometryChange();
    update();
}

void WireItem::updatePath() {
    prepareGeometryChange();
    setPath(
        wirePath(m_from->outputPort()->scenePos(), m_to->inputPort()->scenePos(), flowOf(m_to)));
}

QRectF WireItem::labelRect() const {
    const QFontMetricsF metrics(labelFont());
    const QSizeF size(metrics.horizontalAdvance(m_shapeText) + 10, metrics.height() + 4);
    const QPointF middle = path().pointAtPercent(0.5);
    return QRectF(middle - QPointF(size.width() / 2, size.height() / 2), size);
}

QRectF WireItem::boundingRect() const {
    return QGraphicsPathItem::boundingRect().adjusted(-3, -3, 3, 3).united(labelRect());
}

QPainterPath WireItem::shape() const {
    // A wide invisible band around the curve: a thin line is too hard to click.
    QPainterPathStroker stroker;
    stroker.setWidth(10);
    QPainterPath band = stroker.createStroke(path());
    band.addRect(labelRect());
    return band;
}

void WireItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    const bool selected = option->state.testFlag(QStyle::State_Selected);
    const QColor colour = isValid() ? kWireColour : kInvalidColour;
    QPen pen(selected ? QColor(0xff, 0xa0, 0x00) : colour, isValid() ? 1.6 : 2.4);
    if (!isValid()) {
        pen.setStyle(Qt::DashLine);
    }
    painter->setPen(pen);
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(path());

    const QRectF label = labelRect();
    painter->setPen(QPen(colour, 1));
    painter->setBrush(isValid() ? QColor(0xff, 0xff, 0xff) : QColor(0xfd, 0xec, 0xea));
    painter->drawRoundedRect(label, 4, 4);
    painter->setFont(labelFont());
    painter->setPen(isValid() ? QColor(0x20, 0x20, 0x20) : kInvalidColour);
    painter->drawText(label, Qt::AlignCenter, m_shapeText);
}

}  // namespace loom
