#include "TrainingChart.h"

#include "RunColors.h"
#include "RunLabel.h"
#include "SeriesMath.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSlider>
#include <QTextStream>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace loom {

namespace {

constexpr size_t kMetrics = 2;
constexpr size_t kSeries = 4;
/// The smoothing slider works in hundredths.
constexpr int kSmoothingSteps = 100;

size_t index(TrainingChart::Metric metric) {
    return static_cast<size_t>(metric);
}

size_t index(TrainingChart::Series series) {
    return static_cast<size_t>(series);
}

double batchValue(const BatchProgress& b, size_t metric) {
    return metric == 0 ? b.loss : b.accuracy;
}

QVector<double> toQVector(const std::vector<double>& values) {
    return QVector<double>(values.begin(), values.end());
}

QString csvNumber(double value) {
    return std::isfinite(value) ? QString::number(value, 'g', 9) : QString();
}

QString csvText(QString text) {
    if (!text.contains(',') && !text.contains('"')) {
        return text;
    }
    return '"' + text.replace('"', QStringLiteral("\"\"")) + '"';
}

}  // namespace

/// One run's numbers and the graphs that draw them.
struct TrainingChart::Run {
    /// One metric of a run: the raw and smoothed batch values and the epoch means.
    struct MetricSeries {
        std::vector<double> raw, smoothed, training, validation;
        EmaSmoother smoother{0};
    };

    QString name;
    QColor color;
    bool visible = true;
    std::vector<double> batchX, epochX;
    std::array<MetricSeries, kMetrics> metrics;
    std::array<std::array<QCPGraph*, kSeries>, kMetrics> graphs{};
};

TrainingChart::TrainingChart(QWidget* parent) : QWidget(parent) {
    m_plotArea = new QWidget(this);
    auto* plots = new QHBoxLayout(m_plotArea);
    plots->setContentsMargins(0, 0, 0, 0);
    m_plots[index(Metric::Loss)] = createPlot(tr("loss"));
    m_plots[index(Metric::Accuracy)] = createPlot(tr("accuracy"));
    m_plots[index(Metric::Loss)]->setObjectName(QStringLiteral("lossPlot"));
    m_plots[index(Metric::Accuracy)]->setObjectName(QStringLiteral("accuracyPlot"));
    for (QCustomPlot* plot : m_plots) {
        plots->addWidget(plot);
    }
    // One legend names the runs; the line styles are the same for every run and explained once.
    QCustomPlot* loss = m_plots[index(Metric::Loss)];
    loss->legend->setVisible(true);
    loss->legend->setBrush(QColor(255, 255, 255, 220));
    loss->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);

    auto* key = new QLabel(tr("Solid: training, smoothed per batch (faint: raw batches) · "
                              "dots: epoch means · dashed: validation"),
                           this);
    key->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(createControls());
    layout->addWidget(m_plotArea, 1);
    layout->addWidget(key);
}

TrainingChart::~TrainingChart() = default;

QWidget* TrainingChart::createControls() {
    auto* controls = new QWidget(this);
    auto* row = new QHBoxLayout(controls);
    row->setContentsMargins(0, 0, 0, 0);
    m_smoothingLabel = new QLabel(controls);
    m_smoothingSlider = new QSlider(Qt::Horizontal, controls);
    m_smoothingSlider->setObjectName(QStringLiteral("smoothingSlider"));
    m_smoothingSlider->setRange(0, kSmoothingSteps - 1);
    m_smoothingSlider->setMaximumWidth(160);
    m_smoothingSlider->setToolTip(tr("How strongly the per-batch curves are smoothed"));
    connect(m_smoothingSlider, &QSlider::valueChanged, this,
            [this](int value) { setSmoothing(value / double(kSmoothingSteps)); });
    auto* batches = new QCheckBox(tr("Per batch"), controls);
    batches->setChecked(true);
    connect(batches, &QCheckBox::toggled, this, &TrainingChart::setBatchesShown);
    m_logScale = new QCheckBox(tr("Log scale (loss)"), controls);
    m_logScale->setObjectName(QStringLiteral("logScale"));
    connect(m_logScale, &QCheckBox::toggled, this, &TrainingChart::setLogScale);
    auto* png = new QPushButton(tr("Export PNG…"), controls);
    connect(png, &QPushButton::clicked, this, [this] { chooseExportPath(true); });
    auto* csv = new QPushButton(tr("Export CSV…"), controls);
    connect(csv, &QPushButton::clicked, this, [this] { chooseExportPath(false); });
    for (QWidget* w : std::initializer_list<QWidget*>{m_smoothingLabel, m_smoothingSlider, batches,
                                                      m_logScale}) {
        row->addWidget(w);
    }
    row->addStretch(1);
    row->addWidget(png);
    row->addWidget(csv);
    m_smoothingSlider->setValue(static_cast<int>(std::lround(m_smoothing * kSmoothingSteps)));
    m_smoothingLabel->setText(tr("Smoothing %1").arg(m_smoothing, 0, 'f', 2));
    return controls;
}

