#pragma once

#include <loom/Progress.h>
#include <loom/Project.h>

#include <QWidget>

#include <array>
#include <memory>
#include <vector>

class QCPGraph;
class QCheckBox;
class QCustomPlot;
class QLabel;
class QSlider;
class QTextStream;

namespace loom {

/// TrainingChart: loss and accuracy of training runs, side by side, against the epoch (batches
/// fall between whole epochs, so runs with different batch sizes line up). Each run has its own
/// colour (runColor of its index); per run it draws the raw batch values faintly, their
/// smoothed curve, the epoch means as dots (at the middle of their epoch) and validation (at
/// the epoch's end) as a dashed line. The chart's runs
/// mirror a project's runs in order, plus the one training now at the end.
///
/// Data arrive at any rate; the chart redraws at most once per event-loop pass, and long series
/// are decimated (min/max per pixel column) before QCustomPlot sees them, so a redraw costs the
/// same with ten thousand or a million batches.
class TrainingChart : public QWidget {
    Q_OBJECT

public:
    enum class Metric { Loss, Accuracy };
    enum class Series { RawBatches, SmoothedBatches, TrainingEpochs, ValidationEpochs };

    explicit TrainingChart(QWidget* parent = nullptr);
    ~TrainingChart() override;

    /// Adds an empty run and returns its index.
    int addRun(const QString& name);
    /// Adds a finished run with its whole history, labelled by runLabel, and returns its index.
    int addRecord(const RunRecord& run);
    /// Shows exactly these runs (a project just opened), all visible.
    void setRuns(const std::vector<RunRecord>& runs);
    int runCount() const { return static_cast<int>(m_runs.size()); }
    void setRunName(int run, const QString& name);

    void addBatches(int run, const std::vector<BatchProgress>& batches);
    void addEpoch(int run, const EpochProgress& epoch);
    /// How many batches the run has had (the plots hold fewer points once decimated).
    int batchCount(int run) const;

    void setRunVisible(int run, bool visible);
    bool isRunVisible(int run) const;

    /// Smoothing weight of the per-batch curves, 0 (none) to 0.99.
    void setSmoothing(double weight);
    double smoothing() const { return m_smoothing; }
    /// A logarithmic loss axis (accuracy stays linear).
    void setLogScale(bool on);
    bool logScale() const;
    /// Whether per-batch curves are drawn; the epoch means always are.
    void setBatchesShown(bool shown);

    /// Writes both plots side by side as a PNG; false when the file cannot be written.
    bool exportPng(const QString& path);
    /// Writes every run's raw numbers (not the decimated ones) as CSV with the columns
    /// run,kind,epoch,loss,accuracy,validation_loss,validation_accuracy; kind is "batch" or
    /// "epoch", epoch the position on the x axis, and a missing value an empty field.
    bool exportCsv(const QString& path) const;

    QCustomPlot* plot(Metric metric) const;
    QCPGraph* graph(int run, Metric metric, Series series) const;

public slots:
    /// Puts the current data into the plots and repaints now (normally this happens on its
    /// own, once per event-loop pass after data arrive).
    void redraw();

private:
    struct Run;

    QWidget* createControls();
    QCustomPlot* createPlot(const QString& valueLabel);
    void createGraphs(Run& run);
    void updateRunGraphs(Run& run, size_t metric, int buckets);
    void rescale(QCustomPlot* plot);
    void scheduleRedraw();
    void resmooth(Run& run);
    void writeCsv(QTextStream& out) const;
    void chooseExportPath(bool png);

    std::vector<std::unique_ptr<Run>> m_runs;
    std::array<QCustomPlot*, 2> m_plots{};
    QWidget* m_plotArea = nullptr;
    QSlider* m_smoothingSlider = nullptr;
    QLabel* m_smoothingLabel = nullptr;
    QCheckBox* m_logScale = nullptr;
    double m_smoothing = 0.9;
    bool m_batchesShown = true;
    bool m_redrawPending = false;
};

}  // namespace loom
