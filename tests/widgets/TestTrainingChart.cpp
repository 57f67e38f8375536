#include "SeriesMath.h"
#include "TrainingChart.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QElapsedTimer>
#include <QFile>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace loom;
using Metric = TrainingChart::Metric;
using Series = TrainingChart::Series;

/// The training chart as its users rely on it: every point it is given is drawn, smoothing and
/// the log scale do what they say, earlier runs come and go, exports hold the numbers, and a
/// long run stays cheap to redraw without losing a spike.
class TestTrainingChart : public QObject {
    Q_OBJECT

private slots:
    void drawsTheBatchesAndEpochsItIsGiven();
    void smoothsBatchesWithTheSlidersWeight();
    void logScaleAppliesToLossOnly();
    void overlaidRunsToggleAndKeepTheirColours();
    void exportsEveryRawNumberAsCsv();
    void exportsAPicture();
    void decimationKeepsEachBucketsExtremes();
    void decimationLeavesShortSeriesWhole();
    void redrawsHalfAMillionBatchesQuickly();

private:
    /// n batches of `perEpoch` each, with loss f(i) and accuracy 1 - f(i) / 10.
    static std::vector<BatchProgress> batches(int n, int perEpoch,
                                              const std::function<double(int)>& f);
    static std::vector<double> values(const QCPGraph* graph);
    static RunRecord record(const std::string& name, int n);
};

std::vector<BatchProgress> TestTrainingChart::batches(int n, int perEpoch,
                                                      const std::function<double(int)>& f) {
    std::vector<BatchProgress> out;
    for (int i = 0; i < n; ++i) {
        BatchProgress b;
        b.epoch = i / perEpoch + 1;
        b.epochs = (n + perEpoch - 1) / perEpoch;
        b.batch = i % perEpoch + 1;
        b.batches = perEpoch;
        b.step = i;
        b.loss = f(i);
        b.accuracy = 1 - f(i) / 10;
        out.push_back(b);
    }
    return out;
}

std::vector<double> TestTrainingChart::values(const QCPGraph* graph) {
    std::vector<double> v;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
        v.push_back(it->value);
    }
    return v;
}

RunRecord TestTrainingChart::record(const std::string& name, int n) {
    RunRecord r;
    r.name = name;
    r.batches = batches(n, n, [](int i) { return 2.0 / (i + 1); });
    EpochProgress e;
    e.epoch = 1;
    e.loss = 0.5;
    e.accuracy = 0.8;
    e.validationLoss = 0.6;
    e.validationAccuracy = 0.75;
    r.epochs = {e};
    return r;
}

void TestTrainingChart::drawsTheBatchesAndEpochsItIsGiven() {
    TrainingChart chart;
    const int run = chart.addRun(QStringLiteral("Run 1"));
    chart.addBatches(run, batches(100, 50, [](int i) { return 3.0 - i * 0.01; }));
    EpochProgress epoch;
    epoch.epoch = 1;
    epoch.loss = 2.5;
    epoch.accuracy = 0.7;
    epoch.validationLoss = 2.6;
    epoch.validationAccuracy = 0.65;
    chart.addEpoch(run, epoch);
    chart.redraw();

    const QCPGraph* raw = chart.graph(run, Metric::Loss, Series::RawBatches);
    QCOMPARE(raw->dataCount(), 100);
    QCOMPARE(raw->data()->at(0)->key, 1.0 / 50);  // batch 1 of 50 in epoch 1
    QCOMPARE(raw->data()->at(99)->key, 2.0);      // the last batch of epoch 2
    QCOMPARE(raw->data()->at(10)->value, 2.9);
    QCOMPARE(chart.graph(run, Metric::Accuracy, Series::RawBatches)->data()->at(10)->value, 0.71);
    const QCPGraph* validation = chart.graph(run, Metric::Accuracy, Series::ValidationEpochs);
    QCOMPARE(validation->dataCount(), 1);
    QCOMPARE(validation->data()->at(0)->key, 1.0);
    QCOMPARE(validation->data()->at(0)->value, 0.65);
    const QCPGraph* training = chart.graph(run, Metric::Loss, Series::TrainingEpochs);
    QCOMPARE(training->data()->at(0)->key, 0.5);  // the epoch's mean, in its middle
    QCOMPARE(training->data()->at(0)->value, 2.5);
    // The axes take in everything drawn.
    QVERIFY(chart.plot(Metric::Loss)->xAxis->range().contains(2.0));
    QVERIFY(chart.plot(Metric::Loss)->yAxis->range().contains(3.0));
}

