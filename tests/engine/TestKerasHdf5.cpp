// Keras HDF5 and .keras import and Keras 2 HDF5 export. The Keras files are made at test time
// by tests/fixtures/keras_fixtures.py (Debian's python3-h5py and numpy; no Keras here) in the
// layouts each Keras version wrote, with reference outputs computed there in float64 numpy.
// Exports are checked by the same script: the layout Keras' legacy loader reads, and a numpy
// forward pass of the exported file compared with Loom's outputs.

#include <loom/Error.h>
#include <loom/KerasHdf5.h>

#include "support/Expect.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

using namespace loom;
using loom::testing::messageOf;
using nlohmann::json;

namespace {

const QString kPython = "/usr/bin/python3";
/// Loom computes in float32, the references in float64; outputs are probabilities.
constexpr double kTolerance = 2e-5;

QString fixtureScript() {
    QString source = qEnvironmentVariable("LOOM_SOURCE_DIR");
    if (source.isEmpty()) {
        source = QFileInfo(QStringLiteral(__FILE__)).absoluteDir().filePath("../..");
    }
    return QDir(source).filePath("tests/fixtures/keras_fixtures.py");
}

/// Runs the fixture script; the error text when it fails.
QString runScript(const QStringList& arguments) {
    QProcess process;
    process.start(kPython, QStringList{fixtureScript()} + arguments);
    if (!process.waitForFinished(300000)) {
        return "the fixture script did not finish";
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        return QString::fromUtf8(process.readAllStandardError());
    }
    return {};
}

json readJson(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
}

void writeJson(const std::string& path, const json& value) {
    std::ofstream(path) << value.dump();
}

Tensor inputOf(const json& spec) {
    return Tensor::fromVector(Shape(spec.at("input_shape").get<std::vector<int64_t>>()),
                              spec.at("input").get<std::vector<float>>());
}

std::vector<float> run(Graph& graph, const Tensor& input) {
    ExecutionContext ctx{cpuBackend()};
    return graph.forward(ctx, {input})[0].toVector();
}

/// The largest |a - b|; the sizes must agree.
double maxDifference(const std::vector<float>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) {
        return INFINITY;
    }
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    }
    return worst;
}

void fillRandom(Tensor& t, std::mt19937& rng, double low, double high) {
    std::uniform_real_distribution<double> uniform(low, high);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, uniform(rng));
    }
}

/// A few optimizer steps with made-up gradients, so that it has state to export.
void stepOptimizer(Graph& graph, Optimizer& optimizer, int steps) {
    std::mt19937 rng(5);
    std::vector<NamedParameter> named;
    for (auto& [name, p] : graph.parameters()) {
        if (p->trainable) {
            named.push_back({name, p});
        }
    }
    for (int s = 0; s < steps; ++s) {
        for (NamedParameter& n : named) {
            n.parameter->grad = Tensor::zeros(n.parameter->value.shape());
            fillRandom(n.parameter->grad, rng, -0.1, 0.1);
        }
        optimizer.step(cpuBackend(), named);
    }
}

/// Batch-norm statistics away from 0 and 1, so that a wrong order or layout shows.
void randomiseStatistics(Graph& graph) {
    std::mt19937 rng(9);
    for (auto& [name, p] : graph.parameters()) {
        if (p->name == "moving_variance" || p->name == "gamma") {
            fillRandom(p->value, rng, 0.5, 1.5);
        } else if (p->name == "moving_mean" || p->name == "beta" || p->name == "bias") {
            fillRandom(p->value, rng, -0.3, 0.3);
        }
    }
}

}  // namespace

