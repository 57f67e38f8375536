// Data-parallel training over Gloo, with the ranks as threads of this process (each with its
// own model, trainer and TCP connections, as separate processes would have): N ranks with batch
// B each train the same weights as one process with batch N x B; a rank that leaves or hangs
// stops the others within the timeout with a message naming the rank; ranks with another
// model are refused at the start; pause and stop reach every rank after the same step; the
// application's local ranks (fitOnLocalRanks) train as one run.

#include <loom/Collective.h>
#include <loom/DataParallel.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/LocalRanks.h>
#include <loom/ModelFile.h>
#include <loom/Trainer.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <thread>

using namespace loom;

namespace {

/// Runs `body` as ranks 0..world-1 of one job, each on its own thread with its own Gloo
/// connections, and returns each rank's error message (empty: none).
std::vector<std::string> runRanks(int world, std::chrono::milliseconds timeout,
                                  const std::function<void(int rank, Collective&)>& body) {
    QTemporaryDir folder;
    std::vector<std::string> errors(static_cast<size_t>(world));
    std::vector<std::thread> threads;
    for (int rank = 0; rank < world; ++rank) {
        threads.emplace_back([&, rank] {
            try {
                JobPlace place;
                place.rank = rank;
                place.worldSize = world;
                place.rendezvous = "file:" + folder.path().toStdString();
                place.timeout = timeout;
                place.host = "127.0.0.1";
                std::unique_ptr<Collective> job = connectCollective(place);
                body(rank, *job);
            } catch (const std::exception& e) {
                errors[static_cast<size_t>(rank)] = e.what();
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    return errors;
}

/// The model file at `path` set up to train one epoch with SGD at `batch` a rank.
ModelFile trainable(const std::string& path, int64_t batch) {
    ModelFile model = readModelFile(path);
    ensureBuilt(model);
    model.training.optimizer = "sgd";
    model.training.optimizerParams = {{"learning_rate", 0.01}};
    model.training.epochs = 1;
    model.training.batchSize = batch;
    model.training.statistics.enabled = false;
    return model;
}

ModelFile example(const std::string& name, int64_t batch) {
    return trainable(qEnvironmentVariable("LOOM_SOURCE_DIR").toStdString() + "/examples/" + name,
                     batch);
}

/// An MLP with batch normalisation between its dense layer and the ReLU, written to `folder`.
std::string batchNormModel(const QTemporaryDir& folder) {
    const std::string path = folder.filePath("batch_norm.json").toStdString();
    const nlohmann::json model = nlohmann::json::parse(R"({
        "format": "loom-graph", "version": 1, "name": "batch_norm",
        "layers": [
            {"name": "input", "type": "Input", "params": {"shape": [784]}},
            {"name": "dense", "type": "Dense", "params": {"units": 64}, "inputs": ["input"]},
            {"name": "norm", "type": "BatchNormalization", "params": {}, "inputs": ["dense"]},
            {"name": "relu", "type": "ReLU", "params": {}, "inputs": ["norm"]},
            {"name": "out", "type": "Dense", "params": {"units": 10, "activation": "softmax"},
             "inputs": ["relu"]}],
        "outputs": ["out"],
        "training": {"seed": 7}})");
    std::ofstream(path) << model.dump();
    return path;
}

std::vector<float> weightsOf(Graph& graph) {
    std::vector<float> all;
    for (const auto& [name, p] : graph.parameters()) {
        const std::vector<float> v = p->value.toVector();
        all.insert(all.end(), v.begin(), v.end());
    }
    return all;
}

/// The largest difference between two weight vectors, relative to the largest weight.
double relativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
    double difference = 0, largest = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        difference = std::max(difference, std::abs(double(a[i]) - double(b[i])));
        largest = std::max(largest, std::abs(double(a[i])));
    }
    return difference / largest;
}

/// Keeps the batches reported; `onBatch` sees each as it comes.
struct BatchRecorder : ProgressSink {
    std::function<void(const BatchProgress&)> onBatch = [](const BatchProgress&) {};
    std::vector<BatchProgress> batches;
    void report(const ProgressEvent& event) override {
        if (const auto* batch = std::get_if<BatchProgress>(&event)) {
            batches.push_back(*batch);
            onBatch(*batch);
        }
    }
};

bool haveFashionMnist() {
    return QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
}

/// The first `samples` training samples of Fashion-MNIST as the W2 example reads them.
LoadedData fashionMnist(int samples) {
    ModelFile model = example("w2_mlp_fashion.json", 1);
    model.data["train_samples"] = samples;
    model.data["validation_split"] = 0.0;
    return loadData("", model.data, model.graph.node("input").outputShape);
}

/// A job of one rank connects through Gloo too: where Gloo was not built in, it cannot.
bool haveGloo() {
    return runRanks(1, std::chrono::seconds(5), [](int, Collective&) {})[0].empty();
}

}  // namespace

class TestDataParallel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void shardsCutEachGlobalBatch();
    void twoRanksTrainWhatOneProcessTrains_data();
    void twoRanksTrainWhatOneProcessTrains();
    void aRankThatLeavesStopsTheOthers();
    void aRankThatHangsTimesOut();
    void ranksWithAnotherModelAreRefused();
    void aPauseHoldsEveryRankPastTheTimeout();
    void localRanksTrainAsOneRun();
    void workersAreASettingOfCpuTraining();
    void experimentTrialsTrainWithTheirWorkers();
    void synchronisedBatchNormTrainsAsOneProcess();

private:
    bool m_haveGloo = false;
};