void TestTrainingChart::smoothsBatchesWithTheSlidersWeight() {
    TrainingChart chart;
    const int run = chart.addRun(QStringLiteral("noisy"));
    // Loss alternating 1 and 3: its smoothed curve must settle near 2.
    chart.addBatches(run, batches(400, 400, [](int i) { return i % 2 ? 3.0 : 1.0; }));
    auto* slider = chart.findChild<QSlider*>(QStringLiteral("smoothingSlider"));
    QVERIFY(slider);
    slider->setValue(95);
    QCOMPARE(chart.smoothing(), 0.95);
    chart.redraw();
    std::vector<double> smoothed = values(chart.graph(run, Metric::Loss, Series::SmoothedBatches));
    QCOMPARE(smoothed.size(), size_t(400));
    QCOMPARE(smoothed.front(), 1.0);  // corrected for its start, not pulled towards zero
    for (size_t i = 300; i < smoothed.size(); ++i) {
        QVERIFY2(std::abs(smoothed[i] - 2.0) < 0.1, qPrintable(QString::number(smoothed[i])));
    }
    chart.setSmoothing(0);
    chart.redraw();
    QCOMPARE(values(chart.graph(run, Metric::Loss, Series::SmoothedBatches)),
             values(chart.graph(run, Metric::Loss, Series::RawBatches)));
    QCOMPARE(slider->value(), 0);
}

void TestTrainingChart::logScaleAppliesToLossOnly() {
    TrainingChart chart;
    chart.addRecord(record("Run 1", 200));
    auto* box = chart.findChild<QCheckBox*>(QStringLiteral("logScale"));
    QVERIFY(box);
    box->setChecked(true);
    QVERIFY(chart.logScale());
    chart.redraw();
    QCOMPARE(chart.plot(Metric::Loss)->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(chart.plot(Metric::Accuracy)->yAxis->scaleType(), QCPAxis::stLinear);
    // Loss falls from 2 to 0.01: a log axis spans it with a positive lower end.
    const QCPRange range = chart.plot(Metric::Loss)->yAxis->range();
    QVERIFY(range.lower > 0 && range.lower <= 0.01 && range.upper >= 2);
    chart.setLogScale(false);
    QVERIFY(!box->isChecked());
    QCOMPARE(chart.plot(Metric::Loss)->yAxis->scaleType(), QCPAxis::stLinear);
}

void TestTrainingChart::overlaidRunsToggleAndKeepTheirColours() {
    TrainingChart chart;
    chart.setRuns({record("SGD", 100), record("RMSprop", 100), record("Adagrad", 100)});
    QCOMPARE(chart.runCount(), 3);
    chart.setRunVisible(1, false);
    chart.redraw();
    for (Series s : {Series::RawBatches, Series::SmoothedBatches, Series::TrainingEpochs,
                     Series::ValidationEpochs}) {
        QVERIFY(chart.graph(0, Metric::Loss, s)->visible());
        QVERIFY(!chart.graph(1, Metric::Loss, s)->visible());
        QVERIFY(!chart.graph(1, Metric::Accuracy, s)->visible());
        QVERIFY(chart.graph(2, Metric::Accuracy, s)->visible());
    }
    QVERIFY(!chart.isRunVisible(1));
    chart.setRunVisible(1, true);
    chart.redraw();
    QVERIFY(chart.graph(1, Metric::Loss, Series::SmoothedBatches)->visible());
    const QColor first = chart.graph(0, Metric::Loss, Series::SmoothedBatches)->pen().color();
    const QColor second = chart.graph(1, Metric::Loss, Series::SmoothedBatches)->pen().color();
    QVERIFY(first != second);
    // The legend names each run once.
    QCOMPARE(chart.plot(Metric::Loss)->legend->itemCount(), 3);
    QCOMPARE(chart.graph(2, Metric::Loss, Series::SmoothedBatches)->name(),
             QStringLiteral("Adagrad (sgd, lr 0.01)"));
}

void TestTrainingChart::exportsEveryRawNumberAsCsv() {
    TrainingChart chart;
    chart.addRecord(record("Run, the first", 3));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("chart.csv"));
    QVERIFY(chart.exportCsv(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 3 + 1);
    QCOMPARE(lines[0],
             QStringLiteral("run,kind,epoch,loss,accuracy,validation_loss,validation_accuracy"));
    QCOMPARE(lines[1],
             QStringLiteral("\"Run, the first (sgd, lr 0.01)\",batch,0.333333333,2,0.8,,"));
    QCOMPARE(lines[3],
             QStringLiteral("\"Run, the first (sgd, lr 0.01)\",batch,1,0.666666667,0.933333333,,"));
    QCOMPARE(lines[4],
             QStringLiteral("\"Run, the first (sgd, lr 0.01)\",epoch,1,0.5,0.8,0.6,0.75"));
    QVERIFY(!chart.exportCsv(dir.filePath(QStringLiteral("no/such/folder/chart.csv"))));
}

void TestTrainingChart::exportsAPicture() {
    TrainingChart chart;
    chart.resize(900, 400);
    chart.addRecord(record("Run 1", 50));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("chart.png"));
    QVERIFY(chart.exportPng(path));
    const QImage image(path);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() > 400 && image.height() > 200);
}

