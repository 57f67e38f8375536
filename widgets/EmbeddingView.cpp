#include "EmbeddingView.h"

#include "RunColors.h"

#include <loom/Error.h>

#include <qcustomplot.h>

#include <QApplication>
#include <QBuffer>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace loom {

namespace {

/// Dots of a few pixels: ten thousand of them still leave the clusters' shapes readable.
constexpr double kDot = 5;
/// The legend's dots are bigger than the plot's, so each class's colour reads at a glance.
constexpr double kLegendDot = 10;
/// Slightly translucent dots: where classes overlap, both colours show.
constexpr int kDotAlpha = 210;
/// A hidden class's legend entry stays, faded, so it can be clicked back.
constexpr int kHiddenAlpha = 45;
/// Empty space round the outermost points, as a share of the layout's extent.
constexpr double kMargin = 0.05;
/// The tooltip's picture is at most this wide: 28x28 pictures are scaled up 3 times.
constexpr int kTooltipPicture = 96;

const QColor kUnknownColor(130, 130, 130);
const QColor kHiddenText(160, 160, 160);

/// Class `cls`'s colour: Loom's ten run colours (Tableau 10), ten further Tableau 20 tones
/// that stay apart from them, then hues spread by the golden angle.
QColor classColor(int cls) {
    static const std::array<QRgb, 10> kMore = {0x2f4b7c, 0x8cd17d, 0xd37295, 0x499894, 0xb6992d,
                                               0xa0cbe8, 0xffbe7d, 0x79706e, 0xd4a6c8, 0x86bcb6};
    if (cls < 10) {
        return runColor(cls);
    }
    if (cls < 20) {
        return QColor(kMore[static_cast<size_t>(cls - 10)]);
    }
    return QColor::fromHsvF(std::fmod(cls * 0.381966, 1.0), 0.65, 0.8);
}

QColor withAlpha(QColor color, int alpha) {
    color.setAlpha(alpha);
    return color;
}

/// The dots of series `s` of `classes` classes (the last is the unknown samples), faded when
/// hidden: the legend draws a hidden class's icon from this style.
QCPScatterStyle dotStyle(int s, int classes, bool visible) {
    // Unknown samples are hollow grey rings, apart from every class whatever its colour.
    if (s == classes) {
        return QCPScatterStyle(QCPScatterStyle::ssCircle,
                               QPen(withAlpha(kUnknownColor, visible ? 255 : kHiddenAlpha), 1),
                               Qt::NoBrush, kDot);
    }
    return QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::NoPen),
                           withAlpha(classColor(s), visible ? kDotAlpha : kHiddenAlpha), kDot);
}

/// A sample's picture at a size for its tooltip. Small pictures grow by a whole factor without
/// smoothing, so their pixels stay crisp.
QImage tooltipPicture(const QImage& image) {
    const int side = std::max(image.width(), image.height());
    if (side > kTooltipPicture) {
        return image.scaled(kTooltipPicture, kTooltipPicture, Qt::KeepAspectRatio,
                            Qt::SmoothTransformation);
    }
    const int factor = side > 0 ? kTooltipPicture / side : 1;
    return image.scaled(image.width() * factor, image.height() * factor);
}

/// ShapeError unless `given`, a count of `what`, is one per point.
void requireOnePerPoint(qsizetype points, qsizetype given, const char* what) {
    if (given != points) {
        throw ShapeError(QStringLiteral("The embedding has %1 points but %2 %3")
                             .arg(points)
                             .arg(given)
                             .arg(QLatin1String(what))
                             .toStdString());
    }
}

/// One class's dots. Its legend icon is a bigger dot than those in the plot.
class ClassGraph : public QCPGraph {
public:
    using QCPGraph::QCPGraph;

protected:
    void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override {
        QCPScatterStyle style = scatterStyle();
        style.setSize(kLegendDot);
        style.applyTo(painter, pen());
        style.drawShape(painter, rect.center());
    }
};

}  // namespace

EmbeddingView::EmbeddingView(QWidget* parent) : QWidget(parent) {
    createPlot();
    m_caption = new QLabel(this);
    m_caption->setObjectName(QStringLiteral("caption"));
    m_caption->setStyleSheet(QStringLiteral("color: palette(mid);"));
    // A caption that changes every few t-SNE iterations must not resize the window.
    m_caption->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_caption->hide();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(createControls());
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_caption);
}

EmbeddingView::~EmbeddingView() = default;