QCustomPlot* TrainingChart::createPlot(const QString& valueLabel) {
    auto* plot = new QCustomPlot(this);
    plot->setMinimumSize(280, 200);
    plot->xAxis->setLabel(tr("epoch"));
    plot->yAxis->setLabel(valueLabel);
    plot->legend->setVisible(false);
    // Batches arrive many times a second; antialiased thousands of segments would cost more
    // than the data are worth, the curves are drawn decimated anyway.
    plot->setNotAntialiasedElements(QCP::aePlottables);
    plot->setNoAntialiasingOnDrag(true);
    return plot;
}

int TrainingChart::addRun(const QString& name) {
    auto run = std::make_unique<Run>();
    run->name = name;
    run->color = runColor(runCount());
    for (auto& metric : run->metrics) {
        metric.smoother = EmaSmoother(m_smoothing);
    }
    createGraphs(*run);
    m_runs.push_back(std::move(run));
    scheduleRedraw();
    return runCount() - 1;
}

void TrainingChart::createGraphs(Run& run) {
    const QColor faint(run.color.red(), run.color.green(), run.color.blue(), 60);
    for (size_t m = 0; m < kMetrics; ++m) {
        QCustomPlot* plot = m_plots[m];
        auto& graphs = run.graphs[m];
        for (QCPGraph*& graph : graphs) {
            graph = plot->addGraph();
            graph->removeFromLegend();
        }
        graphs[index(Series::RawBatches)]->setPen(QPen(faint, 1));
        graphs[index(Series::SmoothedBatches)]->setPen(QPen(run.color, 2));
        QCPGraph* epochs = graphs[index(Series::TrainingEpochs)];
        // Dots alone: a line between epoch means would read as a second training curve.
        epochs->setLineStyle(QCPGraph::lsNone);
        epochs->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, run.color, 6));
        QCPGraph* validation = graphs[index(Series::ValidationEpochs)];
        validation->setPen(QPen(run.color, 2, Qt::DashLine));
        validation->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(run.color, 1.5), Qt::white, 7));
        for (size_t s = 0; s < kSeries; ++s) {
            graphs[s]->setName(run.name);
        }
        if (m == index(Metric::Loss)) {
            graphs[index(Series::SmoothedBatches)]->addToLegend();
        }
    }
}

int TrainingChart::addRecord(const RunRecord& record) {
    const int run = addRun(runLabel(record.name, record.training));
    addBatches(run, record.batches);
    for (const EpochProgress& epoch : record.epochs) {
        addEpoch(run, epoch);
    }
    return run;
}

void TrainingChart::setRuns(const std::vector<RunRecord>& runs) {
    for (QCustomPlot* plot : m_plots) {
        plot->clearGraphs();
    }
    m_runs.clear();
    for (const RunRecord& run : runs) {
        addRecord(run);
    }
}

void TrainingChart::setRunName(int run, const QString& name) {
    Run& r = *m_runs.at(static_cast<size_t>(run));
    r.name = name;
    for (auto& graphs : r.graphs) {
        for (QCPGraph* graph : graphs) {
            graph->setName(name);
        }
    }
    scheduleRedraw();
}

