#include "HistogramChart.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

/// Bins are 64 equal parts of each histogram's own range, so two steps' bins differ in width.
/// Counts are scaled to the current histogram's bin width: then equal areas mean equal
/// numbers of values, and a distribution that widens flattens instead of seeming to grow.
double binWidth(const Histogram& h) {
    return (h.high - h.low) / double(Histogram::kBins);
}

}  // namespace

HistogramChart::HistogramChart(QWidget* parent)
    : QWidget(parent), m_valueLabel(tr("values")), m_color(distributionColor()) {
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("histogramPlot"));
    m_plot->setMinimumSize(280, 180);
    m_plot->xAxis->setLabel(m_valueLabel);
    m_plot->yAxis->setLabel(tr("count"));
    for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setNumberPrecision(3);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    m_stepText = new QCPItemText(m_plot);
    m_stepText->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_stepText->position->setCoords(0.98, 0.03);
    m_stepText->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    m_emptyText = new QCPItemText(m_plot);
    m_emptyText->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_emptyText->position->setCoords(0.5, 0.5);
    m_emptyText->setColor(palette().color(QPalette::PlaceholderText));
    setTrailLength(kDefaultTrail);
}

HistogramChart::~HistogramChart() = default;

void HistogramChart::setTrailLength(int samples) {
    m_trail = std::max(0, samples);
    // Graphs paint in the order they were added: the trail first, so it stays behind.
    m_plot->clearGraphs();
    m_trailGraphs.clear();
    for (int i = 0; i < m_trail; ++i) {
        m_trailGraphs.push_back(m_plot->addGraph());
    }
    m_currentGraph = m_plot->addGraph();
    styleGraphs();
    showCurrent();
}

void HistogramChart::styleGraphs() {
    const int n = static_cast<int>(m_trailGraphs.size());
    for (int i = 0; i < n; ++i) {
        // Oldest faintest; even the newest of the trail stays well below the current one.
        QColor line = m_color;
        line.setAlpha(50 + 90 * (i + 1) / (n + 1));
        m_trailGraphs[static_cast<size_t>(i)]->setPen(QPen(line, 1.2));
        m_trailGraphs[static_cast<size_t>(i)]->setLineStyle(QCPGraph::lsStepLeft);
    }
    QColor fill = m_color;
    fill.setAlpha(110);
    m_currentGraph->setPen(QPen(m_color.darker(130), 1.5));
    m_currentGraph->setBrush(fill);
    m_currentGraph->setLineStyle(QCPGraph::lsStepLeft);
}

void HistogramChart::setColor(const QColor& color) {
    m_color = color;
    styleGraphs();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramChart::setValueLabel(const QString& label) {
    m_valueLabel = label;
    m_plot->xAxis->setLabel(label);
    showCurrent();
}

void HistogramChart::setSeries(std::vector<DistributionPoint> points) {
    m_points = std::move(points);
    m_followNewest = true;
    m_current = static_cast<int>(m_points.size()) - 1;
    showCurrent();
}

void HistogramChart::appendPoint(const DistributionPoint& point) {
    m_points.push_back(point);
    // A live run shows its newest histogram until someone looks back at an earlier step.
    if (m_followNewest || m_current < 0) {
        m_current = static_cast<int>(m_points.size()) - 1;
        showCurrent();
    }
}

void HistogramChart::clear() {
    setSeries({});
}

void HistogramChart::setCurrentStep(int64_t step) {
    m_followNewest = false;
    // The last sample at or before the step: what the run looked like then.
    auto after = std::upper_bound(m_points.begin(), m_points.end(), step,
                                  [](int64_t s, const DistributionPoint& p) { return s < p.step; });
    const int index = static_cast<int>(after - m_points.begin()) - 1;
    m_current = m_points.empty() ? -1 : std::max(index, 0);
    showCurrent();
}

void HistogramChart::showCurrent() {
    const bool shown = m_current >= 0 && m_points[size_t(m_current)].histogram.total() > 0;
    m_emptyText->setText(tr("no %1").arg(m_valueLabel));
    m_emptyText->setVisible(!shown);
    m_stepText->setVisible(shown);
    for (QCPGraph* graph : m_trailGraphs) {
        graph->data()->clear();
    }
    m_currentGraph->data()->clear();
    if (!shown) {
        m_plot->xAxis->setRange(0, 1);
        m_plot->yAxis->setRange(0, 1);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    // The trail's newest graph takes the sample just before the current one.
    const int first = std::max(0, m_current - m_trail);
    const int offset = m_trail - (m_current - first);
    for (int i = first; i < m_current; ++i) {
        setHistogram(m_trailGraphs[size_t(offset + i - first)], m_points[size_t(i)].histogram);
    }
    setHistogram(m_currentGraph, m_points[size_t(m_current)].histogram);
    m_stepText->setText(tr("step %1").arg(m_points[size_t(m_current)].step));
    updateRanges(first);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramChart::setHistogram(QCPGraph* graph, const Histogram& h) {
    if (h.total() <= 0) {
        return;
    }
    const Histogram& current = m_points[size_t(m_current)].histogram;
    const double width = binWidth(h);
    QVector<double> keys, values;
    if (width <= 0) {
        // Every value the same (weights initialised to zero): a narrow bar at it, about a
        // hundredth of the current range wide, or of the value itself when that is wider.
        const double range = current.high - current.low;
        const double half = std::max({range / 200, std::abs(h.low) / 200, 1e-3});
        keys = {h.low - half, h.low + half};
        values = {h.total(), h.total()};
    } else {
        const double scale = binWidth(current) > 0 ? binWidth(current) / width : 1.0;
        for (size_t i = 0; i < Histogram::kBins; ++i) {
            keys.append(h.low + width * double(i));
            values.append(h.counts[i] * scale);
        }
        // lsStepLeft holds each value until the next key: one more point closes the last bin.
        keys.append(h.high);
        values.append(values.back());
    }
    // Drop to zero at both ends so an outline reads as a closed shape.
    keys.prepend(keys.front());
    values.prepend(0);
    keys.append(keys.back());
    values.append(0);
    graph->setData(keys, values, true);
}

void HistogramChart::updateRanges(int from) {
    bool found = false;
    QCPRange x, y(0, 1);
    for (int i = from; i <= m_current; ++i) {
        QCPGraph* graph =
            i == m_current ? m_currentGraph : m_trailGraphs[size_t(m_trail - (m_current - i))];
        bool ok = false;
        const QCPRange keys = graph->getKeyRange(ok);
        if (ok) {
            x = found ? QCPRange(std::min(x.lower, keys.lower), std::max(x.upper, keys.upper))
                      : keys;
            found = true;
            y.upper = std::max(y.upper, graph->getValueRange(ok).upper);
        }
    }
    const double pad = x.size() * 0.03;
    m_plot->xAxis->setRange(x.lower - pad, x.upper + pad);
    m_plot->yAxis->setRange(0, y.upper * 1.08);
}

bool HistogramChart::isEmptyTextShown() const {
    return m_emptyText->visible();
}

void HistogramChart::redraw() {
    m_plot->replot();
}

}  // namespace loom