class TestKerasHdf5 : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    json m_expected;

    std::string path(const QString& name) const { return m_dir.filePath(name).toStdString(); }

    /// The graph the fixture's weights-only file belongs to (its whole-model companion).
    Graph companion(const std::string& weightsFixture) {
        return loadKerasHdf5(path(weightsFixture == "k1_th_weights" ? "k1_th_cnn.h5"
                                                                    : "k2_functional_cnn.h5"))
            .graph;
    }

    /// Loads any fixture the way its kind is loaded; returns the graph.
    Graph load(const std::string& fixture, const std::string& file) {
        if (fixture.ends_with("_weights")) {
            Graph graph = companion(fixture);
            loadKerasWeightsInto(graph, file, fixture != "k1_th_weights");
            return graph;
        }
        if (file.ends_with(".keras")) {
            return std::move(loadKerasZip(file).graph);
        }
        return std::move(loadKerasHdf5(file).graph);
    }

    void compareWithReference(const std::string& fixture, Graph& graph) {
        const json& spec = m_expected.at(fixture);
        std::vector<float> out = run(graph, inputOf(spec));
        double difference = maxDifference(out, spec.at("output").get<std::vector<double>>());
        QVERIFY2(difference <= kTolerance,
                 (fixture + ": max |Loom - numpy| = " + std::to_string(difference)).c_str());
        qInfo("%s: %zu outputs, max |Loom - numpy| = %.2e", fixture.c_str(), out.size(),
              difference);
    }

    /// Exports graph, has the script check the file's layout and run it, and compares.
    void exportAndCheck(Graph& graph, const Tensor& input, const TrainingConfig* training,
                        const Optimizer* optimizer, const QString& name) {
        const std::string file = path(name + ".h5");
        exportKerasHdf5(graph, file, training, optimizer);
        std::vector<float> loom = run(graph, input);
        std::vector<float> values = input.toVector();
        writeJson(path(name + ".in.json"),
                  {{"input_shape", input.shape().dims()}, {"input", values}});
        QString error =
            runScript({"check", QString::fromStdString(file), m_dir.filePath(name + ".in.json"),
                       m_dir.filePath(name + ".out.json")});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        json checked = readJson(path(name + ".out.json"));
        double difference = maxDifference(loom, checked.at("output").get<std::vector<double>>());
        QVERIFY2(difference <= kTolerance,
                 qPrintable(name +
                            ": max |Loom - numpy of the export| = " + QString::number(difference)));
        qInfo("%s: %d layout checks passed, max |Loom - numpy| = %.2e", qPrintable(name),
              checked.at("checks").get<int>(), difference);
    }