void TestTrainingChart::decimationKeepsEachBucketsExtremes() {
    std::vector<double> x, y;
    for (int i = 0; i < 100000; ++i) {
        x.push_back(i);
        y.push_back(std::sin(i * 0.001) + ((i * 7919) % 101) / 1000.0);
    }
    y[12345] = 50;  // single-batch spikes must survive
    y[67890] = -50;
    const int buckets = 500;
    const DecimatedSeries d = decimateMinMax(x, y, 0, 99999, buckets);
    QVERIFY(d.x.size() <= 2 * buckets + 2);
    QVERIFY(std::is_sorted(d.x.begin(), d.x.end()));
    QVERIFY(d.y.contains(50.0) && d.y.contains(-50.0));
    QCOMPARE(d.x.front(), 0.0);
    QCOMPARE(d.x.back(), 99999.0);
    // Each bucket's largest and smallest value is among the kept points.
    const double width = 99999.0 / buckets;
    for (int b = 1; b < buckets - 1; b += 37) {
        const auto begin = static_cast<size_t>(std::floor(b * width)) + 1;
        const auto end = static_cast<size_t>(std::floor((b + 1) * width)) + 1;
        const auto [low, high] = std::minmax_element(y.begin() + begin, y.begin() + end);
        QVERIFY2(d.y.contains(*high), qPrintable(QString("bucket %1 lost its max").arg(b)));
        QVERIFY2(d.y.contains(*low), qPrintable(QString("bucket %1 lost its min").arg(b)));
    }
}

void TestTrainingChart::decimationLeavesShortSeriesWhole() {
    const std::vector<double> x{0, 1, 2, 3, 4}, y{5, 4, 3, 2, 1};
    const DecimatedSeries whole = decimateMinMax(x, y, 0, 4, 10);
    QCOMPARE(whole.y, QVector<double>({5, 4, 3, 2, 1}));
    const DecimatedSeries part = decimateMinMax(x, y, 1, 3, 10);
    QCOMPARE(part.x, QVector<double>({1, 2, 3}));
    QVERIFY(decimateMinMax(x, y, 10, 20, 10).x.isEmpty());
}

void TestTrainingChart::redrawsHalfAMillionBatchesQuickly() {
    TrainingChart chart;
    chart.resize(1200, 500);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const int run = chart.addRun(QStringLiteral("long run"));
    const int n = 500000;
    chart.addBatches(run, batches(n, 5000, [](int i) {
                         return 1.0 / (1 + i * 1e-4) + ((i * 37) % 101) / 500.0 +
                                (i == 250000 ? 9 : 0);
                     }));
    chart.redraw();
    QElapsedTimer timer;
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
        timer.start();
        chart.redraw();
        ms.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    qInfo(
        "redraw of %d batches (loss and accuracy, raw and smoothed): median %.1f ms, "
        "slowest %.1f ms",
        n, ms[2], ms.back());
    const QCPGraph* raw = chart.graph(run, Metric::Loss, Series::RawBatches);
    const int width = chart.plot(Metric::Loss)->axisRect()->width();
    QVERIFY(raw->dataCount() <= 2 * std::max(width, 200) + 2);
    QCOMPARE(raw->data()->at(raw->dataCount() - 1)->key, 100.0);  // the last batch is drawn
    const std::vector<double> drawn = values(raw);
    QVERIFY(*std::max_element(drawn.begin(), drawn.end()) > 9);  // the one spike is drawn
    // Generous for a shared 2-core machine; typically a few tens of milliseconds.
    QVERIFY2(ms[2] < 250, qPrintable(QString::number(ms[2])));
}

QTEST_MAIN(TestTrainingChart)
#include "TestTrainingChart.moc"
