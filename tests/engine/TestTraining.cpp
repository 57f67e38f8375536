// Training on real data: the tutorial networks on Fashion-MNIST must reach the published
// accuracies (thresholds from issue 3), stop and pause must work within a batch, NaN must stop
// training naming the layer, and CPU training must be bit-for-bit reproducible.

#include <loom/BackgroundRun.h>
#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Idx.h>
#include <loom/Trainer.h>

#include <QtTest>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <variant>

using namespace loom;

namespace {

const char* const kFashionMnist = "/usr/share/datasets/fashion-mnist";

struct FashionMnist {
    Dataset train, test;
};

// Loaded once per process: pixels scaled to [0, 1].
const FashionMnist& fashionMnist() {
    static const FashionMnist data = [] {
        FashionMnist d{loadFashionMnist(kFashionMnist, false),
                       loadFashionMnist(kFashionMnist, true)};
        Normalization::divideBy(255.0).apply(d.train);
        Normalization::divideBy(255.0).apply(d.test);
        return d;
    }();
    return data;
}

Dataset flattened(const Dataset& d) {
    Dataset f = d;
    f.samples = d.samples.reshape(Shape{d.size(), d.sampleShape().numel()});
    return f;
}

/// A progress sink that counts the worker's batches; the test can wait for them, with a deadline.
class BatchCounter : public ProgressSink {
public:
    void report(const ProgressEvent& event) override {
        {
            std::lock_guard lock(m_mutex);
            m_batches += std::holds_alternative<BatchProgress>(event) ? 1 : 0;
        }
        m_reported.notify_all();
    }
    /// True once at least n batches were reported; false when `timeout` passed first.
    bool waitForBatches(int64_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_mutex);
        return m_reported.wait_for(lock, timeout, [&] { return m_batches >= n; });
    }
    int64_t batches() {
        std::lock_guard lock(m_mutex);
        return m_batches;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_reported;
    int64_t m_batches = 0;
};

/// Joins a worker thread when the test leaves early (a failed QVERIFY), stopping its run first.
class StopAndJoin {
public:
    StopAndJoin(std::thread& worker, RunControl& control) : m_worker(worker), m_control(control) {}
    ~StopAndJoin() {
        if (m_worker.joinable()) {
            m_control.requestStop();
            m_worker.join();
        }
    }
    StopAndJoin(const StopAndJoin&) = delete;
    StopAndJoin& operator=(const StopAndJoin&) = delete;

private:
    std::thread& m_worker;
    RunControl& m_control;
};

constexpr std::chrono::seconds kDeadline{60};

Graph softmaxRegression() {
    Graph g;
    g.add("Input", "input", {{"shape", {784}}});
    g.add("Dense", "dense", {{"units", 10}, {"activation", "softmax"}}, {"input"});
    return g;
}

TrainingConfig sgd(double lr, int64_t batch, int epochs) {
    TrainingConfig c;
    c.optimizer = "sgd";
    c.optimizerParams = {{"learning_rate", lr}};
    c.batchSize = batch;
    c.epochs = epochs;
    c.seed = 12345;
    return c;
}

struct Timed {
    double accuracy;
    double seconds;
};

Timed trainAndTest(Graph& g, const TrainingConfig& config, bool flatten) {
    const FashionMnist& data = fashionMnist();
    Dataset train = flatten ? flattened(data.train) : data.train;
    Dataset test = flatten ? flattened(data.test) : data.test;
    Trainer trainer(g, config);
    auto start = std::chrono::steady_clock::now();
    TrainingHistory h = trainer.fit(train, nullptr);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EvaluationResult r = trainer.evaluate(test);
    qInfo("%s: %d epoch(s) in %.1f s, train loss %.4f, test accuracy %.4f", g.name().c_str(),
          config.epochs, seconds, h.epochs.back().loss, r.metrics->accuracy());
    return {r.metrics->accuracy(), seconds};
}

// W4: conv32-conv64-pool-dropout-dense128-dropout-dense10 on 1x28x28 pictures.
Graph w4Cnn() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, 28, 28}}});
    g.add("Conv2D", "conv2d", {{"filters", 32}, {"kernel_size", {3, 3}}, {"activation", "relu"}},
          {"input"});
    g.add("Conv2D", "conv2d_1", {{"filters", 64}, {"kernel_size", {3, 3}}, {"activation", "relu"}},
          {"conv2d"});
    g.add("MaxPool2D", "pool", {{"pool_size", {2, 2}}}, {"conv2d_1"});
    g.add("Dropout", "dropout", {{"rate", 0.25}}, {"pool"});
    g.add("Flatten", "flatten", {}, {"dropout"});
    g.add("Dense", "dense", {{"units", 128}, {"activation", "relu"}}, {"flatten"});
    g.add("Dropout", "dropout_1", {{"rate", 0.5}}, {"dense"});
    g.add("Dense", "dense_1", {{"units", 10}, {"activation", "softmax"}}, {"dropout_1"});
    return g;
}

}  // namespace