QWidget* EmbeddingView::createControls() {
    auto* controls = new QWidget(this);
    auto* row = new QHBoxLayout(controls);
    row->setContentsMargins(0, 0, 0, 0);
    m_title = new QLabel(controls);
    m_title->setObjectName(QStringLiteral("title"));
    m_title->setStyleSheet(QStringLiteral("font-weight: bold;"));
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_markMistakes = new QCheckBox(tr("Mark mistakes"), controls);
    m_markMistakes->setObjectName(QStringLiteral("markMistakes"));
    m_markMistakes->setToolTip(tr("Ring the samples the model classifies wrongly"));
    m_markMistakes->setChecked(true);
    m_markMistakes->setEnabled(false);  // until there are predictions
    connect(m_markMistakes, &QCheckBox::toggled, this, [this] {
        fillMistakes();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    auto* fitButton = new QPushButton(tr("Fit"), controls);
    fitButton->setObjectName(QStringLiteral("fit"));
    fitButton->setToolTip(tr("Show all points, and keep them in view while they move"));
    connect(fitButton, &QPushButton::clicked, this, &EmbeddingView::fit);
    row->addWidget(m_title, 1);
    row->addWidget(m_markMistakes);
    row->addWidget(fitButton);
    return controls;
}

void EmbeddingView::createPlot() {
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("embeddingPlot"));
    m_plot->setMinimumSize(240, 200);
    m_plot->setMouseTracking(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setAutoAddPlottableToLegend(false);
    // A projection's coordinates mean nothing on their own: a faint grid shows zoom and pan,
    // numbers would only crowd the frame. The top and right axes only close the frame.
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis, m_plot->xAxis2, m_plot->yAxis2}) {
        const bool main = axis == m_plot->xAxis || axis == m_plot->yAxis;
        axis->setVisible(true);
        axis->setTicks(false);
        axis->setTickLabels(false);
        axis->setBasePen(QPen(QColor(0, 0, 0, 70)));
        axis->grid()->setVisible(main);
        axis->grid()->setPen(QPen(QColor(0, 0, 0, 22)));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    // The legend sits right of the plot, at the top, never over the points.
    auto* side = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(0, 1, side);
    m_plot->plotLayout()->setColumnStretchFactor(1, 0.001);
    side->addElement(0, 0, m_plot->legend);
    side->addElement(1, 0, new QCPLayoutElement(m_plot));
    side->setRowStretchFactor(0, 0.001);
    m_plot->legend->setVisible(true);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setIconSize(kLegendDot + 2, kLegendDot + 2);
    createOverlays();

    connect(m_plot, &QCustomPlot::legendClick, this, &EmbeddingView::onLegendClick);
    connect(m_plot, &QCustomPlot::mousePress, this, &EmbeddingView::onMousePress);
    connect(m_plot, &QCustomPlot::mouseMove, this, &EmbeddingView::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseRelease, this, &EmbeddingView::onMouseRelease);
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_followLayout = false; });
    connect(m_plot, &QCustomPlot::afterLayout, this, &EmbeddingView::afterLayout);
    m_plot->installEventFilter(this);
}

QCPGraph* EmbeddingView::addRings(const QString& layer, const QString& above, const QPen& pen,
                                  double size) {
    m_plot->addLayer(layer, m_plot->layer(above), QCustomPlot::limAbove);
    QCPGraph* graph = m_plot->addGraph();
    graph->setLayer(layer);
    graph->setLineStyle(QCPGraph::lsNone);
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, pen, Qt::NoBrush, size));
    return graph;
}

void EmbeddingView::createOverlays() {
    // Thin translucent rings: a tenth of the samples ringed must not hide the classes' colours.
    m_mistakes = addRings(QStringLiteral("mistakes"), QStringLiteral("main"),
                          QPen(QColor(0, 0, 0, 150), 1), kDot + 4);
    m_hover = addRings(QStringLiteral("hover"), QStringLiteral("mistakes"), QPen(Qt::black, 1.8),
                       kDot + 9);
    // The hover ring has a buffer of its own: moving it repaints one dot, not ten thousand.
    m_hoverLayer = m_hover->layer();
    m_hoverLayer->setMode(QCPLayer::lmBuffered);
}

