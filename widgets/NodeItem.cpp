#include "NodeItem.h"

#include "LayerCategoryStyle.h"
#include "PortItem.h"
#include "WireItem.h"

#include <cmath>

#include <QPainter>
#include <QPainterPath>
#include <QStyleOptionGraphicsItem>

namespace loom {

namespace {

constexpr qreal kHeaderHeight = 22;
constexpr qreal kCornerRadius = 6;
constexpr qreal kPadding = 8;
const QColor kInvalidColour(0xd3, 0x2f, 0x2f);
const QColor kWarningColour(0xff, 0xb3, 0x00);
const QColor kWarningFill(0xff, 0xf1, 0xc9);
const QColor kWarningInk(0x5c, 0x3d, 0x00);
constexpr qreal kWarningSignSize = 16;
constexpr qreal kSparklineWidth = 64;
constexpr qreal kStackStep = 4;  ///< how far each card behind a group's node shows

// The finite, positive values of a series on a log scale (norms and ratios span decades).
QVector<QPointF> logPoints(const QVector<double>& values) {
    QVector<QPointF> points;
    for (int i = 0; i < values.size(); ++i) {
        if (std::isfinite(values[i]) && values[i] > 0) {
            points.append(QPointF(i, std::log10(values[i])));
        }
    }
    return points;
}

// 0.00123 -> "1.2e-03"
QString scientific(double value) {
    return QString::number(value, 'e', 1);
}

}  // namespace

QString shortCount(int64_t count) {
    static const char* const suffixes[] = {"", " k", " M", " G", " T"};
    double value = static_cast<double>(count);
    int suffix = 0;
    while (value >= 1000.0 && suffix < 4) {
        value /= 1000.0;
        ++suffix;
    }
    return suffix == 0 ? QString::number(count)
                       : QString::number(value, 'f',
                                         value < 10    ? 2
                                         : value < 100 ? 1
                                                       : 0) +
                             QLatin1String(suffixes[suffix]);
}

NodeItem::NodeItem(const QString& name, const QString& type, const QString& category,
                   Qt::Orientation flow)
    : m_name(name),
      m_type(type),
      m_colour(categoryColour(category)),
      m_input(new PortItem(this, PortItem::Direction::Input)),
      m_output(new PortItem(this, PortItem::Direction::Output)) {
    setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setFlow(flow);
}

NodeItem::~NodeItem() {
    // Each wire detaches itself from both ends as it goes, so iterate over a copy.
    const QList<WireItem*> wires = m_wires;
    qDeleteAll(wires);
}

void NodeItem::setType(const QString& type) {
    if (type != m_type) {
        m_type = type;
        update();
    }
}

void NodeItem::setStacked(bool stacked) {
    prepareGeometryChange();
    m_stacked = stacked;
}

void NodeItem::setAnalysis(const LayerAnalysis& analysis) {
    m_valid = analysis.valid;
    const int64_t multiplyAdds = analysis.multiplyAdds.value_or(0);
    if (!analysis.parameters) {
        m_cost = QObject::tr("cost unknown until valid");
    } else if (*analysis.parameters == 0 && multiplyAdds == 0) {
        m_cost = QObject::tr("no weights");
    } else {
        m_cost = QObject::tr("%1 params · %2 MACs")
                     .arg(shortCount(*analysis.parameters), shortCount(multiplyAdds));
    }
    QString tip = QStringLiteral("<b>%1</b> (%2)").arg(m_name.toHtmlEscaped(), m_type);
    if (analysis.valid) {
        tip += QObject::tr("<br>output %1")
                   .arg(QString::fromStdString(analysis.outputShape.str("None")));
    }
    if (analysis.parameters) {
        tip += QObject::tr("<br>%1 parameters, %2 multiply-adds per sample")
                   .arg(*analysis.parameters)
                   .arg(analysis.multiplyAdds.value_or(0));
    }
    if (!analysis.problem.empty()) {
        tip += QStringLiteral("<br><span style='color:#d32f2f'>%1</span>")
                   .arg(QString::fromStdString(analysis.problem).toHtmlEscaped());
    }
    m_analysisTip = tip;
    updateToolTip();
    update();
}

void NodeItem::setWarnings(const QStringList& messages) {
    if (messages != m_warnings) {
        m_warnings = messages;
        updateToolTip();
        update();
    }
}

void NodeItem::setTrainingHealth(const NodeTrainingHealth& health) {
    m_health = health;
    updateToolTip();
    update();
}

bool NodeItem::showsSparkline() const {
    return logPoints(m_health.history).size() >= 2;
}

void NodeItem::updateToolTip() {
    QString tip = m_analysisTip;
    for (const QString& warning : std::as_const(m_warnings) + m_health.problems) {
        tip += QStringLiteral("<br><span style='color:%1'>⚠ %2</span>")
                   .arg(kWarningInk.name(), warning.toHtmlEscaped());
    }
    if (!m_health.history.isEmpty() && std::isfinite(m_health.history.last())) {
        tip += QStringLiteral("<br><br><b>%1: %2</b><br><i>%3</i>")
                   .arg(m_health.measure, scientific(m_health.history.last()),
                        m_health.explanation.toHtmlEscaped());
    }
    setToolTip(tip);
}

void NodeItem::setFlow(Qt::Orientation flow) {
    prepareGeometryChange();
    if (flow == Qt::Horizontal) {
        m_input->setPos(0, kHeight / 2);
        m_output->setPos(kWidth, kHeight / 2);
    } else {
        m_input->setPos(kWidth / 2, 0);
        m_output->setPos(kWidth / 2, kHeight);
    }
    for (WireItem* wire : m_wires) {
        wire->updatePath();
    }
}

void NodeItem::setModelOutputShape(const QString& shapeText) {
    if (shapeText != m_outputShape) {
        prepareGeometryChange();
        m_outputShape = shapeText;
    }
}

QRectF NodeItem::modelOutputRect() const {
    // Past the output port, along the flow.
    const QPointF port = m_output->pos();
    const bool vertical = port.y() >= kHeight;
    const QSizeF size(kWidth * 0.6, 18);
    return vertical ? QRectF(port + QPointF(-size.width() / 2, 10), size)
                    : QRectF(port + QPointF(10, -size.height() / 2), size);
}

void NodeItem::setNonFiniteOrigin(bool origin) {
    m_nonFiniteOrigin = origin;
    update();
}

void NodeItem::attach(WireItem* wire) {
    m_wires.append(wire);
}

void NodeItem::detach(WireItem* wire) {
    m_wires.removeAll(wire);
}

QRectF NodeItem::boundingRect() const {
    // Room for the halo of a NaN origin and the frame's pen.
    const QRectF body = QRectF(0, 0, kWidth, kHeight)
                            .adjusted(-8, -8, 8 + (m_stacked ? 2 * kStackStep : 0),
                                      8 + (m_stacked ? 2 * kStackStep : 0));
    return m_outputShape.isEmpty() ? body : body.united(modelOutputRect());
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    paintFrame(painter, option->state.testFlag(QStyle::State_Selected));
    paintText(painter);
    paintWarningSign(painter);
    paintSparkline(painter);
    paintModelOutput(painter);
}

void NodeItem::paintFrame(QPainter* painter, bool selected) const {
    const QRectF body(0, 0, kWidth, kHeight);
    if (m_stacked) {
        // The cards behind: the layers the node stands for.
        painter->setPen(QPen(QColor(0x55, 0x55, 0x55), 1.2));
        painter->setBrush(QColor(0xe4, 0xe6, 0xea));
        for (int card = 2; card >= 1; --card) {
            painter->drawRoundedRect(body.translated(card * kStackStep, card * kStackStep),
                                     kCornerRadius, kCornerRadius);
        }
    }
    if (m_nonFiniteOrigin) {
        painter->setPen(QPen(QColor(0xd3, 0x2f, 0x2f, 110), 10));
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(body, kCornerRadius, kCornerRadius);
    }
    painter->setPen(Qt::NoPen);
    painter->setBrush(showsWarning() ? kWarningFill : QColor(0xfb, 0xfb, 0xfb));
    painter->drawRoundedRect(body, kCornerRadius, kCornerRadius);
    // The header: a rounded top, square where it meets the body.
    QPainterPath header;
    header.addRoundedRect(QRectF(0, 0, kWidth, kHeaderHeight + kCornerRadius), kCornerRadius,
                          kCornerRadius);
    header = header.intersected([] {
        QPainterPath top;
        top.addRect(QRectF(0, 0, kWidth, kHeaderHeight));
        return top;
    }());
    painter->setBrush(m_valid ? m_colour : kInvalidColour);
    painter->drawPath(header);

    QPen frame(QColor(0x55, 0x55, 0x55), 1.2);
    if (!m_valid || m_nonFiniteOrigin) {
        frame = QPen(kInvalidColour, 2.5);
    } else if (selected) {
        frame = QPen(QColor(0xff, 0xa0, 0x00), 2.5);
    }
    if (selected && (!m_valid || m_nonFiniteOrigin)) {
        frame.setStyle(Qt::DashLine);
    }
    painter->setPen(frame);
    painter->setBrush(Qt::NoBrush);
    painter->drawRoundedRect(body, kCornerRadius, kCornerRadius);
}

void NodeItem::paintText(QPainter* painter) const {
    QFont font = painter->font();
    font.setPointSizeF(9.5);
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(Qt::white);
    // The warning sign takes the header's right end.
    const qreal signRoom = showsWarning() ? kWarningSignSize + 4 : 0;
    const QRectF title(kPadding, 0, kWidth - 2 * kPadding - signRoom, kHeaderHeight);
    const QString prefix = m_valid ? QString() : QStringLiteral("⚠ ");
    painter->drawText(
        title, Qt::AlignVCenter | Qt::AlignLeft,
        painter->fontMetrics().elidedText(prefix + m_name, Qt::ElideMiddle, int(title.width())));

    font.setBold(false);
    painter->setFont(font);
    painter->setPen(QColor(0x20, 0x20, 0x20));
    const qreal sparklineRoom = showsSparkline() ? kSparklineWidth + 4 : 0;
    const QRectF kind(kPadding, kHeaderHeight + 1, kWidth - 2 * kPadding - sparklineRoom, 18);
    painter->drawText(kind, Qt::AlignVCenter | Qt::AlignLeft,
                      painter->fontMetrics().elidedText(m_type, Qt::ElideRight, int(kind.width())));

    font.setPointSizeF(8.5);
    painter->setFont(font);
    painter->setPen(QColor(0x5a, 0x5a, 0x5a));
    // Above the output port, which sits on the bottom edge.
    painter->drawText(QRectF(kPadding, kHeaderHeight + 18, kWidth - 2 * kPadding, 16),
                      Qt::AlignVCenter | Qt::AlignLeft, m_cost);
}

QRectF NodeItem::sparklineRect() const {
    return QRectF(kWidth - kPadding - kSparklineWidth, kHeaderHeight + 4, kSparklineWidth, 13);
}

void NodeItem::paintSparkline(QPainter* painter) const {
    const QVector<QPointF> points = logPoints(m_health.history);
    if (points.size() < 2) {
        return;
    }
    const QRectF area = sparklineRect();
    double low = points.first().y(), high = low;
    for (const QPointF& p : points) {
        low = std::min(low, p.y());
        high = std::max(high, p.y());
    }
    // Less than a tenth of a decade of movement is drawn flat, in the middle.
    const double span = std::max(high - low, 0.1), middle = (low + high) / 2;
    // The samples so far fill the width; once there are kSparklineLength, the oldest scroll off.
    const double last = double(std::max<qsizetype>(m_health.history.size() - 1, 1));
    QPolygonF line;
    for (const QPointF& p : points) {
        line << QPointF(area.left() + area.width() * p.x() / last,
                        area.center().y() - area.height() * (p.y() - middle) / span);
    }
    painter->setPen(Qt::NoPen);
    painter->setBrush(QColor(0, 0, 0, 14));
    painter->drawRoundedRect(area.adjusted(-2, -2, 2, 2), 3, 3);
    const QColor ink = m_health.problems.isEmpty() ? QColor(0x1e, 0x63, 0xb4) : kWarningInk;
    painter->setPen(QPen(ink, 1.3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter->setBrush(Qt::NoBrush);
    painter->drawPolyline(line);
    painter->setBrush(ink);
    painter->drawEllipse(line.last(), 1.8, 1.8);
}

QRectF NodeItem::warningSignRect() const {
    return QRectF(kWidth - kPadding - kWarningSignSize, (kHeaderHeight - kWarningSignSize) / 2,
                  kWarningSignSize, kWarningSignSize);
}

void NodeItem::paintWarningSign(QPainter* painter) const {
    if (!showsWarning()) {
        return;
    }
    // A road-sign triangle: amber with a dark rim and mark, readable on every header colour.
    const QRectF sign = warningSignRect();
    const QPolygonF triangle(
        {QPointF(sign.center().x(), sign.top()), sign.bottomRight(), sign.bottomLeft()});
    painter->setPen(QPen(kWarningInk, 1.2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter->setBrush(kWarningColour);
    painter->drawPolygon(triangle);
    QFont font = painter->font();
    font.setPointSizeF(8);
    font.setBold(true);
    painter->setFont(font);
    painter->drawText(sign.adjusted(0, 3, 0, 0), Qt::AlignCenter, QStringLiteral("!"));
}

void NodeItem::paintModelOutput(QPainter* painter) const {
    if (m_outputShape.isEmpty()) {
        return;
    }
    QFont font = painter->font();
    font.setPointSizeF(8.5);
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(QColor(0x20, 0x20, 0x20));
    const bool vertical = m_output->pos().y() >= kHeight;
    painter->drawText(modelOutputRect(),
                      (vertical ? Qt::AlignHCenter : Qt::AlignLeft) | Qt::AlignVCenter,
                      QObject::tr("output %1").arg(m_outputShape));
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
    if (change == ItemPositionHasChanged) {
        for (WireItem* wire : m_wires) {
            wire->updatePath();
        }
    }
    return QGraphicsItem::itemChange(change, value);
}

}  // namespace loom