void TrainingChart::addBatches(int run, const std::vector<BatchProgress>& batches) {
    Run& r = *m_runs.at(static_cast<size_t>(run));
    for (const BatchProgress& b : batches) {
        r.batchX.push_back(b.epoch - 1 +
                           static_cast<double>(b.batch) / std::max<int64_t>(b.batches, 1));
        for (size_t m = 0; m < kMetrics; ++m) {
            auto& series = r.metrics[m];
            series.raw.push_back(batchValue(b, m));
            series.smoothed.push_back(series.smoother.add(series.raw.back()));
        }
    }
    scheduleRedraw();
}

int TrainingChart::batchCount(int run) const {
    return static_cast<int>(m_runs.at(static_cast<size_t>(run))->batchX.size());
}

void TrainingChart::addEpoch(int run, const EpochProgress& epoch) {
    Run& r = *m_runs.at(static_cast<size_t>(run));
    r.epochX.push_back(epoch.epoch);
    auto& loss = r.metrics[index(Metric::Loss)];
    loss.training.push_back(epoch.loss);
    loss.validation.push_back(epoch.validationLoss);
    auto& accuracy = r.metrics[index(Metric::Accuracy)];
    accuracy.training.push_back(epoch.accuracy);
    accuracy.validation.push_back(epoch.validationAccuracy);
    scheduleRedraw();
}

void TrainingChart::setRunVisible(int run, bool visible) {
    m_runs.at(static_cast<size_t>(run))->visible = visible;
    scheduleRedraw();
}

bool TrainingChart::isRunVisible(int run) const {
    return m_runs.at(static_cast<size_t>(run))->visible;
}

void TrainingChart::setSmoothing(double weight) {
    weight = std::clamp(weight, 0.0, (kSmoothingSteps - 1) / double(kSmoothingSteps));
    if (weight == m_smoothing) {
        return;
    }
    m_smoothing = weight;
    m_smoothingLabel->setText(tr("Smoothing %1").arg(weight, 0, 'f', 2));
    {
        const QSignalBlocker block(m_smoothingSlider);
        m_smoothingSlider->setValue(static_cast<int>(std::lround(weight * kSmoothingSteps)));
    }
    for (auto& run : m_runs) {
        resmooth(*run);
    }
    scheduleRedraw();
}

void TrainingChart::resmooth(Run& run) {
    for (auto& series : run.metrics) {
        series.smoother = EmaSmoother(m_smoothing);
        series.smoothed.clear();
        for (double v : series.raw) {
            series.smoothed.push_back(series.smoother.add(v));
        }
    }
}

void TrainingChart::setLogScale(bool on) {
    {
        const QSignalBlocker block(m_logScale);
        m_logScale->setChecked(on);
    }
    QCPAxis* axis = m_plots[index(Metric::Loss)]->yAxis;
    axis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    axis->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                       : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    axis->setNumberFormat(on ? QStringLiteral("gb") : QStringLiteral("g"));
    scheduleRedraw();
}

bool TrainingChart::logScale() const {
    return m_plots[index(Metric::Loss)]->yAxis->scaleType() == QCPAxis::stLogarithmic;
}

void TrainingChart::setBatchesShown(bool shown) {
    m_batchesShown = shown;
    scheduleRedraw();
}

QCustomPlot* TrainingChart::plot(Metric metric) const {
    return m_plots[index(metric)];
}

QCPGraph* TrainingChart::graph(int run, Metric metric, Series series) const {
    return m_runs.at(static_cast<size_t>(run))->graphs[index(metric)][index(series)];
}

void TrainingChart::scheduleRedraw() {
    if (!m_redrawPending) {
        m_redrawPending = true;
        QTimer::singleShot(0, this, &TrainingChart::redraw);
    }
}

void TrainingChart::redraw() {
    m_redrawPending = false;
    for (size_t m = 0; m < kMetrics; ++m) {
        // One bucket per pixel column: min and max of each keep every spike visible.
        const int buckets = std::max(m_plots[m]->axisRect()->width(), 200);
        for (auto& run : m_runs) {
            updateRunGraphs(*run, m, buckets);
        }
        rescale(m_plots[m]);
        m_plots[m]->replot();
    }
}