void EmbeddingView::setPoints(const QVector<QPointF>& points, const QVector<int>& labels,
                              const QStringList& classNames, const QString& title, Range range) {
    requireOnePerPoint(points.size(), labels.size(), "labels");
    const bool hadPoints = !m_points.isEmpty();
    setHovered(-1, {});
    m_points = points;
    m_labels = labels;
    m_classNames = classNames;
    m_predictions.clear();
    m_markMistakes->setEnabled(false);
    m_title->setText(title);
    m_pointSeries.clear();
    for (int label : labels) {
        m_pointSeries.push_back(seriesOf(label));
    }
    rebuildSeries();
    fillSeries();
    if (range == Range::Fit || !hadPoints) {
        fit();
    } else {
        m_followLayout = false;
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

void EmbeddingView::rebuildSeries() {
    // Classes the user hid stay hidden in a new projection of the same classes.
    QStringList hidden;
    for (QCPGraph* graph : m_series) {
        if (!graph->visible()) {
            hidden << graph->name();
        }
        m_plot->removeGraph(graph);
    }
    m_series.clear();
    for (int s = 0; s <= classCount(); ++s) {
        const bool unknown = s == classCount();
        auto* graph = new ClassGraph(m_plot->xAxis, m_plot->yAxis);
        graph->setName(unknown ? tr("unknown") : m_classNames[s]);
        graph->setLineStyle(QCPGraph::lsNone);
        // No outline: QCPScatterStyle takes Qt::NoPen as "use the graph's pen", so the graph
        // has none either.
        graph->setPen(Qt::NoPen);
        // Every class is listed, even one without samples; "unknown" only when there are some.
        if (!unknown || m_pointSeries.contains(s)) {
            graph->addToLegend();
        }
        m_series.push_back(graph);
        styleSeries(s, !hidden.contains(graph->name()));
    }
}

void EmbeddingView::styleSeries(int s, bool visible) {
    QCPGraph* graph = m_series.at(static_cast<size_t>(s));
    graph->setVisible(visible);
    graph->setScatterStyle(dotStyle(s, classCount(), visible));
    if (QCPPlottableLegendItem* item = m_plot->legend->itemWithPlottable(graph)) {
        item->setTextColor(visible ? QColor(Qt::black) : kHiddenText);
    }
}

void EmbeddingView::fillSeries() {
    std::vector<QVector<double>> xs(m_series.size()), ys(m_series.size());
    for (qsizetype i = 0; i < m_points.size(); ++i) {
        const auto s = static_cast<size_t>(m_pointSeries[i]);
        xs[s].push_back(m_points[i].x());
        ys[s].push_back(m_points[i].y());
    }
    for (size_t s = 0; s < m_series.size(); ++s) {
        m_series[s]->setData(xs[s], ys[s]);
    }
    fillMistakes();
    if (m_hovered >= 0) {
        const QPointF p = m_points[m_hovered];
        m_hover->setData({p.x()}, {p.y()});
    }
}

void EmbeddingView::fillMistakes() {
    QVector<double> x, y;
    if (m_markMistakes->isChecked() && !m_predictions.isEmpty()) {
        for (qsizetype i = 0; i < m_points.size(); ++i) {
            const int label = m_labels[i], predicted = m_predictions[i];
            const bool known = label >= 0 && label < classCount() && predicted >= 0;
            if (known && predicted != label && m_series[static_cast<size_t>(label)]->visible()) {
                x.push_back(m_points[i].x());
                y.push_back(m_points[i].y());
            }
        }
    }
    m_mistakes->setData(x, y);
}

void EmbeddingView::updatePositions(const QVector<QPointF>& points) {
    requireOnePerPoint(m_points.size(), points.size(), "new positions");
    m_points = points;
    fillSeries();
    if (m_followLayout) {
        fitRanges();
    }
    // Positions may come far faster than the screen refreshes: one replot per event-loop pass.
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void EmbeddingView::setPredictions(const QVector<int>& predictions) {
    if (!predictions.isEmpty()) {
        requireOnePerPoint(m_points.size(), predictions.size(), "predictions");
    }
    m_predictions = predictions;
    m_markMistakes->setEnabled(!predictions.isEmpty());
    fillMistakes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void EmbeddingView::setImageProvider(ImageProvider provider) {
    m_imageProvider = std::move(provider);
}

void EmbeddingView::setCaption(const QString& caption) {
    m_caption->setText(caption);
    m_caption->setVisible(!caption.isEmpty());
}

QString EmbeddingView::caption() const {
    return m_caption->text();
}

QString EmbeddingView::title() const {
    return m_title->text();
}

void EmbeddingView::setMistakesMarked(bool marked) {
    m_markMistakes->setChecked(marked);
}

bool EmbeddingView::mistakesMarked() const {
    return m_markMistakes->isChecked();
}

int EmbeddingView::seriesOf(int label) const {
    return label >= 0 && label < classCount() ? label : classCount();
}

QCPGraph* EmbeddingView::classGraph(int cls) const {
    return m_series.at(static_cast<size_t>(cls < 0 ? classCount() : cls));
}

QString EmbeddingView::className(int cls) const {
    return cls >= 0 && cls < classCount() ? m_classNames[cls] : tr("unknown");
}

void EmbeddingView::setClassVisible(int cls, bool visible) {
    QCPGraph* graph = classGraph(cls);
    if (graph->visible() == visible) {
        return;
    }
    styleSeries(cls < 0 ? classCount() : cls, visible);
    if (m_hovered >= 0 && !m_series[static_cast<size_t>(m_pointSeries[m_hovered])]->visible()) {
        setHovered(-1, {});
    }
    fillMistakes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    emit classVisibilityChanged(cls, visible);
}

bool EmbeddingView::isClassVisible(int cls) const {
    return classGraph(cls)->visible();
}

void EmbeddingView::fit() {
    m_followLayout = true;
    fitRanges();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void EmbeddingView::redraw() {
    m_plot->replot();
}

void EmbeddingView::fitRanges() {
    constexpr double inf = std::numeric_limits<double>::infinity();
    double x0 = inf, x1 = -inf, y0 = inf, y1 = -inf;
    for (const QPointF& p : m_points) {
        if (std::isfinite(p.x()) && std::isfinite(p.y())) {
            x0 = std::min(x0, p.x());
            x1 = std::max(x1, p.x());
            y0 = std::min(y0, p.y());
            y1 = std::max(y1, p.y());
        }
    }
    if (!(x0 <= x1)) {
        x0 = y0 = -1;
        x1 = y1 = 1;
    }
    double extent = std::max(x1 - x0, y1 - y0);
    if (extent <= 0) {  // one point, or all in one place
        extent = std::max({std::abs(x0), std::abs(y0), 1.0});
    }
    const double margin = extent * kMargin;
    m_plot->xAxis->setRange(x0 - margin, x1 + margin);
    m_plot->yAxis->setRange(y0 - margin, y1 + margin);
    equalizeScales();
}

void EmbeddingView::equalizeScales() {
    // Distances in a projection mean the same across and up: one unit is one length on both
    // axes, so the axis that would be stretched is widened.
    const QRect rect = m_plot->axisRect()->rect();
    if (rect.width() <= 0 || rect.height() <= 0) {
        return;  // not laid out yet: afterLayout fits again
    }
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    setScale(std::max(x.size() / rect.width(), y.size() / rect.height()), rect.size());
}

void EmbeddingView::setScale(double perPixel, const QSize& pixels) {
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    x->setRange(x->range().center(), perPixel * pixels.width(), Qt::AlignCenter);
    y->setRange(y->range().center(), perPixel * pixels.height(), Qt::AlignCenter);
}

void EmbeddingView::afterLayout() {
    const QSize size = m_plot->axisRect()->size();
    if (size == m_axisRectSize) {
        return;
    }
    const QSize old = m_axisRectSize;
    m_axisRectSize = size;
    if (m_followLayout || old.width() <= 0 || size.width() <= 0 || size.height() <= 0) {
        fitRanges();
    } else {
        // A zoomed view keeps its scale and centre, as a map does when its window is resized.
        setScale(m_plot->xAxis->range().size() / old.width(), size);
    }
    // The axes placed their grid lines for the old ranges before this signal; place them anew.
    m_plot->axisRect()->update(QCPLayoutElement::upPreparation);
}

int EmbeddingView::sampleAt(const QPointF& pixel, double radius) const {
    const QCPAxisRect* rect = m_plot->axisRect();
    if (m_points.isEmpty() || !rect->rect().contains(pixel.toPoint())) {
        return -1;
    }
    // A linear scan in plot units scaled to pixels: ten thousand points take tens of
    // microseconds, less than one mouse event's delivery.
    const QCPAxis* xAxis = m_plot->xAxis;
    const QCPAxis* yAxis = m_plot->yAxis;
    const double kx = rect->width() / xAxis->range().size();
    const double ky = rect->height() / yAxis->range().size();
    const double mx = xAxis->pixelToCoord(pixel.x()), my = yAxis->pixelToCoord(pixel.y());
    std::vector<char> visible(m_series.size());
    for (size_t s = 0; s < m_series.size(); ++s) {
        visible[s] = m_series[s]->visible();
    }
    // Strictly nearer only, so of two equally near dots the first wins; the radius counts.
    double best = std::nextafter(radius * radius, std::numeric_limits<double>::infinity());
    int index = -1;
    for (qsizetype i = 0; i < m_points.size(); ++i) {
        if (!visible[static_cast<size_t>(m_pointSeries[i])]) {
            continue;
        }
        const double dx = (m_points[i].x() - mx) * kx, dy = (m_points[i].y() - my) * ky;
        const double d2 = dx * dx + dy * dy;
        if (d2 < best) {
            best = d2;
            index = static_cast<int>(i);
        }
    }
    return index;
}

QPointF EmbeddingView::pixelPosition(int index) const {
    const QPointF p = m_points.at(index);
    return {m_plot->xAxis->coordToPixel(p.x()), m_plot->yAxis->coordToPixel(p.y())};
}

QString EmbeddingView::toolTipHtml(int index) const {
    QString html = QStringLiteral("<qt>");
    const bool known = m_imageProvider && index >= 0 && index < pointCount();
    const QImage image = known ? tooltipPicture(m_imageProvider(index)) : QImage();
    if (!image.isNull()) {
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "PNG");
        html += QStringLiteral(
                    "<img src=\"data:image/png;base64,%1\" width=\"%2\" height=\"%3\">"
                    "<br>")
                    .arg(QString::fromLatin1(png.toBase64()))
                    .arg(image.width())
                    .arg(image.height());
    }
    const int label = m_labels.value(index, -1);
    html += tr("class: %1").arg(className(label).toHtmlEscaped());
    if (!m_predictions.isEmpty()) {
        const int predicted = m_predictions.value(index, -1);
        QString said = className(predicted).toHtmlEscaped();
        if (label >= 0 && predicted >= 0 && predicted != label) {
            said = QStringLiteral("<b style=\"color:#c0392b\">%1</b>").arg(said);
        }
        html += tr(", predicted: %1").arg(said);
    }
    html += QStringLiteral("<br><span style=\"color:gray\">%1</span></qt>")
                .arg(tr("sample %1").arg(index));
    return html;
}

void EmbeddingView::onLegendClick(QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
    auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
    if (!entry) {
        return;
    }
    const auto it = std::find(m_series.begin(), m_series.end(), entry->plottable());
    if (it == m_series.end()) {
        return;
    }
    const int s = static_cast<int>(it - m_series.begin());
    const int cls = s == classCount() ? -1 : s;
    setClassVisible(cls, !isClassVisible(cls));
}

void EmbeddingView::onMousePress(QMouseEvent* event) {
    m_pressPos = event->position();
    // Only a press in the plot pans it; one on the legend is a click on the legend.
    m_pressed = event->button() == Qt::LeftButton &&
                m_plot->axisRect()->rect().contains(event->position().toPoint());
}

void EmbeddingView::onMouseMove(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) {
        const double moved = (event->position() - m_pressPos).manhattanLength();
        if (m_pressed && moved >= QApplication::startDragDistance()) {
            m_followLayout = false;  // the user pans: stop fitting the layout
            setHovered(-1, {});
        }
        return;
    }
    setHovered(sampleAt(event->position()), event->globalPosition().toPoint());
}

void EmbeddingView::onMouseRelease(QMouseEvent* event) {
    if (!m_pressed || event->button() != Qt::LeftButton) {
        return;
    }
    m_pressed = false;
    if ((event->position() - m_pressPos).manhattanLength() < QApplication::startDragDistance()) {
        const int index = sampleAt(event->position());
        if (index >= 0) {
            emit sampleChosen(index);
        }
    }
}

void EmbeddingView::setHovered(int index, const QPoint& globalPos) {
    if (index == m_hovered) {
        return;
    }
    m_hovered = index;
    if (index >= 0) {
        m_hover->setData({m_points[index].x()}, {m_points[index].y()});
        QToolTip::showText(globalPos, toolTipHtml(index), m_plot);
    } else {
        m_hover->data()->clear();
        QToolTip::hideText();
    }
    m_hoverLayer->replot();
}

bool EmbeddingView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_plot && event->type() == QEvent::Leave) {
        setHovered(-1, {});
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace loom