class TestTraining : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void w1SoftmaxRegressionReaches83Percent();
    void w2MlpReaches88Percent();
    void w4CnnReaches91Percent();
    void stopAndPauseTakeEffectWithinABatch();
    void nonFiniteLossStopsAndNamesTheLayer();
    void sameSeedGivesBitIdenticalWeights();
    void learningRateSchedules_data();
    void learningRateSchedules();
    void earlyStoppingRestoresBestWeights();
    void plateauScheduleLowersTheRate();
    void validationAndPerEpochMetricsAreReported();
    void backgroundRunStopsOnDestructionAndReportsErrors();
    void nonFiniteInputNamesTheData();
    void divergenceGuardStopsW4AtLearningRate10();
    void divergenceGuardCanOnlyWarn();
    void divergenceGuardSettingRoundTrips();
};

void TestTraining::initTestCase() {
    if (!QFile::exists(QString(kFashionMnist) + "/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    QCOMPARE(fashionMnist().train.size(), int64_t{60000});
    QCOMPARE(fashionMnist().test.size(), int64_t{10000});
}

void TestTraining::w1SoftmaxRegressionReaches83Percent() {
    Graph g = softmaxRegression();
    g.setName("W1 softmax regression");
    Timed t = trainAndTest(g, sgd(0.01, 32, 20), true);
    QVERIFY2(t.accuracy >= 0.83, qPrintable(QString("test accuracy %1").arg(t.accuracy)));
}

void TestTraining::w2MlpReaches88Percent() {
    // The dogs-vs-cats MLP's shape on Fashion-MNIST's 784 inputs, with RMSprop (one of the
    // optimizers the tutorial compares).
    Graph g;
    g.setName("W2 MLP");
    g.add("Input", "input", {{"shape", {784}}});
    g.add("Dense", "dense",
          {{"units", 768}, {"activation", "relu"}, {"kernel_initializer", "uniform"}}, {"input"});
    g.add("Dense", "dense_1", {{"units", 384}, {"activation", "relu"}}, {"dense"});
    g.add("Dense", "dense_2", {{"units", 10}, {"activation", "softmax"}}, {"dense_1"});
    TrainingConfig c = sgd(0.001, 128, 12);
    c.optimizer = "rmsprop";
    Timed t = trainAndTest(g, c, true);
    QVERIFY2(t.accuracy >= 0.88, qPrintable(QString("test accuracy %1").arg(t.accuracy)));
}

void TestTraining::w4CnnReaches91Percent() {
    Graph g = w4Cnn();
    g.setName("W4 CNN");
    TrainingConfig c = sgd(0.001, 128, 5);
    c.optimizer = "adam";
    Timed t = trainAndTest(g, c, false);
    QVERIFY2(t.accuracy >= 0.91, qPrintable(QString("test accuracy %1").arg(t.accuracy)));
}

void TestTraining::stopAndPauseTakeEffectWithinABatch() {
    Graph g = softmaxRegression();
    Trainer trainer(g, sgd(0.01, 32, 5));
    Dataset train = flattened(fashionMnist().train);
    RunControl control;
    BatchCounter counter;
    control.setPaused(true);
    TrainingHistory history;
    std::thread worker([&] { history = trainer.fit(train, nullptr, &counter, &control); });
    StopAndJoin joinOnExit(worker, control);
    // Held at its first checkpoint, which comes before the first batch: nothing reported.
    QVERIFY(control.waitUntilHeld(kDeadline));
    QCOMPARE(counter.batches(), int64_t{0});
    control.setPaused(false);
    QVERIFY(counter.waitForBatches(10, kDeadline));
    const int64_t atStop = counter.batches();
    control.requestStop();
    worker.join();
    QCOMPARE(history.finished.reason, RunFinished::Reason::Stopped);
    QVERIFY(history.epochs.empty());
    const int64_t after = counter.batches() - atStop;
    QVERIFY2(after <= 2, qPrintable(QString("%1 batches after the stop").arg(after)));
}

void TestTraining::nonFiniteLossStopsAndNamesTheLayer() {
    Graph g;
    g.add("Input", "input", {{"shape", {784}}});
    g.add("Dense", "hidden", {{"units", 32}, {"activation", "relu"}}, {"input"});
    g.add("Dense", "out", {{"units", 10}, {"activation", "softmax"}}, {"hidden"});
    g.build(1);
    // A poisoned weight: the hidden layer's outputs become NaN on the first batch.
    g.layer("hidden").parameters()[0].value.set(5, std::nan(""));
    Trainer trainer(g, sgd(0.01, 32, 1));
    TrainingHistory h = trainer.fit(flattened(fashionMnist().test), nullptr);
    QCOMPARE(h.finished.reason, RunFinished::Reason::NonFinite);
    QCOMPARE(h.finished.layer, std::string("hidden"));
    QVERIFY2(QString::fromStdString(h.finished.message).contains("'hidden'"),
             h.finished.message.c_str());
}

void TestTraining::sameSeedGivesBitIdenticalWeights() {
    Dataset small = flattened(fashionMnist().test).subset(shuffledIndices(2000, 3));
    auto run = [&] {
        Graph g;
        g.add("Input", "input", {{"shape", {784}}});
        g.add("Dense", "hidden", {{"units", 64}, {"activation", "relu"}}, {"input"});
        g.add("Dropout", "drop", {{"rate", 0.3}}, {"hidden"});
        g.add("Dense", "out", {{"units", 10}, {"activation", "softmax"}}, {"drop"});
        TrainingConfig c = sgd(0.05, 32, 2);
        c.optimizer = "adam";
        c.optimizerParams = {{"learning_rate", 0.001}};
        Trainer trainer(g, c);
        trainer.fit(small, nullptr);
        std::vector<Tensor> weights;
        for (auto& [name, p] : g.parameters()) {
            weights.push_back(p->value.clone());
        }
        return weights;
    };
    std::vector<Tensor> a = run(), b = run();
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        QCOMPARE(std::memcmp(a[i].raw(), b[i].raw(), a[i].bytes()), 0);
    }
}

namespace {

// 640 test images, flattened: enough to learn something in a few fast epochs.
Dataset smallFlat() {
    return flattened(fashionMnist().test).subset(shuffledIndices(640, 1));
}

}  // namespace

void TestTraining::learningRateSchedules_data() {
    QTest::addColumn<QString>("schedule");
    QTest::addColumn<QList<double>>("rates");
    QTest::newRow("constant") << R"({"type": "constant"})" << QList<double>{0.1, 0.1, 0.1, 0.1};
    QTest::newRow("step") << R"({"type": "step", "factor": 0.5, "every": 2})"
                          << QList<double>{0.1, 0.1, 0.05, 0.05};
    QTest::newRow("exponential") << R"({"type": "exponential", "factor": 0.5})"
                                 << QList<double>{0.1, 0.05, 0.025, 0.0125};
    QTest::newRow("cosine") << R"({"type": "cosine", "min_learning_rate": 0.0})"
                            << QList<double>{0.1, 0.1 * (1 + std::cos(M_PI / 4)) / 2, 0.05,
                                             0.1 * (1 + std::cos(3 * M_PI / 4)) / 2};
    // The training loss of a fresh model keeps falling, so a plateau never comes.
    QTest::newRow("plateau") << R"({"type": "plateau", "patience": 0, "factor": 0.5})"
                             << QList<double>{0.1, 0.1, 0.1, 0.1};
}

void TestTraining::learningRateSchedules() {
    QFETCH(QString, schedule);
    QFETCH(QList<double>, rates);
    nlohmann::json json = {{"optimizer", {{"type", "sgd"}, {"params", {{"learning_rate", 0.1}}}}},
                           {"epochs", 4},
                           {"batch_size", 64},
                           {"schedule", nlohmann::json::parse(schedule.toStdString())}};
    Graph g = softmaxRegression();
    Trainer trainer(g, TrainingConfig::fromJson(json));
    TrainingHistory h = trainer.fit(smallFlat(), nullptr);
    QCOMPARE(h.epochs.size(), size_t{4});
    for (int i = 0; i < 4; ++i) {
        QVERIFY2(std::abs(h.epochs[static_cast<size_t>(i)].learningRate - rates[i]) < 1e-12,
                 qPrintable(QString("epoch %1: %2 vs %3")
                                .arg(i + 1)
                                .arg(h.epochs[static_cast<size_t>(i)].learningRate)
                                .arg(rates[i])));
    }
}

void TestTraining::plateauScheduleLowersTheRate() {
    // Validation labels shifted by one class: the better the model learns the training set,
    // the worse its validation loss, so every epoch after the first is a plateau.
    Dataset train = smallFlat();
    Dataset wrong = train;
    wrong.targets = train.targets.clone();
    for (int64_t i = 0; i < wrong.size(); ++i) {
        wrong.targets.set(i, std::fmod(train.targets.at(i) + 1, 10.0));
    }
    nlohmann::json json = {{"optimizer", {{"type", "sgd"}, {"params", {{"learning_rate", 0.1}}}}},
                           {"epochs", 4},
                           {"batch_size", 64},
                           {"schedule", {{"type", "plateau"}, {"patience", 1}, {"factor", 0.5}}}};
    Graph g = softmaxRegression();
    Trainer trainer(g, TrainingConfig::fromJson(json));
    TrainingHistory h = trainer.fit(train, &wrong);
    QCOMPARE(h.epochs.size(), size_t{4});
    // Epoch 1 sets the best; each later epoch is flat, so the rate halves after epochs 2 and 3.
    const double expected[] = {0.1, 0.1, 0.05, 0.025};
    for (size_t i = 0; i < 4; ++i) {
        QCOMPARE(h.epochs[i].learningRate, expected[i]);
    }
}

void TestTraining::earlyStoppingRestoresBestWeights() {
    // min_delta larger than any real improvement: epoch 1 is the best, epoch 2 "fails to
    // improve", and with patience 0 training stops there with epoch 1's weights.
    nlohmann::json json = {
        {"epochs", 10},
        {"batch_size", 64},
        {"early_stopping", {{"monitor", "loss"}, {"patience", 0}, {"min_delta", 100.0}}}};
    Graph g = softmaxRegression();
    Trainer trainer(g, TrainingConfig::fromJson(json));
    std::vector<float> afterFirst;
    trainer.onEpochEnd = [&](const EpochProgress& e) {
        if (e.epoch == 1) {
            afterFirst = g.layer("dense").parameters()[0].value.toVector();
        }
    };
    TrainingHistory h = trainer.fit(smallFlat(), nullptr);
    QCOMPARE(h.finished.reason, RunFinished::Reason::EarlyStopped);
    QCOMPARE(h.epochs.size(), size_t{2});
    QCOMPARE(g.layer("dense").parameters()[0].value.toVector(), afterFirst);
}

void TestTraining::validationAndPerEpochMetricsAreReported() {
    Dataset data = smallFlat();
    auto [train, validation] = splitHoldout(data, 0.25, 12345);
    Graph g = softmaxRegression();
    Trainer trainer(g, sgd(0.1, 32, 2));
    ProgressQueue queue;
    TrainingHistory h = trainer.fit(train, &validation, &queue, nullptr);
    QCOMPARE(h.finished.reason, RunFinished::Reason::Completed);
    int batches = 0, epochs = 0, finished = 0;
    double lastEta = -1;
    for (const ProgressEvent& e : queue.drain()) {
        if (const auto* b = std::get_if<BatchProgress>(&e)) {
            ++batches;
            QVERIFY(b->samplesPerSecond > 0 && std::isfinite(b->loss));
            lastEta = b->etaSeconds;
        } else if (const auto* ep = std::get_if<EpochProgress>(&e)) {
            ++epochs;
            QVERIFY(ep->validationAccuracy > 0.3 && ep->validationAccuracy <= 1.0);
            QVERIFY(std::isfinite(ep->validationLoss));
        } else if (std::holds_alternative<RunFinished>(e)) {
            ++finished;
        }
    }
    QCOMPARE(batches, 2 * 15);
    QCOMPARE(epochs, 2);
    QCOMPARE(finished, 1);
    QCOMPARE(lastEta, 0.0);
    EvaluationResult r = trainer.evaluate(validation);
    QCOMPARE(r.samples, int64_t{160});
    QVERIFY(r.metrics->topKAccuracy() >= r.metrics->accuracy());
    int64_t total = 0;
    for (int64_t c : r.metrics->confusion()) {
        total += c;
    }
    QCOMPARE(total, int64_t{160});
}

void TestTraining::backgroundRunStopsOnDestructionAndReportsErrors() {
    Graph g = softmaxRegression();
    Trainer trainer(g, sgd(0.01, 32, 1000));
    Dataset train = smallFlat();
    TrainingHistory history;
    BatchCounter counter;
    {
        BackgroundRun run([&](RunControl& control) {
            history = trainer.fit(train, nullptr, &counter, &control);
        });
        QVERIFY(counter.waitForBatches(1, kDeadline));  // the run is under way
    }  // the destructor stops the 1000-epoch run and waits for it
    QCOMPARE(history.finished.reason, RunFinished::Reason::Stopped);
    QVERIFY(history.epochs.size() < 1000);

    BackgroundRun failing([](RunControl&) { throw DataError("the data went away"); });
    try {
        failing.wait();
        QFAIL("no exception");
    } catch (const DataError& e) {
        QCOMPARE(QString(e.what()), QString("the data went away"));
    }
}

void TestTraining::nonFiniteInputNamesTheData() {
    Dataset data = smallFlat();
    data.source = "poisoned.csv";
    data.samples.set(100 * 784 + 5, std::nan(""));
    Graph g = softmaxRegression();
    Trainer trainer(g, sgd(0.01, 32, 1));
    TrainingHistory h = trainer.fit(data, nullptr);
    const QString message = QString::fromStdString(h.finished.message);
    QCOMPARE(h.finished.reason, RunFinished::Reason::NonFinite);
    QCOMPARE(h.finished.layer, std::string("input"));
    QVERIFY2(message.contains("training data itself holds NaN") &&
                 message.contains("sample 100 of poisoned.csv") &&
                 !message.contains("learning rate"),
             qPrintable(message));
}

namespace {

// Fashion-MNIST pictures for a short run of W4: a few dozen batches of 32.
Dataset smallPictures(int64_t n) {
    return fashionMnist().test.subset(shuffledIndices(n, 7));
}

}  // namespace

void TestTraining::divergenceGuardStopsW4AtLearningRate10() {
    // W4 with SGD at learning rate 10 diverges (to a loss of 2.6e19 over the whole set) without
    // becoming NaN: the guard stops it within the first epoch and keeps that epoch's weights.
    Graph g = w4Cnn();
    g.build(1);
    const std::vector<float> start = g.layer("conv2d").parameters()[0].value.toVector();
    Trainer trainer(g, sgd(10, 32, 1));
    TrainingHistory h = trainer.fit(smallPictures(2048), nullptr);
    const QString message = QString::fromStdString(h.finished.message);
    qInfo("%s", qPrintable(message));
    QCOMPARE(h.finished.reason, RunFinished::Reason::NonFinite);
    QVERIFY2(message.contains("divergence guard") && message.contains("learning rate"),
             qPrintable(message));
    QVERIFY2(!h.finished.layer.empty() && h.finished.layer != "input", h.finished.layer.c_str());
    QVERIFY(message.contains(QString::fromStdString("'" + h.finished.layer + "'")));
    QVERIFY(h.epochs.empty());
    QCOMPARE(g.layer("conv2d").parameters()[0].value.toVector(), start);
}

void TestTraining::divergenceGuardCanOnlyWarn() {
    Graph g = w4Cnn();
    TrainingConfig config = sgd(10, 32, 1);
    config.divergenceGuard.action = "warn";
    Trainer trainer(g, config);
    ProgressQueue queue;
    TrainingHistory h = trainer.fit(smallPictures(512), nullptr, &queue, nullptr);
    int warnings = 0;
    for (const ProgressEvent& e : queue.drain()) {
        const auto* log = std::get_if<LogMessage>(&e);
        warnings += log != nullptr && log->text.find("divergence guard") != std::string::npos;
    }
    QCOMPARE(warnings, 1);
    QVERIFY2(h.finished.message.find("divergence guard") == std::string::npos,
             h.finished.message.c_str());
}

void TestTraining::divergenceGuardSettingRoundTrips() {
    TrainingConfig config;
    QCOMPARE(config.divergenceGuard.action, std::string("stop"));
    config.divergenceGuard = {"warn", 50};
    const TrainingConfig back = TrainingConfig::fromJson(config.toJson());
    QCOMPARE(back.divergenceGuard.action, std::string("warn"));
    QCOMPARE(back.divergenceGuard.factor, 50.0);
    // Files saved before the guard existed train with its defaults.
    nlohmann::json old = config.toJson();
    old.erase("divergence_guard");
    QCOMPARE(TrainingConfig::fromJson(old).divergenceGuard.action, std::string("stop"));
    QVERIFY_THROWS_EXCEPTION(
        ConfigError, TrainingConfig::fromJson({{"divergence_guard", {{"action", "maybe"}}}}));
    QVERIFY_THROWS_EXCEPTION(ConfigError,
                             TrainingConfig::fromJson({{"divergence_guard", {{"factor", 1}}}}));
    // A resumed run measures growth from where the run, not the resumption, started.
    TrainingPosition position;
    position.startingLoss = 2.3;
    QCOMPARE(TrainingPosition::fromJson(position.toJson()).startingLoss, 2.3);
    QVERIFY(std::isnan(TrainingPosition::fromJson(nlohmann::json::object()).startingLoss));
}

QTEST_APPLESS_MAIN(TestTraining)
#include "TestTraining.moc"