void TestDataParallel::initTestCase() {
    m_haveGloo = haveGloo();
}

void TestDataParallel::shardsCutEachGlobalBatch() {
    std::vector<int64_t> order(11);
    std::iota(order.begin(), order.end(), int64_t{100});
    // Global batches of 2 x 3: [100..105], then 5 left: rank 0 takes 2 of them, rank 1 three.
    const EpochShard first = shardEpoch(order, 3, 0, 2), second = shardEpoch(order, 3, 1, 2);
    QCOMPARE(first.order, (std::vector<int64_t>{100, 101, 102, 106, 107}));
    QCOMPARE(second.order, (std::vector<int64_t>{103, 104, 105, 108, 109, 110}));
    QCOMPARE(first.globalBatches, (std::vector<int64_t>{6, 5}));
    QCOMPARE(second.offsets, (std::vector<int64_t>{3, 2}));
    // A last global batch smaller than the job is left out, by every rank alike.
    const EpochShard three = shardEpoch(std::vector<int64_t>(7, 1), 2, 2, 3);
    QCOMPARE(three.order.size(), size_t{2});
    QCOMPARE(three.globalBatches, (std::vector<int64_t>{6}));
}

void TestDataParallel::twoRanksTrainWhatOneProcessTrains_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("samples");
    QTest::addColumn<int>("batch");
    QTest::newRow("W2 MLP") << "w2_mlp_fashion.json" << 6000 << 64;
    // W4 has dropout: its masks are drawn for the global batch's samples. (On 1,000 samples
    // the weights differed by 1.2e-3 of the largest, with the same masks and without dropout
    // by 7e-8: a rounding difference that flips a ReLU or a max-pool choice then grows.)
    QTest::newRow("W4 CNN") << "w4_cnn.json" << 960 << 32;
}