void TrainingChart::updateRunGraphs(Run& run, size_t metric, int buckets) {
    auto& graphs = run.graphs[metric];
    const auto& series = run.metrics[metric];
    const bool batches = run.visible && m_batchesShown;
    graphs[index(Series::RawBatches)]->setVisible(batches);
    graphs[index(Series::SmoothedBatches)]->setVisible(batches);
    graphs[index(Series::TrainingEpochs)]->setVisible(run.visible);
    graphs[index(Series::ValidationEpochs)]->setVisible(run.visible);
    if (batches && !run.batchX.empty()) {
        const double from = run.batchX.front(), to = run.batchX.back();
        for (Series s : {Series::RawBatches, Series::SmoothedBatches}) {
            const auto& values = s == Series::RawBatches ? series.raw : series.smoothed;
            DecimatedSeries d = decimateMinMax(run.batchX, values, from, to, buckets);
            graphs[index(s)]->setData(d.x, d.y, true);
        }
    }
    // An epoch's training mean stands for its whole epoch: drawn at its middle, it sits on the
    // batch curve; validation is measured at the epoch's end.
    QVector<double> middles = toQVector(run.epochX);
    for (double& x : middles) {
        x -= 0.5;
    }
    graphs[index(Series::TrainingEpochs)]->setData(middles, toQVector(series.training), true);
    graphs[index(Series::ValidationEpochs)]->setData(toQVector(run.epochX),
                                                     toQVector(series.validation), true);
}

void TrainingChart::rescale(QCustomPlot* plot) {
    plot->rescaleAxes(true);
    QCPAxis* x = plot->xAxis;
    x->setRange(std::min(x->range().lower, 0.0), std::max(x->range().upper, 1.0));
    QCPAxis* y = plot->yAxis;
    if (y->scaleType() == QCPAxis::stLinear) {
        const double margin = std::max(y->range().size() * 0.05, 1e-3);
        y->setRange(y->range().lower - margin, y->range().upper + margin);
    } else {
        y->setRange(y->range().lower / 1.2, y->range().upper * 1.2);
    }
}

bool TrainingChart::exportPng(const QString& path) {
    redraw();
    return m_plotArea->grab().save(path, "PNG");
}

bool TrainingChart::exportCsv(const QString& path) const {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        return false;
    }
    QTextStream out(&file);
    writeCsv(out);
    out.flush();
    return out.status() == QTextStream::Ok && file.commit();
}

void TrainingChart::writeCsv(QTextStream& out) const {
    out << "run,kind,epoch,loss,accuracy,validation_loss,validation_accuracy\n";
    const size_t loss = index(Metric::Loss), accuracy = index(Metric::Accuracy);
    for (const auto& run : m_runs) {
        const QString name = csvText(run->name);
        const auto& l = run->metrics[loss];
        const auto& a = run->metrics[accuracy];
        for (size_t i = 0; i < run->batchX.size(); ++i) {
            out << name << ",batch," << csvNumber(run->batchX[i]) << ',' << csvNumber(l.raw[i])
                << ',' << csvNumber(a.raw[i]) << ",,\n";
        }
        for (size_t i = 0; i < run->epochX.size(); ++i) {
            out << name << ",epoch," << csvNumber(run->epochX[i]) << ',' << csvNumber(l.training[i])
                << ',' << csvNumber(a.training[i]) << ',' << csvNumber(l.validation[i]) << ','
                << csvNumber(a.validation[i]) << '\n';
        }
    }
}

void TrainingChart::chooseExportPath(bool png) {
    const QString path = QFileDialog::getSaveFileName(
        this, png ? tr("Export chart as PNG") : tr("Export chart data as CSV"), QString(),
        png ? tr("PNG image (*.png)") : tr("CSV table (*.csv)"));
    if (path.isEmpty()) {
        return;
    }
    if (!(png ? exportPng(path) : exportCsv(path))) {
        QMessageBox::warning(this, tr("Export failed"), tr("Could not write %1.").arg(path));
    }
}

}  // namespace loom
