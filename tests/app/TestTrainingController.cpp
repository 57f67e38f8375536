#include "ConfusionMatrixView.h"
#include "DrawingPad.h"
#include "ExplanationJob.h"
#include "MisclassifiedGallery.h"
#include "PredictView.h"
#include "RunsTable.h"
#include "SampleImage.h"
#include "TrainingChart.h"
#include "TrainingController.h"
#include "TrainingProgress.h"

#include <loom/Idx.h>
#include <loom/LocalRanks.h>

#include <qcustomplot.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QSplitter>
#include <QTemporaryDir>
#include <QTest>
#include <QVBoxLayout>

#include <numeric>

using namespace loom;
using Metric = TrainingChart::Metric;
using Series = TrainingChart::Series;

Q_DECLARE_METATYPE(loom::RunRecord)

/// The training controller end to end on real data: W1 (softmax regression) on Fashion-MNIST
/// trains on a worker thread while the chart and the progress bar fill, the run lands in the
/// project with its tables, stop and pause act within a batch, and failures arrive as messages.
class TestTrainingController : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void trainsW1AndRecordsTheRun();
    void pausesAndStopsPromptly();
    void trainsAsDataParallelWorkers();
    void reportsNonFiniteLoss();
    void reportsWhatKeepsARunFromStarting_data();
    void reportsWhatKeepsARunFromStarting();
    void refusesANetworkThatCannotTrain_data();
    void refusesANetworkThatCannotTrain();
    void screenshots();

private:
    static nlohmann::json readExample(const QString& name);
    static nlohmann::json w1Json();
    /// A model file (examples/w1_softmax.json by default) as a project on the CPU.
    static Project w1Project(int epochs, const nlohmann::json& json = w1Json());
    /// The controller's batches drawn on a chart, as the window wires them.
    static void connectChart(TrainingController& controller, TrainingChart& chart);
};

void TestTrainingController::initTestCase() {
    qRegisterMetaType<RunRecord>();
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
}

nlohmann::json TestTrainingController::readExample(const QString& name) {
    QFile file(qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name);
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("cannot read examples/%s; is LOOM_SOURCE_DIR set?", qPrintable(name));
    }
    const QByteArray bytes = file.readAll();
    return nlohmann::json::parse(bytes.begin(), bytes.end());
}

nlohmann::json TestTrainingController::w1Json() {
    return readExample(QStringLiteral("w1_softmax.json"));
}

Project TestTrainingController::w1Project(int epochs, const nlohmann::json& json) {
    Project project;
    project.graph = Graph::fromJson(json);
    project.training = TrainingConfig::fromJson(json["training"]);
    project.training.epochs = epochs;
    project.training.device = "cpu";
    project.data = json["data"];
    return project;
}

void TestTrainingController::connectChart(TrainingController& controller, TrainingChart& chart) {
    QObject::connect(&controller, &TrainingController::runStarted, &chart,
                     [&chart](int, const QString& name) { chart.addRun(name); });
    QObject::connect(&controller, &TrainingController::batchesReported, &chart,
                     &TrainingChart::addBatches);
    QObject::connect(&controller, &TrainingController::epochReported, &chart,
                     &TrainingChart::addEpoch);
}

