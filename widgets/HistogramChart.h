#pragma once

#include "DistributionChart.h"

#include <QWidget>

#include <cstdint>
#include <vector>

class QCPGraph;
class QCPItemText;
class QCustomPlot;

namespace loom {

/// HistogramChart: one step's histogram of a layer's quantity as a stepped area (x the value,
/// y how many values fall in each bin), with the few sampled steps before it drawn as faint
/// outlines behind, fainter the older: TensorBoard's offset histograms flattened, so a drift or
/// a widening shows as outlines walking away from the current one. It takes the same series and
/// current step as a DistributionChart, so one time slider can drive both.
class HistogramChart : public QWidget {
    Q_OBJECT

public:
    static constexpr int kDefaultTrail = 4;

    explicit HistogramChart(QWidget* parent = nullptr);
    ~HistogramChart() override;

    /// The run's histograms, in increasing step order; shows the last until setCurrentStep.
    void setSeries(std::vector<DistributionPoint> points);
    void appendPoint(const DistributionPoint& point);
    void clear();
    int sampleCount() const { return static_cast<int>(m_points.size()); }

    /// Shows the last sample at or before this step (the first, before any).
    void setCurrentStep(int64_t step);
    /// The sample shown; -1 when there is none.
    int currentIndex() const { return m_current; }
    /// How many earlier samples are drawn behind the current one.
    void setTrailLength(int samples);
    int trailLength() const { return m_trail; }

    /// What the values are ("weights"): the value axis's title, and "no weights" when empty.
    void setValueLabel(const QString& label);
    bool isEmptyTextShown() const;
    void setColor(const QColor& color);

    QCustomPlot* plot() const { return m_plot; }
    /// The current histogram's outline: one point at each bin's left edge plus the last edge.
    QCPGraph* currentGraph() const { return m_currentGraph; }
    /// The earlier histograms drawn, oldest first.
    const std::vector<QCPGraph*>& trailGraphs() const { return m_trailGraphs; }

public slots:
    /// Repaints now, rather than on the next event-loop pass.
    void redraw();

private:
    void showCurrent();
    void styleGraphs();
    void setHistogram(QCPGraph* graph, const Histogram& histogram);
    void updateRanges(int from);

    QCustomPlot* m_plot = nullptr;
    QCPGraph* m_currentGraph = nullptr;
    std::vector<QCPGraph*> m_trailGraphs;
    QCPItemText* m_stepText = nullptr;
    QCPItemText* m_emptyText = nullptr;
    std::vector<DistributionPoint> m_points;
    int m_current = -1;
    /// Whether the current sample follows the newest (no setCurrentStep since the series).
    bool m_followNewest = true;
    int m_trail = kDefaultTrail;
    QString m_valueLabel;
    QColor m_color;
};

}  // namespace loom
