#pragma once

#include <loom/StatisticsSample.h>

#include <QColor>
#include <QVector>
#include <QWidget>

#include <array>
#include <cstdint>
#include <vector>

class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCustomPlot;

namespace loom {

/// One point of a quantity's distribution over a run: its histogram at one training step.
struct DistributionPoint {
    int64_t step = 0;
    Histogram histogram;
};

/// The hue both distribution charts draw in (TensorBoard's orange), so that a layer's
/// distribution and its histogram read as one thing.
QColor distributionColor();

/// DistributionChart: how one quantity of one layer (its activations, weights or gradients) is
/// spread over a training run, drawn as TensorBoard draws distributions. At each sampled step
/// (x) the percentiles kPercentiles of the values (y) are read from the step's histogram and
/// drawn as nested bands: min to max lightest, then the ranges a normal distribution would
/// have within 1.5, 1 and 0.5 standard deviations, each darker, and the median as a line. A
/// vertical marker shows the current step of a time slider. Compact mode (small multiples)
/// drops the axis titles and shrinks the ticks.
///
/// Appending a point (a live run) adds one point to each band and asks for a replot on the next
/// event-loop pass, so samples arriving faster than the chart paints cost little.
class DistributionChart : public QWidget {
    Q_OBJECT

public:
    static constexpr int kPercentileCount = 9;
    /// In percent: 0 and 100, and the normal distribution's mean ± 1.5, 1 and 0.5 standard
    /// deviations, so that a normally distributed quantity gives evenly spaced bands.
    static constexpr std::array<double, kPercentileCount> kPercentiles{
        0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100};
    static constexpr int kMedian = 4;

    explicit DistributionChart(QWidget* parent = nullptr);
    ~DistributionChart() override;

    /// Shows exactly these points, in increasing step order.
    void setSeries(const std::vector<DistributionPoint>& points);
    /// Adds a point after the last (its step must not be smaller).
    void appendPoint(const DistributionPoint& point);
    void clear();

    int sampleCount() const { return static_cast<int>(m_steps.size()); }
    int64_t stepAt(int sampleIndex) const;
    /// Percentile kPercentiles[percentileIndex] of the sample's histogram; NaN when that
    /// histogram is empty.
    double percentileAt(int sampleIndex, int percentileIndex) const;
    /// Percentile kPercentiles[percentileIndex] at every sample, as drawn.
    QVector<double> percentileSeries(int percentileIndex) const;
    /// Whether any sample has values: without, the chart shows emptyText() instead.
    bool hasData() const { return m_hasData; }

    /// Puts the marker at this step (any value; it need not be a sampled step).
    void setCurrentStep(int64_t step);
    int64_t currentStep() const { return m_currentStep; }
    /// Where the marker is drawn, in steps; NaN before setCurrentStep.
    double markerPosition() const;

    void setCompact(bool compact);
    bool isCompact() const { return m_compact; }
    /// What the values are ("weights"): the value axis's title, and "no weights" when empty.
    void setValueLabel(const QString& label);
    QString emptyText() const;
    bool isEmptyTextShown() const;
    void setColor(const QColor& color);

    QCustomPlot* plot() const { return m_plot; }

public slots:
    /// Repaints now, rather than on the next event-loop pass.
    void redraw();

signals:
    void doubleClicked();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    using Percentiles = std::array<double, kPercentileCount>;

    void createBands();
    void applyColors();
    void applyCompact();
    void addToRange(const Percentiles& p);
    void updateRanges();
    void updateEmptyText();

    QCustomPlot* m_plot = nullptr;
    /// Graph k draws percentile k.
    std::array<QCPGraph*, kPercentileCount> m_graphs{};
    QCPItemStraightLine* m_marker = nullptr;
    QCPItemText* m_emptyText = nullptr;
    std::vector<int64_t> m_steps;
    std::vector<Percentiles> m_percentiles;
    double m_low = 0, m_high = 0;
    bool m_hasData = false;
    int64_t m_currentStep = 0;
    bool m_compact = false;
    QString m_valueLabel;
    QColor m_color;
};

}  // namespace loom
