#include "DistributionChart.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace loom {

namespace {

constexpr int kBands = DistributionChart::kPercentileCount / 2;
/// How much of the hue each band keeps (the rest is white), outermost first.
constexpr std::array<double, kBands> kBandStrength{0.22, 0.4, 0.6, 0.8};

QColor mix(const QColor& color, double strength) {
    auto channel = [strength](int c) {
        return static_cast<int>(std::lround(255 - (255 - c) * strength));
    };
    return QColor(channel(color.red()), channel(color.green()), channel(color.blue()));
}

}  // namespace

QColor distributionColor() {
    return QColor(0xe8, 0x71, 0x0a);
}

DistributionChart::DistributionChart(QWidget* parent)
    : QWidget(parent), m_valueLabel(tr("values")), m_color(distributionColor()) {
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("distributionPlot"));
    // The chart neither zooms nor pans, yet QCustomPlot takes every wheel event and stops all
    // mouse events at itself: a page of charts must scroll under the mouse (eventFilter).
    m_plot->setAttribute(Qt::WA_NoMousePropagation, false);
    m_plot->installEventFilter(this);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &DistributionChart::doubleClicked);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    createBands();

    m_marker = new QCPItemStraightLine(m_plot);
    m_marker->setPen(QPen(QColor(40, 40, 40), 1.5));
    m_marker->setVisible(false);
    m_emptyText = new QCPItemText(m_plot);
    m_emptyText->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_emptyText->position->setCoords(0.5, 0.5);
    m_emptyText->setColor(palette().color(QPalette::PlaceholderText));
    applyCompact();
    updateRanges();
    updateEmptyText();
}

DistributionChart::~DistributionChart() = default;

void DistributionChart::createBands() {
    for (QCPGraph*& graph : m_graphs) {
        graph = nullptr;
    }
    // Graphs paint in the order they were added: the outer bands first, so each inner band
    // lies on top of the one around it, and the median last.
    for (int b = 0; b < kBands; ++b) {
        m_graphs[b] = m_plot->addGraph();
        m_graphs[kPercentileCount - 1 - b] = m_plot->addGraph();
    }
    m_graphs[kMedian] = m_plot->addGraph();
    for (int b = 0; b < kBands; ++b) {
        m_graphs[kPercentileCount - 1 - b]->setChannelFillGraph(m_graphs[b]);
    }
    applyColors();
}

void DistributionChart::applyColors() {
    for (int b = 0; b < kBands; ++b) {
        const QColor band = mix(m_color, kBandStrength[b]);
        m_graphs[b]->setPen(Qt::NoPen);
        m_graphs[kPercentileCount - 1 - b]->setPen(Qt::NoPen);
        m_graphs[kPercentileCount - 1 - b]->setBrush(band);
    }
    m_graphs[kMedian]->setPen(QPen(m_color.darker(140), 1.5));
}