private slots:
    void initTestCase() {
        if (QProcess::execute(kPython, {"-c", "import h5py, numpy"}) != 0) {
            QSKIP("python3-h5py and python3-numpy are needed to make the Keras fixtures");
        }
        QVERIFY(m_dir.isValid());
        QString error = runScript({"generate", m_dir.path()});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        m_expected = readJson(path("expected.json"));
    }

    void importMatchesNumpy_data() {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QString>("file");
        QTest::newRow("Keras 1 Theano th CNN") << "k1_th_cnn"
                                               << "k1_th_cnn.h5";
        QTest::newRow("Keras 1 TensorFlow tf functional") << "k1_tf_functional"
                                                          << "k1_tf_functional.h5";
        QTest::newRow("Keras 2.1 Sequential MLP") << "k2_mlp"
                                                  << "k2_mlp.h5";
        QTest::newRow("Keras 2.2 functional CNN") << "k2_functional_cnn"
                                                  << "k2_functional_cnn.h5";
        QTest::newRow("Keras 2.0 Theano channels_first") << "k2_theano"
                                                         << "k2_theano.h5";
        QTest::newRow("tf.keras nested scopes") << "tfkeras_nested"
                                                << "tfkeras_nested.h5";
        QTest::newRow("Keras 3 legacy h5") << "k3_legacy"
                                           << "k3_legacy.h5";
        QTest::newRow("Keras 3 .keras Sequential") << "sequential_keras"
                                                   << "sequential.keras";
        QTest::newRow("Keras 3 .keras functional") << "functional_keras"
                                                   << "functional.keras";
        QTest::newRow("Keras 2 weights only") << "k2_weights"
                                              << "k2_weights.h5";
        QTest::newRow("Keras 1 th weights only") << "k1_th_weights"
                                                 << "k1_th_weights.h5";
    }

    void importMatchesNumpy() {
        QFETCH(QString, fixture);
        QFETCH(QString, file);
        Graph graph = load(fixture.toStdString(), path(file));
        compareWithReference(fixture.toStdString(), graph);
    }

    void keras1Details() {
        KerasModel model = loadKerasHdf5(path("k1_th_cnn.h5"));
        QVERIFY(!model.channelsLast);
        QCOMPARE(model.graph.inputNames(), std::vector<std::string>{"convolution2d_1_input"});
        QCOMPARE(model.graph.node("convolution2d_1_input").outputShape, (Shape{2, 8, 8}));
        QCOMPARE(model.graph.layer("convolution2d_2").params().getInts("kernel_size"),
                 (std::vector<int64_t>{2, 3}));
        QCOMPARE(model.graph.layer("dropout_1").params().getFloat("rate"), 0.5);
        QVERIFY(model.training.has_value());
        QCOMPARE(model.training->optimizer, std::string("sgd"));
        QCOMPARE(model.training->optimizerParams.value("learning_rate", 0.0), 0.01);
        QCOMPARE(model.training->optimizerParams.value("momentum", 0.0), 0.9);
        QCOMPARE(model.training->optimizerParams.value("nesterov", false), true);
        // Theano's unnamed optimizer variables cannot be matched to parameters.
        QVERIFY(model.optimizerState.empty());
        QCOMPARE(model.warnings.size(), size_t(1));
        QVERIFY(model.warnings[0].find("param_0") != std::string::npos);
    }

    void trainingConfigs() {
        KerasModel mlp = loadKerasHdf5(path("k2_mlp.h5"));
        QCOMPARE(mlp.training->optimizer, std::string("rmsprop"));
        QCOMPARE(mlp.training->optimizerParams.value("learning_rate", 0.0), 0.002);
        QCOMPARE(mlp.training->loss, std::string("categorical_crossentropy"));
        QVERIFY(mlp.optimizerState.empty());  // Keras 2's "training/RMSprop/Variable:0"

        KerasModel cnn = loadKerasHdf5(path("k2_functional_cnn.h5"));
        QCOMPARE(cnn.training->optimizer, std::string("adam"));
        QCOMPARE(cnn.training->optimizerParams.value("epsilon", 0.0), 1e-7);

        KerasModel k3 = loadKerasHdf5(path("k3_legacy.h5"));
        QCOMPARE(k3.training->optimizer, std::string("sgd"));
        QCOMPARE(k3.training->optimizerParams.value("learning_rate", 0.0), 0.05);
        QCOMPARE(k3.graph.layer("batch_normalization").findParameter("gamma"), nullptr);

        KerasModel archive = loadKerasZip(path("sequential.keras"));
        QCOMPARE(archive.training->optimizer, std::string("adam"));
        QCOMPARE(archive.training->optimizerParams.value("beta_1", 0.0), 0.8);
        KerasModel functional = loadKerasZip(path("functional.keras"));
        QCOMPARE(functional.training->optimizer, std::string("rmsprop"));
        QCOMPARE(functional.training->optimizerParams.value("rho", 0.0), 0.8);
        QCOMPARE(functional.training->loss, std::string("binary_crossentropy"));
    }

    void tfkerasOptimizerState() {
        KerasModel model = loadKerasHdf5(path("tfkeras_nested.h5"));
        QVERIFY2(model.warnings.empty(), model.warnings.empty() ? "" : model.warnings[0].c_str());
        QCOMPARE(model.optimizerIterations, int64_t(7));
        QCOMPARE(model.optimizerState.size(), size_t(12));  // 6 weights x (m, v)
        // Adam/conv2d_1/kernel/m:0 belongs to layer conv2d, HWIO [3, 3, 1, 3] -> OIHW.
        const Tensor& m = model.optimizerState.at("conv2d/kernel/momentum");
        QCOMPARE(m.shape(), (Shape{3, 1, 3, 3}));
        std::vector<double> hwio =
            m_expected.at("tfkeras_nested").at("conv_kernel_m").get<std::vector<double>>();
        for (int64_t o = 0; o < 3; ++o)
            for (int64_t y = 0; y < 3; ++y)
                for (int64_t x = 0; x < 3; ++x)
                    QCOMPARE(m.at((o * 3 + y) * 3 + x), double(float(hwio[(y * 3 + x) * 3 + o])));
        auto optimizer = makeOptimizer(model.training->optimizer, model.training->optimizerParams);
        optimizer->restoreState(model.optimizerState, model.optimizerIterations);
        QCOMPARE(optimizer->iterations(), int64_t(7));
    }

    void keras3SaveWeights() {
        const std::vector<std::pair<std::string, std::string>> models = {
            {"sequential", "sequential_keras"}, {"functional", "functional_keras"}};
        for (const auto& [name, fixture] : models) {
            // The architecture alone, with fresh weights, then Keras 3's save_weights file.
            Graph graph = Graph::fromJson(
                loadKerasZip(path(QString::fromStdString(name) + ".keras")).graph.toJson());
            graph.build(99);
            loadKerasWeightsInto(graph, path(QString::fromStdString(name) + ".weights.h5"));
            compareWithReference(fixture, graph);
        }
        Graph sequential = Graph::fromJson(loadKerasZip(path("sequential.keras")).graph.toJson());
        sequential.build(1);
        QString message = messageOf<IoError>(
            [&] { loadKerasWeightsInto(sequential, path("functional.weights.h5")); });
        QVERIFY2(message.contains("functional.weights.h5") && message.contains("'hidden'"),
                 qPrintable(message));
    }

    void weightsOnlyErrors() {
        Graph graph = companion("k2_weights");
        // The layers before dense_2 load, then dense_2 does not fit: all are put back.
        QString message = messageOf<IoError>(
            [&] { loadKerasWeightsInto(graph, path("broken/weights_bad_tail.h5")); });
        QVERIFY2(message.contains("dense_2") && message.contains("(3, 5)"), qPrintable(message));
        compareWithReference("k2_functional_cnn", graph);
        // Another model's weights: a layer of the file that the graph lacks.
        message = messageOf<IoError>([&] { loadKerasWeightsInto(graph, path("k2_mlp.h5")); });
        QVERIFY2(message.contains("dense_1") && message.contains("(12, 16)"), qPrintable(message));
        message =
            messageOf<IoError>([&] { loadKerasWeightsInto(graph, path("k1_th_weights.h5")); });
        QVERIFY2(message.contains("convolution2d_1") && message.contains("does not have"),
                 qPrintable(message));
        compareWithReference("k2_functional_cnn", graph);
    }

    void exportSequential() {
        Graph graph;
        graph.add("Input", "features", {{"shape", {10}}});
        graph.add("Dense", "hidden", {{"units", 16}, {"activation", "relu"}}, {"features"});
        graph.add("Dropout", "dropout", {{"rate", 0.2}}, {"hidden"});
        graph.add("Dense", "probabilities", {{"units", 4}, {"activation", "softmax"}}, {"dropout"});
        graph.build(3);
        randomiseStatistics(graph);
        TrainingConfig training;
        training.optimizer = "adam";
        training.optimizerParams = {{"learning_rate", 0.01}};
        auto optimizer = makeOptimizer("adam", training.optimizerParams);
        stepOptimizer(graph, *optimizer, 3);
        std::mt19937 rng(1);
        Tensor input = Tensor::zeros(Shape{4, 10});
        fillRandom(input, rng, -1, 1);
        exportAndCheck(graph, input, &training, optimizer.get(), "sequential_export");

        KerasModel back = loadKerasHdf5(path("sequential_export.h5"));
        QCOMPARE(run(back.graph, input), run(graph, input));
        QCOMPARE(back.training->optimizer, std::string("adam"));
        QCOMPARE(back.training->optimizerParams.value("learning_rate", 0.0), 0.01);
        QCOMPARE(back.optimizerIterations, int64_t(3));
        std::map<std::string, Tensor> state = optimizer->stateTensors();
        QCOMPARE(back.optimizerState.size(), state.size());
        for (auto& [name, value] : state) {
            QCOMPARE(back.optimizerState.at(name).toVector(), value.toVector());
        }
    }

    void exportFunctional() {
        Graph graph;
        graph.add("Input", "image", {{"shape", {3, 9, 9}}});
        graph.add(
            "Conv2D", "conv",
            {{"filters", 4}, {"kernel_size", {3, 2}}, {"padding", "same"}, {"activation", "relu"}},
            {"image"});
        graph.add("BatchNormalization", "norm", json::object(), {"conv"});
        graph.add("ZeroPadding2D", "pad", {{"padding", {1, 0, 2, 1}}}, {"norm"});
        graph.add("MaxPool2D", "pool", {{"pool_size", {2, 2}}}, {"pad"});
        graph.add("DepthwiseConv2D", "depthwise",
                  {{"kernel_size", {3, 3}}, {"padding", "same"}, {"depth_multiplier", 2}},
                  {"pool"});
        graph.add("Conv2D", "project", {{"filters", 8}, {"kernel_size", {1, 1}}}, {"pool"});
        graph.add("Add", "sum", json::object(), {"depthwise", "project"});
        graph.add("LeakyReLU", "leaky", {{"alpha", 0.1}}, {"sum"});
        graph.add("Conv2D", "side",
                  {{"filters", 2}, {"kernel_size", {1, 1}}, {"activation", "elu"}}, {"pool"});
        graph.add("Concatenate", "joined", {{"axis", 1}}, {"leaky", "side"});
        graph.add("AveragePool2D", "smooth", {{"pool_size", {2, 2}}, {"strides", {1, 1}}},
                  {"joined"});
        graph.add("Flatten", "flat", json::object(), {"smooth"});
        graph.add("Dense", "fc", {{"units", 6}}, {"flat"});
        graph.add("ReLU", "relu6", {{"max_value", 6.0}}, {"fc"});
        graph.add("GlobalAveragePool2D", "gap", json::object(), {"joined"});
        graph.add("Concatenate", "features", {{"axis", 1}}, {"relu6", "gap"});
        graph.add("Dropout", "dropout", {{"rate", 0.3}}, {"features"});
        graph.add("Dense", "out", {{"units", 3}, {"activation", "softmax"}}, {"dropout"});
        graph.build(4);
        randomiseStatistics(graph);
        graph.layer("side").setTrainable(false);
        graph.layer("fc").setLearningRateFactor(0.1);
        TrainingConfig training;
        training.optimizer = "sgd";
        training.optimizerParams = {{"learning_rate", 0.05}, {"momentum", 0.9}};
        auto optimizer = makeOptimizer("sgd", training.optimizerParams);
        std::mt19937 rng(2);
        Tensor input = Tensor::zeros(Shape{2, 3, 9, 9});
        fillRandom(input, rng, -1, 1);
        // No step yet: the slots are written as a fresh optimizer would start them.
        exportAndCheck(graph, input, &training, optimizer.get(), "functional_export");

        KerasModel back = loadKerasHdf5(path("functional_export.h5"));
        QCOMPARE(run(back.graph, input), run(graph, input));
        QVERIFY(!back.graph.layer("side").trainable());
        QCOMPARE(back.graph.layer("fc").learningRateFactor(), 0.1);
        QCOMPARE(back.graph.layer("out").learningRateFactor(), 1.0);
        QCOMPARE(back.training->optimizerParams.value("momentum", 0.0), 0.9);
        // The same file read as weights only into the original graph changes nothing.
        std::vector<float> before = run(graph, input);
        loadKerasWeightsInto(graph, path("functional_export.h5"));
        QCOMPARE(run(graph, input), before);
    }

    void exportWithoutTraining() {
        KerasModel model = loadKerasHdf5(path("k1_th_cnn.h5"));
        const std::string file = path("k1_reexport.h5");
        exportKerasHdf5(model.graph, file);
        KerasModel back = loadKerasHdf5(file);
        QVERIFY(!back.training.has_value());
        // The Theano model is now a channels_last Keras 2 model computing the same function.
        Tensor input = inputOf(m_expected.at("k1_th_cnn"));
        QCOMPARE(run(back.graph, input), run(model.graph, input));
    }

    void exportErrors() {
        Graph unbuilt;
        unbuilt.add("Input", "in", {{"shape", {4}}});
        QVERIFY(messageOf<GraphError>([&] {
                    exportKerasHdf5(unbuilt, path("x.h5"));
                }).contains("build"));

        Graph leaky;
        leaky.add("Input", "in", {{"shape", {4}}});
        leaky.add("Dense", "d", {{"units", 2}, {"activation", "leaky_relu"}}, {"in"});
        leaky.build();
        QString message = messageOf<IoError>([&] { exportKerasHdf5(leaky, path("x.h5")); });
        QVERIFY2(message.contains("'d'") && message.contains("leaky_relu"), qPrintable(message));

        Graph flat;
        flat.add("Input", "in", {{"shape", {2, 3, 3}}});
        flat.add("Flatten", "f", json::object(), {"in"});
        flat.build();
        message = messageOf<IoError>([&] { exportKerasHdf5(flat, path("x.h5")); });
        QVERIFY2(message.contains("'f'") && message.contains("flattened"), qPrintable(message));
        QVERIFY(!std::filesystem::exists(path("x.h5")));
    }

    void brokenFiles_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("words");
        auto row = [](const char* file, QStringList words) {
            QTest::newRow(file) << QString(file) << words;
        };
        row("string_kernel.h5", {"dense_1/kernel:0", "not numeric"});
        row("compound_kernel.h5", {"dense_1/kernel:0", "not numeric"});
        row("absurd_dims.h5", {"dense_1/kernel:0", "claims"});
        row("wrong_shape.h5", {"dense_1", "(16, 12)", "(12, 16)"});
        row("missing_group.h5", {"dense_2", "no group"});
        row("missing_weight.h5", {"dense_1/kernel:0", "missing"});
        row("missing_model_weights.h5", {"/model_weights", "missing"});
        row("int_weight_names.h5", {"weight_names", "not a string"});
        row("hard_link.h5", {"dense_3", "already gave"});
        row("lambda_layer.h5", {"lambda_1", "Lambda", "not supported"});
        row("custom_layer.h5", {"attention_pooling_1", "AttentionPooling", "not supported"});
        row("huge_layer.h5", {"dense_2", "larger than the file"});
        row("bad_json.h5", {"model_config", "not valid JSON"});
        row("weights_file_as_model.h5", {"model_config", "weights only"});
        row("no_config.keras", {"config.json"});
        row("npz_weights.keras", {".npz"});
        row("bad_config.keras", {"config.json"});
        row("not_hdf5.keras", {"model.weights.h5", "not an HDF5 file"});
        row("bad_crc.keras", {"model.weights.h5", "CRC"});
        row("bomb.keras", {"model.weights.h5", "claims"});
        row("not_a_zip.keras", {"not a zip"});
    }

    void brokenFiles() {
        QFETCH(QString, file);
        QFETCH(QStringList, words);
        const std::string name = path("broken/" + file);
        QString message = messageOf<IoError>([&] {
            if (file.endsWith(".keras")) {
                loadKerasZip(name);
            } else {
                loadKerasHdf5(name);
            }
        });
        QVERIFY2(message.contains(QString::fromStdString(name)), qPrintable(message));
        for (const QString& word : words) {
            QVERIFY2(message.contains(word), qPrintable(message + " lacks: " + word));
        }
    }

    /// Every valid fixture cut short at 32 points, and with 64 single bytes changed: a cut file
    /// must give IoError, a changed one IoError or a model; nothing else, never a crash.
    void truncatedAndFlipped_data() { importMatchesNumpy_data(); }

    void truncatedAndFlipped() {
        QFETCH(QString, fixture);
        QFETCH(QString, file);
        std::ifstream in(path(file), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        const std::string damaged = path("damaged_" + file);
        const std::string fixtureName = fixture.toStdString();
        auto attempt = [&](const std::string& content) {
            std::ofstream(damaged, std::ios::binary) << content;
            return messageOf<IoError>([&] { load(fixtureName, damaged); });
        };
        for (int cut = 0; cut < 32; ++cut) {
            const size_t length = bytes.size() * cut / 32;
            QString message = attempt(bytes.substr(0, length));
            QVERIFY2(message != "no exception" && !message.startsWith("wrong exception"),
                     qPrintable(file + " cut to " + QString::number(length) + ": " + message));
        }
        std::mt19937 rng(42);
        const int kFlips = qEnvironmentVariableIntValue("LOOM_KERAS_FLIPS") > 0
                               ? qEnvironmentVariableIntValue("LOOM_KERAS_FLIPS")
                               : 200;
        int errors = 0;
        for (int flip = 0; flip < kFlips; ++flip) {
            std::string changed = bytes;
            changed[rng() % changed.size()] ^= static_cast<char>(1 + rng() % 255);
            QString message = attempt(changed);
            QVERIFY2(!message.startsWith("wrong exception"), qPrintable(file + ": " + message));
            errors += message != "no exception";
        }
        qInfo("%s: 32 cuts all rejected; %d of %d byte changes rejected, the rest still load",
              qPrintable(file), errors, kFlips);
    }
};

QTEST_GUILESS_MAIN(TestKerasHdf5)
#include "TestKerasHdf5.moc"