void TestDataParallel::twoRanksTrainWhatOneProcessTrains() {
    if (!m_haveGloo) {
        QSKIP("built without Gloo (libgloo-dev)");
    }
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    QFETCH(QString, model);
    QFETCH(int, samples);
    QFETCH(int, batch);
    const std::string file = model.toStdString();
    ModelFile alone = example(file, 2 * batch);
    alone.data["train_samples"] = samples;
    alone.data["validation_split"] = 0.0;
    const LoadedData data = loadData("", alone.data, alone.graph.node("input").outputShape);
    Trainer one(alone.graph, alone.training);
    const TrainingHistory oneHistory = one.fit(data.train, nullptr);

    std::vector<std::vector<float>> rankWeights(2);
    std::vector<TrainingHistory> histories(2);
    const std::vector<std::string> errors =
        runRanks(2, std::chrono::seconds(60), [&](int rank, Collective& job) {
            ModelFile part = example(file, batch);
            Trainer trainer(part.graph, part.training);
            trainer.setCollective(job);
            histories[size_t(rank)] = trainer.fit(data.train, nullptr);
            rankWeights[size_t(rank)] = weightsOf(part.graph);
        });
    QCOMPARE(errors, std::vector<std::string>(2));
    QVERIFY2(histories[0].finished.reason == RunFinished::Reason::Completed,
             histories[0].finished.message.c_str());
    QCOMPARE(rankWeights[0], rankWeights[1]);  // bit for bit
    const double difference = relativeDifference(weightsOf(alone.graph), rankWeights[0]);
    const double oneLoss = oneHistory.epochs.at(0).loss, twoLoss = histories[0].epochs.at(0).loss;
    qInfo(
        "%s, %d samples: 1 process with batch %d against 2 ranks with %d each: weights differ "
        "by %.2g of the largest; epoch loss %.6f against %.6f",
        qPrintable(model), samples, 2 * batch, batch, difference, oneLoss, twoLoss);
    QVERIFY(difference < 1e-5);
    QVERIFY(std::abs(oneLoss - twoLoss) < 1e-5);
}

void TestDataParallel::aRankThatLeavesStopsTheOthers() {
    if (!m_haveGloo) {
        QSKIP("built without Gloo (libgloo-dev)");
    }
    RunFinished finished{RunFinished::Reason::Completed, "", ""};
    double seconds = 0;
    const std::vector<std::string> errors =
        runRanks(2, std::chrono::seconds(30), [&](int rank, Collective& job) {
            if (rank == 1) {
                return;  // as a killed process: its connections close
            }
            std::vector<float> gradients(1000, 1.0f);
            const auto started = std::chrono::steady_clock::now();
            try {
                job.sum(gradients.data(), gradients.size());
            } catch (const CollectiveError& e) {
                finished.message = e.what();
            }
            seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        });
    qInfo("rank 0, %.2f s after rank 1 left: %s", seconds, finished.message.c_str());
    QVERIFY(finished.message.find("rank 0 of 2") != std::string::npos);
    QVERIFY(seconds < 30);
}

void TestDataParallel::aRankThatHangsTimesOut() {
    if (!m_haveGloo) {
        QSKIP("built without Gloo (libgloo-dev)");
    }
    std::string message;
    double seconds = 0;
    runRanks(2, std::chrono::seconds(2), [&](int rank, Collective& job) {
        if (rank == 1) {
            std::this_thread::sleep_for(std::chrono::seconds(6));  // hung, connections open
            return;
        }
        double value = 1;
        const auto started = std::chrono::steady_clock::now();
        try {
            job.sum(&value, 1);
        } catch (const CollectiveError& e) {
            message = e.what();
        }
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    });
    qInfo("rank 0 gave up after %.2f s: %s", seconds, message.c_str());
    QVERIFY(message.find("within 2 s") != std::string::npos);
    QVERIFY(seconds >= 1.5 && seconds < 5);
}

