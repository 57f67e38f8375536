// Transfer learning: a pretrained base cut at a layer, frozen and grouped under a new head; the
// trainer computes a frozen base's outputs once; fine-tuning unfreezes the base from a layer on
// with a learning-rate factor every optimizer applies. On real data, MobileNetV2's features at
// 96x96 against W4 from scratch on the same 1,000 Fashion-MNIST images.

#include <loom/ArtModel.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/FrozenBase.h>
#include <loom/ModelFile.h>
#include <loom/Optimizer.h>
#include <loom/Trainer.h>
#include <loom/Transfer.h>

#include <QFile>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <iterator>

using namespace loom;

namespace {

/// A small "pretrained" base: conv -> batch norm -> relu -> conv -> flatten -> its own dense.
Graph smallBase() {
    Graph g = Graph::fromJson(nlohmann::json::parse(R"({
      "format": "loom-graph", "version": 1, "name": "small_base",
      "layers": [
        {"name": "input", "type": "Input", "params": {"shape": [3, 12, 12]}},
        {"name": "conv_a", "type": "Conv2D", "params": {"filters": 4, "kernel_size": [3, 3]},
         "inputs": ["input"]},
        {"name": "bn", "type": "BatchNormalization", "inputs": ["conv_a"]},
        {"name": "relu", "type": "Activation", "params": {"activation": "relu"},
         "inputs": ["bn"]},
        {"name": "conv_b", "type": "Conv2D",
         "params": {"filters": 6, "kernel_size": [3, 3], "activation": "relu"},
         "inputs": ["relu"]},
        {"name": "flat", "type": "Flatten", "inputs": ["conv_b"]},
        {"name": "own_top", "type": "Dense", "params": {"units": 5}, "inputs": ["flat"]}
      ]
    })"));
    g.build(7);
    return g;
}

/// Two classes of 3x12x12 pictures: bright in the left half, or in the right half.
Dataset halves(int64_t n, int64_t side = 12) {
    Dataset d;
    d.samples = Tensor::zeros(Shape{n, 3, side, side});
    d.targets = Tensor::zeros(Shape{n});
    d.classNames = {"left", "right"};
    float* x = d.samples.data<float>();
    for (int64_t i = 0; i < n; ++i) {
        const bool right = i % 2 == 1;
        d.targets.set(i, right ? 1.0 : 0.0);
        for (int64_t p = 0; p < 3 * side * side; ++p) {
            const bool inRight = (p % side) >= side / 2;
            x[i * 3 * side * side + p] = (inRight == right ? 0.8f : 0.1f) + 0.01f * float(p % 7);
        }
    }
    return d;
}

std::vector<float> weightsOf(Graph& g, const std::string& layer) {
    std::vector<float> all;
    for (const Parameter& p : g.layer(layer).parameters()) {
        const std::vector<float> v = p.value.toVector();
        all.insert(all.end(), v.begin(), v.end());
    }
    return all;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class LogCatcher : public ProgressSink {
public:
    void report(const ProgressEvent& e) override {
        if (const auto* log = std::get_if<LogMessage>(&e)) {
            lines.push_back(log->text);
        } else if (const auto* preparation = std::get_if<PreparationProgress>(&e)) {
            preparations.push_back(*preparation);
            prepared = std::chrono::steady_clock::now();
            if (stopAtPreparation != nullptr) {
                stopAtPreparation->requestStop();
            }
        } else if (std::holds_alternative<BatchProgress>(e)) {
            ++batches;
        }
    }
    std::vector<std::string> lines;
    std::vector<PreparationProgress> preparations;
    std::chrono::steady_clock::time_point prepared;  ///< when the last preparation was reported
    int batches = 0;
    RunControl* stopAtPreparation = nullptr;  ///< a person pressing Stop at once
};

TrainingConfig adam(int epochs, int64_t batch = 16) {
    TrainingConfig c;
    c.optimizer = "adam";
    c.optimizerParams = {{"learning_rate", 0.01}};
    c.epochs = epochs;
    c.batchSize = batch;
    c.statistics.enabled = false;
    return c;
}

}  // namespace

class TestTransfer : public QObject {
    Q_OBJECT

private slots:
    void buildsAFrozenBaseUnderANewHead();
    void savesGroupsAndFactors();
    void trainsTheHeadOnTheBaseOutputsComputedOnce();
    void stopWhileTheBaseIsComputedEndsTheRun();
    void learningRateFactorScalesEveryOptimizer();
    void fineTuningUnfreezesFromALayer();
    void badOptionsAreRefused();
    void pretrainedFeaturesOnAThousandImages();
    void exampleLearnsItsImageFolder();
};

void TestTransfer::buildsAFrozenBaseUnderANewHead() {
    Graph base = smallBase();
    QCOMPARE(defaultCutLayer(base), std::string("conv_b"));
    QCOMPARE(smallestInputSide(base, "conv_b"), int64_t{8});  // two 3x3 convolutions: 4x4 maps
    TransferOptions options;
    options.classes = 3;
    options.height = options.width = 20;
    options.group = "small_base";
    Graph model = transferModel(base, options, 1);
    QCOMPARE(model.outputNames(), std::vector<std::string>{"predictions"});
    QCOMPARE(model.node("input").outputShape, (Shape{3, 20, 20}));
    QCOMPARE(model.node("predictions").outputShape, (Shape{3}));
    QVERIFY(!model.contains("own_top") && !model.contains("flat"));
    for (const char* layer : {"conv_a", "bn", "conv_b"}) {
        QVERIFY(!model.layer(layer).trainable());
        QCOMPARE(model.node(layer).group, std::string("small_base"));
        QCOMPARE(weightsOf(model, layer), weightsOf(base, layer));  // copied, not shared
    }
    QCOMPARE(model.node("predictions").group, std::string());
    QVERIFY(model.layer("predictions").trainable());
    QCOMPARE(model.trainableParameterCount(), int64_t{6 * 3 + 3});
    model.layer("conv_a").parameters()[0].value.set(0, 42.0);
    QVERIFY(base.layer("conv_a").parameters()[0].value.at(0) != 42.0);
    // Past the pooling, the head's global pooling would see 1x1 maps at any size.
    QCOMPARE(frozenBaseEnd(model), std::string("features_pool"));
}

void TestTransfer::savesGroupsAndFactors() {
    Graph model = transferModel(smallBase(), TransferOptions{});
    unfreezeFrom(model, "conv_b", 0.1);
    const Graph read = Graph::fromJson(model.toJson());
    QCOMPARE(read.node("conv_a").group, std::string("base"));
    QVERIFY(!read.node("conv_a").layer->trainable());
    QVERIFY(read.node("conv_b").layer->trainable());
    QCOMPARE(read.node("conv_b").layer->learningRateFactor(), 0.1);
    QCOMPARE(read.node("predictions").layer->learningRateFactor(), 1.0);
    nlohmann::json bad = model.toJson();
    bad["layers"][1]["learning_rate_factor"] = "fast";
    QVERIFY_THROWS_EXCEPTION(GraphError, Graph::fromJson(bad));
}

void TestTransfer::trainsTheHeadOnTheBaseOutputsComputedOnce() {
    Graph model = transferModel(smallBase(), TransferOptions{}, 3);
    const std::vector<float> before = weightsOf(model, "conv_a"), bnBefore = weightsOf(model, "bn");
    Trainer trainer(model, adam(20));
    LogCatcher log;
    const Dataset train = halves(64);
    const TrainingHistory history = trainer.fit(train, nullptr, &log);
    QCOMPARE(history.finished.reason, RunFinished::Reason::Completed);
    QCOMPARE(log.lines.size(), size_t{1});
    QVERIFY2(log.lines[0].find("up to 'features_pool' were computed once for the 64 samples") !=
                 std::string::npos,
             log.lines[0].c_str());
    // The work before the first batch showed how far it had got, to the end.
    QVERIFY(!log.preparations.empty());
    QCOMPARE(log.preparations.back().done, int64_t{64});
    QCOMPARE(log.preparations.back().total, int64_t{64});
    QVERIFY(log.preparations.back().stage.find("'features_pool'") != std::string::npos);
    // The head learnt, the base (its batch-norm statistics too) did not move.
    QVERIFY2(trainer.evaluate(halves(32)).metrics->accuracy() > 0.9,
             qPrintable(QString::number(history.epochs.back().accuracy)));
    QCOMPARE(weightsOf(model, "conv_a"), before);
    QCOMPARE(weightsOf(model, "bn"), bnBefore);
    // After fit the whole network runs again, from the input.
    QCOMPARE(trainer.predict(train.samples.slice(0, 4)).shape(), (Shape{4, 2}));

    // Once the base is fine-tuned, nothing is computed ahead: every epoch runs it.
    unfreezeFrom(model, "conv_b", 0.1);
    QCOMPARE(frozenBaseEnd(model), std::string("relu"));
    unfreezeFrom(model, "conv_a", 0.1);
    QCOMPARE(frozenBaseEnd(model), std::string());
}

void TestTransfer::stopWhileTheBaseIsComputedEndsTheRun() {
    Graph model = transferModel(smallBase(), TransferOptions{}, 3);
    Trainer trainer(model, adam(20, 8));
    RunControl control;
    LogCatcher events;
    events.stopAtPreparation = &control;
    const TrainingHistory stopped = trainer.fit(halves(64), nullptr, &events, &control);
    QCOMPARE(stopped.finished.reason, RunFinished::Reason::Stopped);
    // Within one batch of the base's eight: no batch of training, no epoch.
    QCOMPARE(events.preparations.size(), size_t{1});
    QCOMPARE(events.preparations[0].done, int64_t{8});
    QCOMPARE(events.batches, 0);
    QVERIFY(stopped.epochs.empty());
    // The trainer is whole again: the network runs from its input, and trains.
    QCOMPARE(trainer.predict(halves(4).samples).shape(), (Shape{4, 2}));
    QCOMPARE(trainer.fit(halves(64), nullptr).finished.reason, RunFinished::Reason::Completed);
}

void TestTransfer::learningRateFactorScalesEveryOptimizer() {
    for (const char* type : {"sgd", "rmsprop", "adagrad", "adam"}) {
        std::unique_ptr<Optimizer> optimizer = makeOptimizer(type, {{"learning_rate", 0.1}});
        Parameter full{"w", Tensor::full(Shape{4}, 1.0), Tensor::full(Shape{4}, 0.5), true};
        Parameter tenth{"w", Tensor::full(Shape{4}, 1.0), Tensor::full(Shape{4}, 0.5), true};
        optimizer->step(cpuBackend(), {{"a/w", &full, 1.0}, {"b/w", &tenth, 0.1}});
        const double moved = 1.0 - full.value.at(0), movedTenth = 1.0 - tenth.value.at(0);
        QVERIFY2(moved > 0 && std::abs(movedTenth / moved - 0.1) < 1e-5,
                 qPrintable(QString("%1: %2 against %3").arg(type).arg(movedTenth).arg(moved)));
    }
}

void TestTransfer::fineTuningUnfreezesFromALayer() {
    Graph model = transferModel(smallBase(), TransferOptions{});
    QVERIFY_THROWS_EXCEPTION(GraphError, unfreezeFrom(model, "nothing", 0.1));
    unfreezeFrom(model, "conv_b", 0.25);
    QVERIFY(!model.layer("conv_a").trainable() && !model.layer("bn").trainable());
    QVERIFY(model.layer("conv_b").trainable());
    QCOMPARE(model.layer("conv_b").learningRateFactor(), 0.25);
    QCOMPARE(model.layer("predictions").learningRateFactor(), 1.0);
    const std::vector<float> convA = weightsOf(model, "conv_a"), convB = weightsOf(model, "conv_b");
    Trainer trainer(model, adam(2));
    trainer.fit(halves(32), nullptr);
    QCOMPARE(weightsOf(model, "conv_a"), convA);
    QVERIFY(weightsOf(model, "conv_b") != convB);
    // Batch normalization keeps the base's statistics, in inference mode.
    unfreezeFrom(model, "conv_a", 0.25);
    QVERIFY(model.layer("conv_a").trainable());
    QVERIFY(!model.layer("bn").trainable());
    QVERIFY(staysFrozenWhenFineTuned(model.layer("bn")));
    QVERIFY(!staysFrozenWhenFineTuned(model.layer("conv_a")));
}

void TestTransfer::badOptionsAreRefused() {
    const Graph base = smallBase();
    TransferOptions options;
    options.classes = 1;
    QVERIFY_THROWS_EXCEPTION(ConfigError, transferModel(base, options));
    options.classes = 2;
    options.height = options.width = 4;  // too small for two 3x3 convolutions
    QVERIFY_THROWS_EXCEPTION(ShapeError, transferModel(base, options));
    options.height = options.width = 0;
    options.cutAt = "nothing";
    QVERIFY_THROWS_EXCEPTION(GraphError, transferModel(base, options));
    // A model file's transfer section is checked before any base is read.
    QVERIFY_THROWS_EXCEPTION(ConfigError, transferModelFromSection({{"base", "mobilenet_v2"}}));
    QVERIFY_THROWS_EXCEPTION(
        ConfigError, transferModelFromSection({{"base", "mobilenet_v2"}, {"classes", "two"}}));
    QVERIFY_THROWS_EXCEPTION(
        ConfigError,
        transferModelFromSection({{"base", "mobilenet_v2"}, {"classes", 2}, {"cut_at", "x"}}));
}

void TestTransfer::pretrainedFeaturesOnAThousandImages() {
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    Graph base;
    try {
        base = loadPretrainedModel("inception_v3");
    } catch (const IoError& e) {
        QSKIP(e.what());
    }
    // 1,000 training images; the first 2,000 test images judge both.
    const nlohmann::json section = {
        {"source", "fashion-mnist"}, {"normalization", "divide_255"}, {"train_samples", 1000}};
    // nsfwjs' InceptionV3 kept Keras' ImageNet weights up to mixed5 (PRETRAINED.md): general
    // features of pictures, cut there; 75x75 is the smallest input Keras documents for it.
    TransferOptions options;
    options.cutAt = "mixed5";
    options.classes = 10;
    options.height = options.width = 75;
    Graph transfer = transferModel(base, options, 5);
    const LoadedData data = loadData("", section, Shape{3, options.height, options.width});
    std::vector<int64_t> first(2000);
    std::iota(first.begin(), first.end(), int64_t{0});
    const Dataset test = data.test->subset(first);
    TrainingConfig head = adam(20, 32);
    Trainer transferTrainer(transfer, head);
    // One pass of the training images through the whole network, the base included: what
    // every epoch would cost without the base's outputs kept (and what keeping them costs once).
    const auto forwardStarted = std::chrono::steady_clock::now();
    transferTrainer.predict(data.train.samples);
    const double wholeEpoch = secondsSince(forwardStarted);
    const auto started = std::chrono::steady_clock::now();
    LogCatcher events;
    transferTrainer.fit(data.train, nullptr, &events);
    const double cachedSeconds = secondsSince(started);
    const double headEpoch = secondsSince(events.prepared) / 20;
    const double transferAccuracy = transferTrainer.evaluate(test).metrics->accuracy();

    ModelFile w4 = readModelFile(qEnvironmentVariable("LOOM_SOURCE_DIR").toStdString() +
                                 "/examples/w4_cnn.json");
    ensureBuilt(w4);
    const LoadedData grey = loadData("", section, Shape{1, 28, 28});
    w4.training.epochs = 20;
    w4.training.statistics.enabled = false;
    Trainer scratch(w4.graph, w4.training);
    scratch.fit(grey.train, nullptr);
    const double scratchAccuracy = scratch.evaluate(grey.test->subset(first)).metrics->accuracy();

    qInfo(
        "1,000 training images, 2,000 test images: %s up to %s (frozen, %lldx%lld) + head "
        "%.3f, W4 from scratch %.3f; 20 epochs with the base computed once %.2f s, of which "
        "%.3f s an epoch of the head against %.2f s for one pass through the whole network",
        base.name().c_str(), options.cutAt.c_str(), static_cast<long long>(options.height),
        static_cast<long long>(options.width), transferAccuracy, scratchAccuracy, cachedSeconds,
        headEpoch, wholeEpoch);
    QVERIFY(transferAccuracy > scratchAccuracy);

    // Fine-tuning the top block (mixed5's branches, from the layer after mixed4; batch
    // normalization stays frozen) at a tenth of the rate keeps what the head learnt.
    const auto mixed4 =
        std::find_if(transfer.nodes().begin(), transfer.nodes().end(),
                     [](const Graph::Node& n) { return n.layer->name() == "mixed4"; });
    unfreezeFrom(transfer, std::next(mixed4)->layer->name(), 0.1);
    // At the rate a new transfer project trains with (Adam 0.001): the block learns at 1e-4.
    TrainingConfig fineTuning = adam(1, 32);
    fineTuning.optimizerParams = {{"learning_rate", 0.001}};
    Trainer fineTuner(transfer, fineTuning);
    const auto fineTuneStarted = std::chrono::steady_clock::now();
    fineTuner.fit(data.train, nullptr);
    const double fineTuned = fineTuner.evaluate(test).metrics->accuracy();
    qInfo(
        "fine-tuning from %s at 0.1 of the rate, 1 epoch (%.1f s, %lld of %lld parameters "
        "trainable): %.3f -> %.3f",
        std::next(mixed4)->layer->name().c_str(), secondsSince(fineTuneStarted),
        static_cast<long long>(transfer.trainableParameterCount()),
        static_cast<long long>(transfer.parameterCount()), transferAccuracy, fineTuned);
    QVERIFY(fineTuned >= transferAccuracy - 0.01);
}

void TestTransfer::exampleLearnsItsImageFolder() {
    const std::string examples =
        qEnvironmentVariable("LOOM_SOURCE_DIR").toStdString() + "/examples";
    ModelFile example;
    try {
        example = readModelFile(examples + "/transfer_mobilenet.json");
    } catch (const IoError& e) {
        QSKIP(e.what());
    }
    QVERIFY(example.hasWeights);
    QCOMPARE(example.graph.name(), std::string("transfer_mobilenet"));
    QCOMPARE(example.graph.node("block_13_expand_relu").group, std::string("mobilenet_v2"));
    QVERIFY(!example.graph.layer("block_13_expand_relu").trainable());
    QCOMPARE(example.graph.node("predictions").outputShape, Shape{2});
    // Its folder is read from the example's own folder, wherever the program runs.
    QCOMPARE(example.data["source"].get<std::string>(), "folder:" + examples + "/garments");

    const Shape input = example.graph.node(example.graph.inputNames()[0]).outputShape;
    const LoadedData data = loadData("", example.data, input);
    QCOMPARE(data.train.size(), int64_t{300});
    QVERIFY(data.validation && data.validation->size() == 100);
    example.training.statistics.enabled = false;
    Trainer trainer(example.graph, example.training);
    trainer.fit(data.train, &*data.validation);
    const double accuracy = trainer.evaluate(*data.validation).metrics->accuracy();
    qInfo("transfer_mobilenet.json, %d epochs on 300 pictures: validation accuracy %.3f",
          example.training.epochs, accuracy);
    QVERIFY(accuracy > 0.85);
}

QTEST_GUILESS_MAIN(TestTransfer)
#include "TestTransfer.moc"