void DistributionChart::setColor(const QColor& color) {
    m_color = color;
    applyColors();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistributionChart::setSeries(const std::vector<DistributionPoint>& points) {
    clear();
    std::array<QVector<double>, kPercentileCount> values;
    QVector<double> keys;
    keys.reserve(static_cast<qsizetype>(points.size()));
    for (const DistributionPoint& point : points) {
        Percentiles p;
        for (int k = 0; k < kPercentileCount; ++k) {
            p[k] = point.histogram.percentile(kPercentiles[k] / 100);
            values[k].append(p[k]);
        }
        keys.append(static_cast<double>(point.step));
        m_steps.push_back(point.step);
        m_percentiles.push_back(p);
        addToRange(p);
    }
    // NaN (an empty histogram) leaves a gap in every band rather than bridging it.
    for (int k = 0; k < kPercentileCount; ++k) {
        m_graphs[k]->setData(keys, values[k], true);
    }
    updateRanges();
    updateEmptyText();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistributionChart::appendPoint(const DistributionPoint& point) {
    Percentiles p;
    for (int k = 0; k < kPercentileCount; ++k) {
        p[k] = point.histogram.percentile(kPercentiles[k] / 100);
        m_graphs[k]->addData(static_cast<double>(point.step), p[k]);
    }
    m_steps.push_back(point.step);
    m_percentiles.push_back(p);
    const bool hadData = m_hasData;
    addToRange(p);
    updateRanges();
    if (hadData != m_hasData) {
        updateEmptyText();
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistributionChart::clear() {
    for (QCPGraph* graph : m_graphs) {
        graph->data()->clear();
    }
    m_steps.clear();
    m_percentiles.clear();
    m_low = m_high = 0;
    m_hasData = false;
    updateRanges();
    updateEmptyText();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int64_t DistributionChart::stepAt(int sampleIndex) const {
    return m_steps.at(static_cast<size_t>(sampleIndex));
}

double DistributionChart::percentileAt(int sampleIndex, int percentileIndex) const {
    return m_percentiles.at(static_cast<size_t>(sampleIndex))
        .at(static_cast<size_t>(percentileIndex));
}

QVector<double> DistributionChart::percentileSeries(int percentileIndex) const {
    QVector<double> series;
    series.reserve(static_cast<qsizetype>(m_percentiles.size()));
    for (const Percentiles& p : m_percentiles) {
        series.append(p.at(static_cast<size_t>(percentileIndex)));
    }
    return series;
}

void DistributionChart::addToRange(const Percentiles& p) {
    // The extremes bound every band; an empty histogram has none.
    if (!std::isfinite(p.front()) || !std::isfinite(p.back())) {
        return;
    }
    m_low = m_hasData ? std::min(m_low, p.front()) : p.front();
    m_high = m_hasData ? std::max(m_high, p.back()) : p.back();
    m_hasData = true;
}

void DistributionChart::updateRanges() {
    if (m_steps.empty()) {
        m_plot->xAxis->setRange(0, 1);
    } else {
        // A lone sample still gets some width, so the marker and the median stay in view.
        const double first = static_cast<double>(m_steps.front());
        const double last = static_cast<double>(m_steps.back());
        m_plot->xAxis->setRange(first, last > first ? last : first + 1);
    }
    if (!m_hasData) {
        m_plot->yAxis->setRange(0, 1);
        return;
    }
    // A constant quantity (all weights zero) has no spread: pad it around its value.
    const double span = m_high - m_low;
    const double margin = span > 0 ? span * 0.05 : std::max(std::abs(m_high) * 0.1, 1e-3);
    m_plot->yAxis->setRange(m_low - margin, m_high + margin);
}

void DistributionChart::setCurrentStep(int64_t step) {
    m_currentStep = step;
    const double x = static_cast<double>(step);
    m_marker->point1->setCoords(x, 0);
    m_marker->point2->setCoords(x, 1);
    m_marker->setVisible(true);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

double DistributionChart::markerPosition() const {
    return m_marker->visible() ? m_marker->point1->coords().x()
                               : std::numeric_limits<double>::quiet_NaN();
}

void DistributionChart::setCompact(bool compact) {
    m_compact = compact;
    applyCompact();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistributionChart::applyCompact() {
    QFont ticks = font();
    if (m_compact) {
        ticks.setPointSizeF(std::max(6.0, ticks.pointSizeF() * 0.8));
    }
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setTickLabelFont(ticks);
        axis->ticker()->setTickCount(m_compact ? 3 : 5);
        axis->setNumberPrecision(3);
    }
    // Steps are whole numbers: "1000", not QCustomPlot's "1·10³".
    m_plot->xAxis->setNumberFormat(QStringLiteral("f"));
    m_plot->xAxis->setNumberPrecision(0);
    m_plot->xAxis->setLabel(m_compact ? QString() : tr("step"));
    m_plot->yAxis->setLabel(m_compact ? QString() : m_valueLabel);
    m_plot->setMinimumSize(m_compact ? QSize(160, 100) : QSize(280, 180));
    // Small multiples sit close together: the default margins would take a third of each.
    const int pad = m_compact ? 2 : 6;
    m_plot->plotLayout()->setMargins(QMargins(pad, pad, pad, pad));
}

void DistributionChart::setValueLabel(const QString& label) {
    m_valueLabel = label;
    applyCompact();
    updateEmptyText();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString DistributionChart::emptyText() const {
    return tr("no %1").arg(m_valueLabel);
}

bool DistributionChart::isEmptyTextShown() const {
    return m_emptyText->visible();
}

void DistributionChart::updateEmptyText() {
    m_emptyText->setText(emptyText());
    m_emptyText->setVisible(!m_hasData);
    // Without values the value axis's 0 to 1 would be made up: only the steps stay.
    m_plot->yAxis->setTicks(m_hasData);
    m_plot->yAxis->setTickLabels(m_hasData);
    m_plot->yAxis->grid()->setVisible(m_hasData);
}

void DistributionChart::redraw() {
    m_plot->replot();
}

bool DistributionChart::eventFilter(QObject* watched, QEvent* event) {
    // Ignored, the wheel event goes on to the widgets around the chart.
    if (watched == m_plot && event->type() == QEvent::Wheel) {
        event->ignore();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace loom