void TestTrainingController::trainsW1AndRecordsTheRun() {
    Project project = w1Project(1);
    TrainingController controller(project);
    TrainingChart chart;
    TrainingProgress progress;
    connectChart(controller, chart);
    connect(
        &controller, &TrainingController::batchesReported, &progress,
        [&progress](int, const std::vector<BatchProgress>& b) { progress.showBatch(b.back()); });
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QSignalSpy failed(&controller, &TrainingController::trainingFailed);
    QSignalSpy results(&controller, &TrainingController::resultsReady);

    QVERIFY(controller.train());
    QCOMPARE(controller.state(), TrainingController::State::Running);
    QVERIFY(!controller.train());  // one run at a time
    QVERIFY(recorded.wait(110000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(controller.state(), TrainingController::State::Idle);
    qInfo("longest GUI event-loop stall while training: %.1f ms; longest drain tick %.1f ms",
          controller.longestStallMs(), controller.longestDrainMs());

    // 60,000 samples in batches of 32: every batch reached the chart and the record.
    chart.redraw();
    QCOMPARE(chart.batchCount(0), 1875);
    QVERIFY(chart.graph(0, Metric::Loss, Series::RawBatches)->dataCount() > 200);
    QCOMPARE(chart.graph(0, Metric::Accuracy, Series::TrainingEpochs)->dataCount(), 1);
    QCOMPARE(project.runs.size(), size_t(1));
    const RunRecord& run = project.runs[0];
    QCOMPARE(run.name, std::string("Run 1"));
    QCOMPARE(run.batches.size(), size_t(1875));
    QCOMPARE(run.epochs.size(), size_t(1));
    QCOMPARE(run.finished.reason, RunFinished::Reason::Completed);
    QCOMPARE(run.training["optimizer"]["type"], "sgd");
    QVERIFY(!run.startedAt.empty() && !run.finishedAt.empty());
    QVERIFY2(run.epochs[0].accuracy > 0.6, qPrintable(QString::number(run.epochs[0].accuracy)));
    // Accuracy rose: the last hundred batches beat the first hundred by far.
    const auto mean = [&](size_t from) {
        double sum = 0;
        for (size_t i = from; i < from + 100; ++i) {
            sum += run.batches[i].accuracy;
        }
        return sum / 100;
    };
    QVERIFY2(mean(1775) > mean(0) + 0.3,
             qPrintable(QString("%1 -> %2").arg(mean(0)).arg(mean(1775))));
    QCOMPARE(project.position.epoch, 1);
    QVERIFY(project.optimizer.has_value());
    QCOMPARE(progress.percent(), 100);
    QVERIFY(progress.detailsText().contains(QStringLiteral("batch 1875/1875")));

    // Results on the 10,000 test samples.
    QCOMPARE(results.count(), 1);
    const TrainingResults& r = *controller.results();
    QCOMPARE(r.heldOutName, QStringLiteral("test"));
    QCOMPARE(r.classNames.size(), 10);
    QCOMPARE(std::accumulate(r.confusion.begin(), r.confusion.end(), int64_t{0}), int64_t{10000});
    QVERIFY(r.accuracy > 0.6);
    QVERIFY(!r.mistakes.empty());
    QVERIFY(r.mistakes[0].trueClass != r.mistakes[0].predictedClass);

    // Predict on a picture file of a test sample.
    Dataset test = loadFashionMnist("/usr/share/datasets/fashion-mnist", true);
    QTemporaryDir dir;
    const QString picture = dir.filePath(QStringLiteral("sample.png"));
    QVERIFY(sampleImage(test.samples, 0).save(picture));
    const Prediction p = controller.predictImage(picture);
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.top.size(), size_t(5));
    QVERIFY(p.top[0].second >= p.top[1].second && p.top[0].second <= 1.0);
    QCOMPARE(p.image.size(), QSize(28, 28));
    QCOMPARE(p.classIndex, int64_t(r.classNames.indexOf(p.top[0].first)));

    // A misclassified sample, chosen in the gallery, gets the answer it got on the test set.
    const Prediction mistake = controller.predictHeldOut(r.mistakes[0].sample);
    QVERIFY2(mistake.error.isEmpty(), qPrintable(mistake.error));
    QCOMPARE(mistake.classIndex, r.mistakes[0].predictedClass);

    // A digit drawn on the pad: this W1 takes 28x28 grey pictures.
    DrawingPad pad;
    pad.drawStroke({QPointF(140, 40), QPointF(140, 240)});
    const Prediction drawn = controller.predictDrawing(pad.ink());
    QVERIFY2(drawn.error.isEmpty(), qPrintable(drawn.error));
    QCOMPARE(drawn.top.size(), size_t(5));

    // Why it said what it said, on a worker thread with its own copy of the network.
    std::optional<TrainedModel> model = controller.trainedModel();
    QVERIFY(model.has_value());
    QCOMPARE(model->picture, (Shape{1, 28, 28}));
    ExplanationJob job;
    QSignalSpy explained(&job, &ExplanationJob::finished);
    job.start(std::move(*model), p);
    QVERIFY(explained.wait(60000));
    const auto explanation = explained.first().first().value<Explanation>();
    QVERIFY2(explanation.error.isEmpty(), qPrintable(explanation.error));
    QCOMPARE(explanation.maps.size(), 2);  // saliency and occlusion; W1 has no convolution
    QCOMPARE(explanation.maps[0].map.shape(), (Shape{28, 28}));
}

void TestTrainingController::pausesAndStopsPromptly() {
    Project project = w1Project(50);
    TrainingController controller(project);
    TrainingChart chart;
    connectChart(controller, chart);
    QSignalSpy batches(&controller, &TrainingController::batchesReported);
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QVERIFY(controller.train());
    QVERIFY(batches.wait(60000));

    controller.setPaused(true);
    QCOMPARE(controller.state(), TrainingController::State::Paused);
    // The worker is held between two batches and every batch it reported is on the chart.
    QVERIFY(controller.waitUntilPaused(30000));
    const int whilePaused = chart.batchCount(0);

    // Stop while paused: the run ends at once, recorded as stopped.
    QElapsedTimer timer;
    timer.start();
    controller.stop();
    QCOMPARE(controller.state(), TrainingController::State::Stopping);
    QVERIFY(recorded.wait(10000));
    qInfo("stopped %lld ms after the request", static_cast<long long>(timer.elapsed()));
    QVERIFY(timer.elapsed() < 3000);
    QCOMPARE(controller.state(), TrainingController::State::Idle);
    QCOMPARE(project.runs.size(), size_t(1));
    QCOMPARE(project.runs[0].finished.reason, RunFinished::Reason::Stopped);
    // Nothing trained after the pause took effect: the chart saw every batch of the run.
    QCOMPARE(project.runs[0].batches.size(), size_t(whilePaused));
    QCOMPARE(chart.batchCount(0), whilePaused);
    QVERIFY(!project.runs[0].batches.empty());
    QVERIFY(project.runs[0].epochs.size() < 50);
}

void TestTrainingController::trainsAsDataParallelWorkers() {
    if (!dataParallelUnavailableReason().empty()) {
        QSKIP(dataParallelUnavailableReason().c_str());
    }
    Project project = w1Project(1);
    project.training.workers = 2;
    TrainingController controller(project);
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QSignalSpy failed(&controller, &TrainingController::trainingFailed);
    QSignalSpy status(&controller, &TrainingController::deviceStatusChanged);
    QVERIFY(controller.train());
    QVERIFY(recorded.wait(110000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(status.first().first().toString().contains(QStringLiteral("2 workers")));
    // One run of global batches of 2 x 32: 60,000 samples in 938 steps.
    const RunRecord& run = project.runs.at(0);
    QCOMPARE(run.finished.reason, RunFinished::Reason::Completed);
    QCOMPARE(run.batches.size(), size_t(938));
    QVERIFY2(run.epochs.at(0).accuracy > 0.6, qPrintable(QString::number(run.epochs[0].accuracy)));
    QVERIFY(controller.results()->accuracy > 0.6);

    // Paused, every worker waits (however long); stopped, they all end after one more step.
    project.training.epochs = 20;
    QSignalSpy batches(&controller, &TrainingController::batchesReported);
    QVERIFY(controller.train());
    QVERIFY(batches.wait(60000));
    controller.setPaused(true);
    QVERIFY(controller.waitUntilPaused(30000));
    QElapsedTimer timer;
    timer.start();
    controller.stop();
    QVERIFY(recorded.wait(10000));
    qInfo("2 workers stopped %lld ms after the request", static_cast<long long>(timer.elapsed()));
    QVERIFY(timer.elapsed() < 3000);
    QCOMPARE(project.runs.at(1).finished.reason, RunFinished::Reason::Stopped);
    QCOMPARE(failed.count(), 0);
}

void TestTrainingController::reportsNonFiniteLoss() {
    // A linear output on raw pixels with a squared loss and a huge step overflows in a few
    // batches.
    nlohmann::json json = w1Json();
    json["layers"][1]["params"]["activation"] = "linear";
    json["training"]["loss"] = "mean_squared_error";
    json["training"]["optimizer"]["params"]["learning_rate"] = 10;
    json["data"]["normalization"] = "none";
    // The divergence guard would stop it first (engine_TestTraining covers that path).
    json["training"]["divergence_guard"] = {{"action", "off"}};
    Project project = w1Project(1, json);
    TrainingController controller(project);
    QSignalSpy failed(&controller, &TrainingController::trainingFailed);
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QVERIFY(controller.train());
    QVERIFY(recorded.wait(60000));
    QCOMPARE(failed.count(), 1);
    const QString message = failed[0][0].toString();
    QVERIFY2(message.contains(QStringLiteral("NaN")) || message.contains("infinite"),
             qPrintable(message));
    const RunRecord& run = project.runs.at(0);
    QCOMPARE(run.finished.reason, RunFinished::Reason::NonFinite);
    // The layer goes to the canvas as the engine named it (none when only the loss overflowed).
    QCOMPARE(failed[0][1].toString(), QString::fromStdString(run.finished.layer));
    QVERIFY(run.batches.size() < 100);
}

void TestTrainingController::reportsWhatKeepsARunFromStarting_data() {
    QTest::addColumn<QString>("setting");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing file") << "data"
                                  << R"({"source": "csv:/no/such/file.csv"})"
                                  << "/no/such/file.csv";
    QTest::newRow("bad learning rate")
        << "training"
        << R"({"optimizer": {"type": "sgd", "params": {"learning_rate": 1e30}}})"
        << "learning_rate";
}

void TestTrainingController::reportsWhatKeepsARunFromStarting() {
    QFETCH(QString, setting);
    QFETCH(QString, value);
    QFETCH(QString, message);
    Project project = w1Project(1);
    const nlohmann::json json = nlohmann::json::parse(value.toStdString());
    if (setting == "data") {
        project.data = json;
    } else {
        project.training = TrainingConfig::fromJson(json);
        project.training.device = "cpu";
    }
    TrainingController controller(project);
    QSignalSpy failed(&controller, &TrainingController::trainingFailed);
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QVERIFY(controller.train());
    QVERIFY(failed.wait(30000));
    QVERIFY2(failed[0][0].toString().contains(message), qPrintable(failed[0][0].toString()));
    QTRY_COMPARE(controller.state(), TrainingController::State::Idle);
    QVERIFY(project.runs.empty());
    QCOMPARE(recorded.count(), 0);
}

void TestTrainingController::refusesANetworkThatCannotTrain_data() {
    QTest::addColumn<QString>("layers");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << "[]"
                           << "The network is empty";
    QTest::newRow("two inputs")
        << R"([{"name": "input", "type": "Input", "params": {"shape": [784]}},
        {"name": "input_1", "type": "Input", "params": {"shape": [784]}}])"
        << "2 (input, input_1) Input layers";
    QTest::newRow("unwired") << R"([{"name": "dense", "type": "Dense", "params": {"units": 10}}])"
                             << "layer 'dense' takes 1 input(s) but has 0";
}

/// A network that cannot train is refused before a run starts, with the reason in the person's
/// words: no run is recorded and no worker starts.
void TestTrainingController::refusesANetworkThatCannotTrain() {
    QFETCH(QString, layers);
    QFETCH(QString, message);
    nlohmann::json json = w1Json();
    json["layers"] = nlohmann::json::parse(layers.toStdString());
    json.erase("outputs");
    Project project = w1Project(1, json);
    TrainingController controller(project);
    QSignalSpy failed(&controller, &TrainingController::trainingFailed);
    QVERIFY(!controller.train());
    QCOMPARE(failed.count(), 1);
    QVERIFY2(failed[0][0].toString().contains(message), qPrintable(failed[0][0].toString()));
    QCOMPARE(controller.state(), TrainingController::State::Idle);
    QVERIFY(project.runs.empty());
}

/// Pictures of the training widgets with real runs, for a person to look at (set LOOM_GUI_SHOTS
/// to a folder): charts.png while W4 trains (also measuring the event-loop stall under a
/// CNN at full speed), runs-overlay.png with SGD, RMSprop and Adagrad on the W2 MLP, and
/// results.png with the confusion matrix, the misclassified gallery and a prediction.
void TestTrainingController::screenshots() {
    const QString folder = qEnvironmentVariable("LOOM_GUI_SHOTS");
    if (folder.isEmpty()) {
        QSKIP("set LOOM_GUI_SHOTS to a folder to take the screenshots");
    }
    QVERIFY(QDir().mkpath(folder));
    QWidget window;
    window.resize(1280, 760);
    auto* progress = new TrainingProgress(&window);
    auto* chart = new TrainingChart(&window);
    auto* runs = new RunsTable(&window);
    auto* splitter = new QSplitter(Qt::Vertical, &window);
    splitter->addWidget(chart);
    splitter->addWidget(runs);
    splitter->setSizes({560, 160});
    auto* layout = new QVBoxLayout(&window);
    layout->addWidget(progress);
    layout->addWidget(splitter, 1);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // W4 at full speed for a while, then stopped: the live chart and the stall.
    Project cnn = w1Project(1, readExample(QStringLiteral("w4_cnn.json")));
    {
        TrainingController controller(cnn);
        connectChart(controller, *chart);
        connect(&controller, &TrainingController::batchesReported, progress,
                [progress](int, const std::vector<BatchProgress>& b) {
                    progress->showBatch(b.back());
                });
        connect(&controller, &TrainingController::deviceStatusChanged, progress,
                &TrainingProgress::setDeviceStatus);
        QSignalSpy recorded(&controller, &TrainingController::runRecorded);
        QVERIFY(controller.train());
        QTest::qWait(25000);
        QVERIFY(window.grab().save(folder + "/charts.png"));
        controller.stop();
        QVERIFY(recorded.wait(120000));
        qInfo(
            "W4 CNN: longest GUI event-loop stall %.1f ms, longest drain tick %.1f ms, %zu "
            "batches",
            controller.longestStallMs(), controller.longestDrainMs(), cnn.runs[0].batches.size());
    }

    // The classic comparison on the W2 MLP, each optimizer from the same initial weights.
    Project mlp = w1Project(3, readExample(QStringLiteral("w2_mlp_fashion.json")));
    chart->setRuns({});
    TrainingController controller(mlp);
    connectChart(controller, *chart);
    connect(&controller, &TrainingController::runRecorded, runs,
            [runs](int, const RunRecord& run) { runs->addRun(run); });
    connect(
        &controller, &TrainingController::batchesReported, progress,
        [progress](int, const std::vector<BatchProgress>& b) { progress->showBatch(b.back()); });
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    const std::vector<std::pair<std::string, double>> optimizers = {
        {"sgd", 0.01}, {"rmsprop", 0.001}, {"adagrad", 0.01}};
    for (const auto& [optimizer, rate] : optimizers) {
        mlp.training.optimizer = optimizer;
        mlp.training.optimizerParams = {{"learning_rate", rate}};
        QVERIFY(controller.train(TrainingController::Start::FromScratch));
        QVERIFY(recorded.wait(300000));
    }
    chart->redraw();
    QVERIFY(window.grab().save(folder + "/runs-overlay.png"));

    QWidget results;
    results.resize(1280, 620);
    auto* matrix = new ConfusionMatrixView(&results);
    auto* gallery = new MisclassifiedGallery(&results);
    auto* predict = new PredictView(&results);
    const TrainingResults& r = *controller.results();
    matrix->setMatrix(r.classNames, r.confusion);
    gallery->setMistakes(r.mistakes, r.classNames);
    Dataset test = loadFashionMnist("/usr/share/datasets/fashion-mnist", true);
    const QString picture = folder + "/sample.png";
    QVERIFY(sampleImage(test.samples, 0).save(picture));
    const Prediction p = controller.predictImage(picture);
    predict->setPrediction(p.image, p.top);
    auto* side = new QSplitter(Qt::Vertical, &results);
    side->addWidget(gallery);
    side->addWidget(predict);
    auto* row = new QHBoxLayout(&results);
    row->addWidget(matrix, 3);
    row->addWidget(side, 2);
    results.show();
    QVERIFY(QTest::qWaitForWindowExposed(&results));
    QVERIFY(results.grab().save(folder + "/results.png"));
}

QTEST_MAIN(TestTrainingController)
#include "TestTrainingController.moc"