void TestDataParallel::ranksWithAnotherModelAreRefused() {
    if (!m_haveGloo) {
        QSKIP("built without Gloo (libgloo-dev)");
    }
    Dataset data;
    data.samples = Tensor::zeros(Shape{8, 784});
    data.targets = Tensor::zeros(Shape{8});
    data.classNames = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    const std::vector<std::string> errors =
        runRanks(2, std::chrono::seconds(30), [&](int rank, Collective& job) {
            ModelFile model = example("w1_softmax.json", 4);
            model.training.optimizerParams = {{"learning_rate", rank == 0 ? 0.01 : 0.02}};
            Trainer trainer(model.graph, model.training);
            trainer.setCollective(job);
            trainer.fit(data, nullptr);
        });
    QVERIFY2(errors[0].find("rank 1 would train another model") != std::string::npos,
             errors[0].c_str());
    QCOMPARE(errors[0], errors[1]);
}

void TestDataParallel::aPauseHoldsEveryRankPastTheTimeout() {
    if (!m_haveGloo || !haveFashionMnist()) {
        QSKIP("needs Gloo (libgloo-dev) and Fashion-MNIST (dataset-fashion-mnist)");
    }
    const LoadedData data = fashionMnist(1000);
    RunControl control;  // shared, as the application's ranks share it
    std::thread user;
    BatchRecorder sink;
    sink.onBatch = [&](const BatchProgress& batch) {
        if (batch.batch == 2) {
            // Paused three times as long as the ranks wait for each other, then stopped.
            control.setPaused(true);
            user = std::thread([&] {
                std::this_thread::sleep_for(std::chrono::seconds(3));
                control.requestStop();
            });
        }
    };
    std::vector<TrainingHistory> histories(2);
    std::vector<std::vector<float>> rankWeights(2);
    const std::vector<std::string> errors =
        runRanks(2, std::chrono::seconds(1), [&](int rank, Collective& job) {
            ModelFile part = example("w2_mlp_fashion.json", 32);
            Trainer trainer(part.graph, part.training);
            trainer.setCollective(job);
            histories[size_t(rank)] =
                trainer.fit(data.train, nullptr, rank == 0 ? &sink : nullptr, &control);
            rankWeights[size_t(rank)] = weightsOf(part.graph);
        });
    user.join();
    QCOMPARE(errors, std::vector<std::string>(2));
    for (const TrainingHistory& history : histories) {
        QVERIFY2(history.finished.reason == RunFinished::Reason::Stopped,
                 history.finished.message.c_str());
    }
    // The stop asked for during the pause is agreed at the next step.
    QCOMPARE(sink.batches.size(), size_t{3});
    QCOMPARE(rankWeights[0], rankWeights[1]);
}

void TestDataParallel::localRanksTrainAsOneRun() {
    if (!m_haveGloo || !haveFashionMnist()) {
        QSKIP("needs Gloo (libgloo-dev) and Fashion-MNIST (dataset-fashion-mnist)");
    }
    const LoadedData data = fashionMnist(2000);
    ModelFile alone = example("w2_mlp_fashion.json", 128);
    Trainer one(alone.graph, alone.training);
    one.fit(data.train, nullptr);

    ModelFile job = example("w2_mlp_fashion.json", 64);
    Trainer rank0(job.graph, job.training);
    int prepared = 0;
    BatchRecorder sink;
    RunControl control;
    const TrainingHistory history = fitOnLocalRanks(
        rank0, job.graph, 2, [&](Trainer&) { ++prepared; }, data.train, nullptr, &sink, &control);
    QVERIFY2(history.finished.reason == RunFinished::Reason::Completed,
             history.finished.message.c_str());
    QCOMPARE(prepared, 1);  // the other rank's trainer
    // One run: global batches of 128, the last of 2000 - 15 x 128 = 80 samples.
    QCOMPARE(sink.batches.size(), size_t{16});
    QCOMPARE(sink.batches.back().batches, int64_t{16});
    const double difference = relativeDifference(weightsOf(alone.graph), weightsOf(job.graph));
    qInfo(
        "2 local ranks with batch 64 against 1 process with batch 128, 2000 samples: weights "
        "differ by %.2g of the largest",
        difference);
    QVERIFY(difference < 1e-5);
}

void TestDataParallel::workersAreASettingOfCpuTraining() {
    const TrainingConfig two = TrainingConfig::fromJson({{"workers", 2}, {"device", "cpu"}});
    QCOMPARE(two.workers, 2);
    QCOMPARE(TrainingConfig::fromJson(two.toJson()).workers, 2);
    QCOMPARE(TrainingConfig::fromJson(nlohmann::json::object()).workers, 1);
    try {
        TrainingConfig::fromJson({{"workers", 2}});  // device auto
        QFAIL("two workers on the GPU were accepted");
    } catch (const ConfigError& e) {
        QVERIFY2(std::string(e.what()).find("set the device to cpu") != std::string::npos,
                 e.what());
    }
    QVERIFY_THROWS_EXCEPTION(ConfigError,
                             TrainingConfig::fromJson({{"workers", 0}, {"device", "cpu"}}));
    QVERIFY_THROWS_EXCEPTION(ConfigError,
                             TrainingConfig::fromJson({{"workers", 1000}, {"device", "cpu"}}));
}

void TestDataParallel::experimentTrialsTrainWithTheirWorkers() {
    if (!m_haveGloo || !haveFashionMnist()) {
        QSKIP("needs Gloo (libgloo-dev) and Fashion-MNIST (dataset-fashion-mnist)");
    }
    const LoadedData data = fashionMnist(1000);
    ModelFile base = example("w2_mlp_fashion.json", 50);
    base.training.device = "cpu";
    base.training.workers = 2;
    const ExperimentPlan plan{{{"lr", {0.01, 0.001}}}, 0, 1};
    const ExperimentResult result = runExperiment(base, plan, data);
    QCOMPARE(result.runs.size(), size_t{2});
    for (const RunRecord& run : result.runs) {
        QCOMPARE(run.finished.reason, RunFinished::Reason::Completed);
        QCOMPARE(run.batches.size(), size_t{10});  // global batches of 2 x 50
    }
}

void TestDataParallel::synchronisedBatchNormTrainsAsOneProcess() {
    if (!m_haveGloo || !haveFashionMnist()) {
        QSKIP("needs Gloo (libgloo-dev) and Fashion-MNIST (dataset-fashion-mnist)");
    }
    QTemporaryDir folder;
    const std::string file = batchNormModel(folder);
    const LoadedData data = fashionMnist(960);
    ModelFile alone = trainable(file, 64);
    Trainer one(alone.graph, alone.training);
    one.fit(data.train, nullptr);
    const std::vector<float> expected = weightsOf(alone.graph);  // moving statistics too

    std::vector<double> differences;
    for (const bool synchronised : {true, false}) {
        std::vector<std::vector<float>> rankWeights(2);
        const std::vector<std::string> errors =
            runRanks(2, std::chrono::seconds(60), [&](int rank, Collective& job) {
                ModelFile part = trainable(file, 32);
                part.training.syncBatchNorm = synchronised;
                Trainer trainer(part.graph, part.training);
                trainer.setCollective(job);
                const TrainingHistory history = trainer.fit(data.train, nullptr);
                if (history.finished.reason != RunFinished::Reason::Completed) {
                    throw Error(history.finished.message);
                }
                rankWeights[size_t(rank)] = weightsOf(part.graph);
            });
        QCOMPARE(errors, std::vector<std::string>(2));
        differences.push_back(relativeDifference(expected, rankWeights[0]));
    }
    qInfo(
        "2 ranks with batch 32 against 1 process with batch 64, batch normalisation: weights "
        "and moving statistics differ by %.2g of the largest synchronised, %.2g not",
        differences[0], differences[1]);
    QVERIFY(differences[0] < 1e-5);
    QVERIFY(differences[1] > 1e-3);  // each rank's own statistics: another training
}

QTEST_GUILESS_MAIN(TestDataParallel)
#include "TestDataParallel.moc"
