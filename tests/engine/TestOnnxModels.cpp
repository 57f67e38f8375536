// ONNX model import and export. Import is proved on the PyTorch-converted single-layer models
// of Debian's libonnx-testdata: every model whose ops Loom has is imported whole through
// importOnnx and run on its test_data_set_N inputs, and every output element must satisfy
// |loom - onnx| <= 1e-4 + 1e-4 |onnx|; the others are skipped with the importer's own message
// saying why. Export is proved by round trips (export, import, the same outputs to 1e-6 and a
// second export byte for byte the first), by ONNX's own checker (Debian's python3-onnx, with
// full_check) on every exported file, and by ONNX's reference evaluator where the installed
// onnx has one (1.12, Debian 12's, has not). Broken files (truncated, bytes flipped, absurd
// sizes, unknown ops) must all give a clean IoError.

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/OnnxExport.h>
#include <loom/OnnxImport.h>
#include <loom/OnnxModel.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

using namespace loom;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string testDataDir() {
    const char* env = std::getenv("LOOM_ONNX_TESTDATA");
    return env != nullptr ? env : "/usr/share/libonnx-testdata/data";
}

/// The Python that has Debian's python3-onnx; LOOM_PYTHON picks another.
QString python() {
    const char* env = std::getenv("LOOM_PYTHON");
    return env != nullptr ? env : "/usr/bin/python3";
}

/// The models of libonnx-testdata that import and must match their outputs. Every other
/// model of the two folders is skipped with the importer's message (printed by the test).
const std::set<std::string>& expectedImports() {
    static const std::set<std::string> names = {
        "pytorch-converted/test_AvgPool1d",
        "pytorch-converted/test_AvgPool1d_stride",
        "pytorch-converted/test_AvgPool2d",
        "pytorch-converted/test_AvgPool2d_stride",
        "pytorch-converted/test_BatchNorm1d_3d_input_eval",
        "pytorch-converted/test_BatchNorm2d_eval",
        "pytorch-converted/test_BatchNorm2d_momentum_eval",
        "pytorch-converted/test_BatchNorm3d_eval",
        "pytorch-converted/test_BatchNorm3d_momentum_eval",
        "pytorch-converted/test_Conv1d",
        "pytorch-converted/test_Conv1d_dilated",
        "pytorch-converted/test_Conv1d_pad1",
        "pytorch-converted/test_Conv1d_pad1size1",
        "pytorch-converted/test_Conv1d_pad2",
        "pytorch-converted/test_Conv1d_pad2size1",
        "pytorch-converted/test_Conv1d_stride",
        "pytorch-converted/test_Conv2d",
        "pytorch-converted/test_Conv2d_depthwise",
        "pytorch-converted/test_Conv2d_depthwise_padded",
        "pytorch-converted/test_Conv2d_depthwise_strided",
        "pytorch-converted/test_Conv2d_depthwise_with_multiplier",
        "pytorch-converted/test_Conv2d_dilated",
        "pytorch-converted/test_Conv2d_no_bias",
        "pytorch-converted/test_Conv2d_padding",
        "pytorch-converted/test_Conv2d_strided",
        "pytorch-converted/test_ELU",
        "pytorch-converted/test_LeakyReLU",
        "pytorch-converted/test_LeakyReLU_with_negval",
        "pytorch-converted/test_Linear",
        "pytorch-converted/test_Linear_no_bias",
        "pytorch-converted/test_MaxPool1d",
        "pytorch-converted/test_MaxPool1d_stride",
        "pytorch-converted/test_MaxPool2d",
        "pytorch-converted/test_ReLU",
        "pytorch-converted/test_Sigmoid",
        "pytorch-converted/test_Softmax",
        "pytorch-converted/test_Tanh",
        "pytorch-converted/test_ZeroPad2d",
        "pytorch-converted/test_softmax_lastdim",
        "pytorch-operator/test_operator_concat2",
        "pytorch-operator/test_operator_conv",
        "pytorch-operator/test_operator_flatten",
        "pytorch-operator/test_operator_maxpool",
    };
    return names;
}

/// Every input_K.pb / output_K.pb of one data set, in order of K, as tensors.
std::vector<Tensor> readTensors(const fs::path& dir, const std::string& prefix) {
    std::vector<Tensor> tensors;
    for (int k = 0; fs::exists(dir / (prefix + std::to_string(k) + ".pb")); ++k) {
        tensors.push_back(readOnnxTensorFile(dir / (prefix + std::to_string(k) + ".pb")).value());
    }
    return tensors;
}

std::vector<fs::path> dataSets(const fs::path& modelDir) {
    std::vector<fs::path> sets;
    for (const auto& entry : fs::directory_iterator(modelDir)) {
        if (entry.path().filename().string().rfind("test_data_set_", 0) == 0) {
            sets.push_back(entry.path());
        }
    }
    std::sort(sets.begin(), sets.end());
    return sets;
}

/// Runs the graph on the CPU; host copies of its outputs.
std::vector<Tensor> run(Graph& graph, const std::vector<Tensor>& inputs) {
    ExecutionContext ctx{cpuBackend()};
    std::vector<Tensor> outputs;
    for (const Tensor& t : graph.forward(ctx, inputs)) {
        outputs.push_back(t.clone());
    }
    return outputs;
}

/// The largest |got - want| / (absolute + relative |want|), over every element; > 1 fails.
double worstError(const Tensor& got, const Tensor& want, double absolute, double relative) {
    double worst = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
        const double g = got.at(i), w = want.at(i);
        const double error = std::abs(g - w) / (absolute + relative * std::abs(w));
        worst = std::isnan(g) != std::isnan(w) ? INFINITY : std::max(worst, error);
    }
    return worst;
}

float noise(std::mt19937& rng, float low, float high) {
    return std::uniform_real_distribution<float>(low, high)(rng);
}

/// Gives every weight random values, batch-norm statistics included (variances positive), so
/// that no layer of a round trip is an identity.
void randomiseWeights(Graph& graph, uint32_t seed) {
    std::mt19937 rng(seed);
    for (auto& [name, p] : graph.parameters()) {
        const bool variance = p->name == "moving_variance";
        for (int64_t i = 0; i < p->value.numel(); ++i) {
            p->value.set(i, variance ? noise(rng, 0.5f, 1.5f) : noise(rng, -0.5f, 0.5f));
        }
    }
}

Tensor randomBatch(const Shape& sample, int64_t batch, uint32_t seed) {
    std::mt19937 rng(seed);
    Tensor t = Tensor::empty(sample.withBatch(batch));
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, noise(rng, -1.0f, 1.0f));
    }
    return t;
}

/// Dense layers with every activation Loom exports, batch norm on features, dropout, and two
/// outputs.
Graph mlp() {
    Graph g;
    g.add("Input", "features", {{"shape", {12}}});
    g.add("Dense", "hidden", {{"units", 16}, {"activation", "relu"}}, {"features"});
    g.add("Dropout", "dropout", {{"rate", 0.25}}, {"hidden"});
    g.add("Dense", "wide", {{"units", 10}, {"activation", "tanh"}, {"use_bias", false}},
          {"dropout"});
    g.add("BatchNormalization", "norm", json::object(), {"wide"});
    g.add("LeakyReLU", "leaky", {{"alpha", 0.1}}, {"norm"});
    g.add("Dense", "fused_elu", {{"units", 8}, {"activation", "elu"}}, {"leaky"});
    g.add("Dense", "fused_leaky", {{"units", 8}, {"activation", "leaky_relu"}}, {"fused_elu"});
    g.add("ELU", "elu", {{"alpha", 0.5}}, {"fused_leaky"});
    g.add("Dense", "probabilities", {{"units", 4}, {"activation", "softmax"}}, {"elu"});
    g.add("Activation", "gate", {{"activation", "sigmoid"}}, {"norm"});
    g.setOutputs({"probabilities", "gate"});
    return g;
}

/// Convolutions (depthwise too) with every padding, batch norm, both poolings, concatenation,
/// a three-way add, zero padding, capped ReLUs, global pooling, a reshape and a channel
/// softmax.
Graph cnn() {
    Graph g;
    g.add("Input", "image", {{"shape", {3, 11, 10}}});
    g.add("ZeroPadding2D", "pad", {{"padding", {1, 2, 0, 1}}}, {"image"});
    g.add("Conv2D", "conv",
          {{"filters", 6}, {"kernel_size", {3, 3}}, {"padding", "same"}, {"activation", "relu"}},
          {"pad"});
    g.add("BatchNormalization", "norm", {}, {"conv"});
    g.add("MaxPool2D", "pool", {{"pool_size", {2, 2}}, {"strides", {2, 2}}}, {"norm"});
    g.add("Conv2D", "branch_a",
          {{"filters", 4}, {"kernel_size", {1, 1}}, {"activation", "sigmoid"}}, {"pool"});
    g.add("Conv2D", "branch_b",
          {{"filters", 4},
           {"kernel_size", {3, 2}},
           {"padding", "same"},
           {"dilation_rate", {2, 1}},
           {"use_bias", false}},
          {"pool"});
    g.add("DepthwiseConv2D", "depthwise",
          {{"kernel_size", {3, 3}},
           {"padding", "same"},
           {"depth_multiplier", 2},
           {"activation", "relu6"}},
          {"pool"});
    g.add("ReLU", "capped", {{"max_value", 3.0}}, {"depthwise"});
    g.add("Concatenate", "mixed", {{"axis", 1}}, {"branch_a", "branch_b", "capped"});
    g.add("Conv2D", "down",
          {{"filters", 8},
           {"kernel_size", {3, 3}},
           {"strides", {2, 2}},
           {"padding", "same"},
           {"activation", "elu"}},
          {"mixed"});
    g.add("Conv2D", "side", {{"filters", 8}, {"kernel_size", {1, 1}}, {"strides", {2, 2}}},
          {"mixed"});
    g.add("Conv2D", "side_tanh",
          {{"filters", 8},
           {"kernel_size", {2, 2}},
           {"strides", {2, 2}},
           {"padding", "same"},
           {"activation", "tanh"}},
          {"mixed"});
    g.add("Add", "residual", json::object(), {"down", "side", "side_tanh"});
    g.add("AveragePool2D", "smooth",
          {{"pool_size", {3, 3}}, {"strides", {1, 1}}, {"padding", "same"}}, {"residual"});
    g.add("GlobalAveragePool2D", "gap", json::object(), {"smooth"});
    g.add("Dense", "classes", {{"units", 5}, {"activation", "softmax"}}, {"gap"});
    g.add("Flatten", "flat", json::object(), {"smooth"});
    g.add("Reshape", "grid", {{"target_shape", {8, -1}}}, {"flat"});
    g.add("Activation", "grid_softmax", {{"activation", "softmax"}}, {"grid"});
    g.add("MaxPool2D", "corner_pool",
          {{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "same"}}, {"residual"});
    g.add("Conv2D", "channel_softmax",
          {{"filters", 3}, {"kernel_size", {1, 1}}, {"activation", "softmax"}}, {"corner_pool"});
    g.setOutputs({"classes", "grid_softmax", "channel_softmax"});
    return g;
}

Graph builtRandomised(Graph graph, uint32_t seed) {
    graph.build(seed);
    randomiseWeights(graph, seed);
    return graph;
}

/// Equal JSON, with numbers compared to float precision (ONNX attributes are float32).
bool sameJson(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) {
        const double x = a.get<double>(), y = b.get<double>();
        return std::abs(x - y) <= 1e-6 * std::max(1.0, std::abs(y));
    }
    if (a.type() != b.type() || a.size() != b.size()) {
        return false;
    }
    if (a.is_object()) {
        for (auto it = a.begin(); it != a.end(); ++it) {
            if (!b.contains(it.key()) || !sameJson(it.value(), b[it.key()])) {
                return false;
            }
        }
        return true;
    }
    if (a.is_array()) {
        for (size_t i = 0; i < a.size(); ++i) {
            if (!sameJson(a[i], b[i])) {
                return false;
            }
        }
        return true;
    }
    return a == b;
}

/// A layer's name, type, parameters and inputs, which an import of an export must keep.
json structureOf(const Graph& graph) {
    const json whole = graph.toJson();
    json layers = json::array();
    for (const json& layer : whole["layers"]) {
        layers.push_back({{"name", layer["name"]},
                          {"type", layer["type"]},
                          {"params", layer["params"]},
                          {"inputs", layer["inputs"]}});
    }
    return layers;
}

OnnxAttribute attribute(const std::string& name, int32_t type) {
    OnnxAttribute a;
    a.name = name;
    a.type = type;
    return a;
}

std::string exportedBytes(const Graph& graph) {
    return serializeOnnxModel(onnxModelFromGraph(graph));
}

std::string expectIoError(const std::function<void()>& action) {
    try {
        action();
    } catch (const IoError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("wrong exception type: ") + e.what();
    }
    return "no exception";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// Decodes and imports bytes: what importOnnx does with a file's contents.
Graph importBytes(const std::string& bytes) {
    return graphFromOnnx(parseOnnxModel(bytes, "broken.onnx"), "broken.onnx");
}

OnnxNode& nodeNamed(OnnxModel& model, const std::string& name) {
    for (OnnxNode& node : model.graph.nodes) {
        if (node.name == name) {
            return node;
        }
    }
    throw Error("the exported model has no node '" + name + "'");
}

OnnxTensor& initializerNamed(OnnxModel& model, const std::string& name) {
    for (OnnxTensor& t : model.graph.initializers) {
        if (t.name == name) {
            return t;
        }
    }
    throw Error("the exported model has no initializer '" + name + "'");
}

OnnxAttribute& attributeNamed(OnnxNode& node, const std::string& name) {
    for (OnnxAttribute& a : node.attributes) {
        if (a.name == name) {
            return a;
        }
    }
    throw Error("node '" + node.name + "' has no attribute '" + name + "'");
}

}  // namespace

class TestOnnxModels : public QObject {
    Q_OBJECT

private slots:
    void encodingRoundTrips();
    void pytorchModels_data();
    void pytorchModels();
    void exportRoundTrips_data();
    void exportRoundTrips();
    void importMayReshapeWhatItComputes();
    void exportedFilesPassTheOnnxChecker();
    void exportNeedsABuiltGraph();
    void exportReplacesFilesAtomically();
    void truncatedFilesFailCleanly();
    void flippedBytesFailCleanly();
    void absurdSizesFailCleanly();
    void unsupportedOpsNameTheNode();
    void cleanupTestCase();

private:
    std::vector<std::string> m_skipped;  // "model: reason", for the summary
    int m_passed = 0;
};

void TestOnnxModels::encodingRoundTrips() {
    OnnxModel model;
    model.irVersion = 8;
    model.producerName = "Loom";
    model.producerVersion = "test";
    model.opsetImports = {{"", 13}, {"com.example", -2}};
    model.graph.name = "g";
    OnnxTensor weights;
    weights.name = "w";
    weights.dataType = static_cast<int32_t>(OnnxDataType::Float);
    weights.dims = {2, 3};
    weights.setValue(
        Tensor::fromVector(Shape{2, 3}, std::vector<float>{1, -2, 3.5f, 0, 1e-30f, -7}));
    OnnxTensor shape;
    shape.name = "shape";
    shape.dataType = static_cast<int32_t>(OnnxDataType::Int64);
    shape.dims = {3};
    shape.setValue(Tensor::fromVector(Shape{3}, std::vector<float>{-1, 0, 1 << 20}));
    model.graph.initializers = {weights, shape};
    OnnxNode node;
    node.name = "n";
    node.opType = "Op";
    node.domain = "com.example";
    node.inputs = {"x", "", "w"};
    node.outputs = {"y"};
    OnnxAttribute f = attribute("f", OnnxAttribute::Float);
    f.f = -0.25f;
    OnnxAttribute i = attribute("i", OnnxAttribute::Int);
    i.i = -3;  // a negative varint takes ten bytes
    OnnxAttribute s = attribute("s", OnnxAttribute::String);
    s.s = std::string("a\0b", 3);
    OnnxAttribute t = attribute("t", OnnxAttribute::TensorValue);
    t.t = std::make_shared<OnnxTensor>(shape);
    OnnxAttribute floats = attribute("fs", OnnxAttribute::Floats);
    floats.floats = {1.5f, -2.5f};
    OnnxAttribute is = attribute("is", OnnxAttribute::Ints);
    is.ints = {0, -1, int64_t{1} << 40};
    OnnxAttribute ss = attribute("ss", OnnxAttribute::Strings);
    ss.strings = {"p", "", "q"};
    node.attributes = {f, i, s, t, floats, is, ss};
    model.graph.nodes = {node};
    model.graph.inputs = {{"x", 1, true, {-1, 3, 300}}};
    model.graph.outputs = {{"y", 1, false, {}}};

    const OnnxModel back = parseOnnxModel(serializeOnnxModel(model), "memory");
    QCOMPARE(back.irVersion, int64_t{8});
    QCOMPARE(back.producerName, std::string("Loom"));
    QCOMPARE(back.producerVersion, std::string("test"));
    QCOMPARE(back.opsetImports.size(), size_t{2});
    QCOMPARE(back.opsetImports[1].domain, std::string("com.example"));
    QCOMPARE(back.opsetImports[1].version, int64_t{-2});
    QCOMPARE(back.opsetVersion(), int64_t{13});
    QCOMPARE(back.graph.initializers.size(), size_t{2});
    QCOMPARE(back.graph.initializers[0].dims, (std::vector<int64_t>{2, 3}));
    QCOMPARE(back.graph.initializers[0].value().toVector(), weights.value().toVector());
    QCOMPARE(back.graph.initializers[1].dataType, static_cast<int32_t>(OnnxDataType::Int64));
    QCOMPARE(back.graph.initializers[1].value().toVector(), shape.value().toVector());
    const OnnxNode& n = back.graph.nodes.at(0);
    QCOMPARE(n.inputs, node.inputs);
    QCOMPARE(n.outputs, node.outputs);
    QCOMPARE(n.domain, std::string("com.example"));
    QCOMPARE(n.getFloat("f", 0), -0.25f);
    QCOMPARE(n.getInt("i", 0), int64_t{-3});
    QCOMPARE(n.getString("s", ""), std::string("a\0b", 3));
    QCOMPARE(n.attribute("t")->t->value().toVector(), shape.value().toVector());
    QCOMPARE(n.attribute("fs")->floats, floats.floats);
    QCOMPARE(n.getInts("is", {}), is.ints);
    QCOMPARE(n.attribute("ss")->strings, ss.strings);
    QCOMPARE(back.graph.inputs.at(0).dims, (std::vector<int64_t>{-1, 3, 300}));
    QVERIFY(back.graph.inputs.at(0).hasShape);
    QVERIFY(!back.graph.outputs.at(0).hasShape);

    OnnxModel fractional = model;
    fractional.graph.initializers[1].setValue(
        Tensor::fromVector(Shape{3}, std::vector<float>{1, 2.5f, 3}));
    QVERIFY(contains(expectIoError([&] { serializeOnnxModel(fractional); }), "whole number"));
}

void TestOnnxModels::pytorchModels_data() {
    QTest::addColumn<QString>("name");
    if (!fs::is_directory(testDataDir() + "/pytorch-converted")) {
        QSKIP(
            "libonnx-testdata is not installed (apt-get install libonnx-testdata, or set "
            "LOOM_ONNX_TESTDATA to its data folder)");
    }
    std::vector<std::string> names;
    for (const char* suite : {"pytorch-converted", "pytorch-operator"}) {
        for (const auto& entry : fs::directory_iterator(fs::path(testDataDir()) / suite)) {
            if (fs::exists(entry.path() / "model.onnx")) {
                names.push_back(std::string(suite) + "/" + entry.path().filename().string());
            }
        }
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
}

void TestOnnxModels::pytorchModels() {
    QFETCH(QString, name);
    const fs::path dir = fs::path(testDataDir()) / name.toStdString();
    Graph graph;
    try {
        graph = importOnnx(dir / "model.onnx");
    } catch (const IoError& e) {
        std::string reason = e.what();
        reason = reason.substr(reason.find("model.onnx': ") + 13);
        QVERIFY2(expectedImports().count(name.toStdString()) == 0,
                 qPrintable("expected to import, but: " + QString::fromStdString(reason)));
        m_skipped.push_back(name.toStdString() + ": " + reason);
        QSKIP(qPrintable(QString::fromStdString(reason)));
    }
    QVERIFY2(expectedImports().count(name.toStdString()) != 0,
             "imports now: add it to expectedImports()");
    const std::vector<fs::path> sets = dataSets(dir);
    QVERIFY(!sets.empty());
    for (const fs::path& set : sets) {
        const std::vector<Tensor> inputs = readTensors(set, "input_");
        const std::vector<Tensor> expected = readTensors(set, "output_");
        const std::vector<Tensor> outputs = run(graph, inputs);
        QCOMPARE(outputs.size(), expected.size());
        for (size_t k = 0; k < outputs.size(); ++k) {
            QCOMPARE(outputs[k].shape(), expected[k].shape());
            const double worst = worstError(outputs[k], expected[k], 1e-4, 1e-4);
            QVERIFY2(worst <= 1.0, qPrintable(QString("output %1 of %2 is off by %3 tolerances")
                                                  .arg(k)
                                                  .arg(QString::fromStdString(set.string()))
                                                  .arg(worst)));
        }
    }
    ++m_passed;
}

void TestOnnxModels::exportRoundTrips_data() {
    QTest::addColumn<QString>("which");
    QTest::newRow("mlp") << "mlp";
    QTest::newRow("cnn") << "cnn";
}

void TestOnnxModels::exportRoundTrips() {
    QFETCH(QString, which);
    Graph original = builtRandomised(which == "mlp" ? mlp() : cnn(), 7);
    QTemporaryDir dir;
    const std::string path = dir.filePath(which + ".onnx").toStdString();
    exportOnnx(original, path);
    Graph imported = importOnnx(path);

    QVERIFY2(sameJson(structureOf(imported), structureOf(original)),
             qPrintable(QString::fromStdString("imported " + structureOf(imported).dump() +
                                               "\noriginal " + structureOf(original).dump())));
    QCOMPARE(imported.inputNames(), original.inputNames());
    QCOMPARE(imported.outputNames(), original.outputNames());
    const Shape sample = original.node(original.inputNames()[0]).outputShape;
    const std::vector<Tensor> inputs = {randomBatch(sample, 3, 11)};
    const std::vector<Tensor> want = run(original, inputs);
    const std::vector<Tensor> got = run(imported, inputs);
    QCOMPARE(got.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
        QCOMPARE(got[k].shape(), want[k].shape());
        // Only batch norm's epsilon and momentum pass through float32 attributes.
        const double worst = worstError(got[k], want[k], 1e-6, 1e-6);
        QVERIFY2(worst <= 1.0,
                 qPrintable(QString("output %1 is off by %2 tolerances").arg(k).arg(worst)));
    }
    QVERIFY2(exportedBytes(imported) == exportedBytes(original),
             "exporting the imported graph gives other bytes than the first export");
}

void TestOnnxModels::importMayReshapeWhatItComputes() {
    // A linear Dense followed only by an Activation layer imports as one Dense with the
    // activation; batch norm without scale or shift imports with a scale of ones and a shift of
    // zeros (ONNX's op has both); an uncapped ReLU layer (ONNX's Relu) as an Activation layer.
    // All compute the same.
    Graph g;
    g.add("Input", "in", {{"shape", {5}}});
    g.add("Dense", "dense", {{"units", 3}}, {"in"});
    g.add("Activation", "act", {{"activation", "relu"}}, {"dense"});
    g.add("BatchNormalization", "norm", {{"scale", false}, {"center", false}}, {"act"});
    g.add("ReLU", "relu", json::object(), {"norm"});
    g = builtRandomised(std::move(g), 3);
    Graph imported = graphFromOnnx(onnxModelFromGraph(g), "memory");
    QCOMPARE(imported.nodes().size(), size_t{4});
    QCOMPARE(imported.layer("dense").params().getString("activation"), std::string("relu"));
    QVERIFY(imported.layer("norm").params().getBool("scale"));
    QCOMPARE(imported.layer("relu").type(), std::string("Activation"));
    const std::vector<Tensor> inputs = {randomBatch(Shape{5}, 4, 5)};
    QCOMPARE(run(imported, inputs)[0].toVector(), run(g, inputs)[0].toVector());
}

void TestOnnxModels::exportedFilesPassTheOnnxChecker() {
    QProcess probe;
    probe.start(python(), {"-c", "import onnx"});
    if (!probe.waitForFinished(60000) || probe.exitCode() != 0) {
        QSKIP(
            "python3-onnx is not installed (apt-get install python3-onnx); the ONNX checker "
            "cannot run");
    }
    QTemporaryDir dir;
    std::vector<std::string> paths;
    std::map<std::string, std::pair<Tensor, std::vector<Tensor>>> runs;  // path -> input, outputs
    for (const char* which : {"mlp", "cnn"}) {
        Graph graph = builtRandomised(std::string(which) == "mlp" ? mlp() : cnn(), 5);
        const std::string path = dir.filePath(QString(which) + ".onnx").toStdString();
        exportOnnx(graph, path);
        paths.push_back(path);
        const Tensor input = randomBatch(graph.node(graph.inputNames()[0]).outputShape, 2, 9);
        runs[path] = {input, run(graph, {input})};
        std::ofstream(path + ".input", std::ios::binary)
            .write(static_cast<const char*>(input.raw()),
                   static_cast<std::streamsize>(input.bytes()));
        std::ofstream shape(path + ".shape");
        for (int64_t d : input.shape().dims()) {
            shape << d << ' ';
        }
    }
    // Every testdata model Loom imports, exported again: the importer's graphs export too.
    for (const std::string& name : expectedImports()) {
        const fs::path model = fs::path(testDataDir()) / name / "model.onnx";
        if (fs::exists(model)) {
            const std::string path =
                dir.filePath(QString::fromStdString(fs::path(name).filename().string() + ".onnx"))
                    .toStdString();
            exportOnnx(importOnnx(model), path);
            paths.push_back(path);
        }
    }
    // The checker with full_check runs ONNX's strict shape inference too. Where onnx has a
    // reference evaluator (1.13 and later), it runs the models Loom made, for comparison.
    const char* script = R"(
import os, sys
import numpy as np
import onnx
try:
    from onnx.reference import ReferenceEvaluator
except ImportError:
    ReferenceEvaluator = None
print("onnx", onnx.__version__, "with" if ReferenceEvaluator else "without", "a reference evaluator")
for path in sys.argv[1:]:
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        print("FAIL", path, " ".join(str(e).split()))
        continue
    print("OK", path)
    if ReferenceEvaluator is not None and os.path.exists(path + ".input"):
        shape = [int(d) for d in open(path + ".shape").read().split()]
        x = np.fromfile(path + ".input", dtype=np.float32).reshape(shape)
        outputs = ReferenceEvaluator(model).run(None, {model.graph.input[0].name: x})
        for k, y in enumerate(outputs):
            np.asarray(y, dtype=np.float32).tofile(path + ".output" + str(k))
)";
    QStringList arguments = {"-c", script};
    for (const std::string& path : paths) {
        arguments << QString::fromStdString(path);
    }
    QProcess checker;
    checker.setProcessChannelMode(QProcess::MergedChannels);
    checker.start(python(), arguments);
    QVERIFY(checker.waitForFinished(300000));
    const QString report = QString::fromUtf8(checker.readAll());
    qInfo().noquote() << report.trimmed();
    QCOMPARE(checker.exitCode(), 0);
    QCOMPARE(report.count("\nOK "), static_cast<qsizetype>(paths.size()));
    QVERIFY2(!report.contains("FAIL"), qPrintable(report));
    const bool evaluated = report.contains(" with a reference evaluator");
    for (const auto& [path, io] : runs) {
        for (size_t k = 0; evaluated && k < io.second.size(); ++k) {
            const Tensor& want = io.second[k];
            Tensor got = Tensor::empty(want.shape());
            std::ifstream file(path + ".output" + std::to_string(k), std::ios::binary);
            file.read(static_cast<char*>(got.raw()), static_cast<std::streamsize>(got.bytes()));
            QVERIFY2(file.gcount() == static_cast<std::streamsize>(got.bytes()),
                     "the reference evaluator's output has another size");
            QVERIFY2(worstError(got, want, 1e-4, 1e-4) <= 1.0,
                     qPrintable(QString::fromStdString(path + " output " + std::to_string(k) +
                                                       " differs from the reference evaluator's")));
        }
    }
}

void TestOnnxModels::exportNeedsABuiltGraph() {
    Graph g = mlp();
    QVERIFY(contains(expectIoError([&] { onnxModelFromGraph(g); }), "build the graph"));
}

void TestOnnxModels::exportReplacesFilesAtomically() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("model.onnx").toStdString();
    std::ofstream(path) << "old";
    Graph g = builtRandomised(mlp(), 1);
    exportOnnx(g, path);
    QCOMPARE(fs::file_size(path), exportedBytes(g).size());
    QCOMPARE(std::distance(fs::directory_iterator(dir.path().toStdString()), {}), 1);
    const std::string unwritable = dir.filePath("missing/model.onnx").toStdString();
    QVERIFY(contains(expectIoError([&] { exportOnnx(g, unwritable); }), "cannot write"));
}

void TestOnnxModels::truncatedFilesFailCleanly() {
    const std::string bytes = exportedBytes(builtRandomised(cnn(), 2));
    // Every cut in the first 512 bytes (headers, first nodes), then 500 spread over the rest.
    std::vector<size_t> cuts;
    for (size_t cut = 0; cut < std::min<size_t>(512, bytes.size()); ++cut) {
        cuts.push_back(cut);
    }
    for (size_t i = 0; i < 500; ++i) {
        cuts.push_back(512 + (bytes.size() - 513) * i / 500);
    }
    for (size_t cut : cuts) {
        const std::string message = expectIoError([&] { importBytes(bytes.substr(0, cut)); });
        QVERIFY2(!contains(message, "no exception") && !contains(message, "wrong exception"),
                 qPrintable(QString("cut at %1 of %2: %3")
                                .arg(cut)
                                .arg(bytes.size())
                                .arg(QString::fromStdString(message))));
    }
    qInfo("%zu truncations of a %zu-byte model: every one a clean IoError", cuts.size(),
          bytes.size());
}

void TestOnnxModels::flippedBytesFailCleanly() {
    const std::string bytes = exportedBytes(builtRandomised(cnn(), 4));
    std::mt19937 rng(2024);
    int imported = 0, rejected = 0;
    for (int trial = 0; trial < 2000; ++trial) {
        std::string broken = bytes;
        const int flips = 1 + trial % 4;
        for (int f = 0; f < flips; ++f) {
            const size_t at = std::uniform_int_distribution<size_t>(0, broken.size() - 1)(rng);
            broken[at] = static_cast<char>(broken[at] ^ (1 << (rng() % 8)));
        }
        try {
            Graph g = importBytes(broken);
            QVERIFY(g.isBuilt());
            ++imported;  // a flip inside a weight, or a name
        } catch (const IoError&) {
            ++rejected;
        } catch (const std::exception& e) {
            QFAIL(qPrintable(QString("trial %1: %2").arg(trial).arg(e.what())));
        }
    }
    qInfo("2000 models with 1-4 flipped bits: %d imported, %d rejected with IoError", imported,
          rejected);
    QVERIFY(rejected > 0);
}

void TestOnnxModels::absurdSizesFailCleanly() {
    const OnnxModel good = onnxModelFromGraph(builtRandomised(cnn(), 6));
    const int64_t huge = int64_t{1} << 40;
    struct Case {
        const char* what;
        std::function<void(OnnxModel&)> mutate;
        const char* expected;
    };
    const std::vector<Case> cases = {
        {"input size",
         [&](OnnxModel& m) {
             m.graph.inputs[0].dims = {-1, 3, huge, 10};
         },
         "input 'image'"},
        {"negative input size",
         [](OnnxModel& m) {
             m.graph.inputs[0].dims = {-1, 3, -7, 10};
         },
         "input 'image'"},
        {"weight dims beyond its data",
         [&](OnnxModel& m) {
             initializerNamed(m, "conv/kernel").dims = {huge, huge, 3, 3};
         },
         "'conv/kernel'"},
        {"kernel_shape",
         [&](OnnxModel& m) {
             attributeNamed(nodeNamed(m, "conv"), "kernel_shape").ints = {huge, 3};
         },
         "node 'conv' (Conv)"},
        {"pads",
         [&](OnnxModel& m) {
             attributeNamed(nodeNamed(m, "down"), "pads").ints = {huge, 0, 0, 0};
         },
         "node 'down' (Conv)"},
        {"strides",
         [&](OnnxModel& m) {
             attributeNamed(nodeNamed(m, "pool"), "strides").ints = {0, -huge};
         },
         "node 'pool' (MaxPool)"},
        {"reshape target",
         [&](OnnxModel& m) {
             initializerNamed(m, "grid/shape")
                 .setValue(Tensor::fromVector(Shape{3}, std::vector<float>{-1, 0x1p40f, 0x1p40f}));
         },
         "node 'grid' (Reshape)"},
        {"padding",
         [&](OnnxModel& m) {
             initializerNamed(m, "pad/pads")
                 .setValue(Tensor::fromVector(Shape{8},
                                              std::vector<float>{0, 0, 0x1p30f, 0, 0, 0, 1, 1}));
         },
         "node 'pad' (Pad)"},
        {"concat axis",
         [&](OnnxModel& m) { attributeNamed(nodeNamed(m, "mixed"), "axis").i = huge; },
         "node 'mixed' (Concat)"},
        {"dense weight",
         [&](OnnxModel& m) {
             OnnxTensor& kernel = initializerNamed(m, "classes/kernel");
             kernel.dims = {4, 10};
             kernel.setValue(Tensor::zeros(Shape{4, 10}));
         },
         "node 'classes' (Gemm)"},
        {"undefined tensor", [&](OnnxModel& m) { nodeNamed(m, "mixed").inputs[1] = "nowhere"; },
         "'nowhere'"},
        {"integer input", [](OnnxModel& m) { m.graph.inputs[0].elemType = 7; }, "INT64"},
        {"no opset", [](OnnxModel& m) { m.opsetImports.clear(); }, "operator set"},
    };
    for (const Case& c : cases) {
        OnnxModel broken = good;
        c.mutate(broken);
        const std::string message = expectIoError([&] { importBytes(serializeOnnxModel(broken)); });
        QVERIFY2(contains(message, c.expected),
                 qPrintable(QString("%1: %2").arg(c.what).arg(QString::fromStdString(message))));
    }
}

void TestOnnxModels::unsupportedOpsNameTheNode() {
    OnnxModel model = onnxModelFromGraph(builtRandomised(cnn(), 8));
    nodeNamed(model, "norm").opType = "InstanceNormalization";
    QVERIFY(contains(expectIoError([&] { importBytes(serializeOnnxModel(model)); }),
                     "node 'norm' (InstanceNormalization): Loom has no layer for the op"));
    model = onnxModelFromGraph(builtRandomised(cnn(), 8));
    OnnxAttribute group = attribute("group", OnnxAttribute::Int);
    group.i = 2;
    attributeNamed(nodeNamed(model, "side"), "group") = group;
    OnnxTensor& kernel = initializerNamed(model, "side/kernel");  // 20 channels in 2 groups
    kernel.dims = {8, 10, 1, 1};
    kernel.setValue(Tensor::zeros(Shape{8, 10, 1, 1}));
    QVERIFY(contains(expectIoError([&] { importBytes(serializeOnnxModel(model)); }),
                     "node 'side' (Conv): grouped convolution (group 2 of 20 channels)"));
    model = onnxModelFromGraph(builtRandomised(cnn(), 8));
    nodeNamed(model, "gap").domain = "com.example";
    QVERIFY(contains(expectIoError([&] { importBytes(serializeOnnxModel(model)); }),
                     "node 'gap' (GlobalAveragePool): ops of domain 'com.example'"));
}

void TestOnnxModels::cleanupTestCase() {
    if (m_passed == 0 && m_skipped.empty()) {
        return;
    }
    std::string summary = "libonnx-testdata PyTorch models: " + std::to_string(m_passed) +
                          " imported and matched their outputs, " +
                          std::to_string(m_skipped.size()) + " skipped:";
    for (const std::string& line : m_skipped) {
        summary += "\n  " + line;
    }
    qInfo().noquote() << QString::fromStdString(summary);
}

QTEST_GUILESS_MAIN(TestOnnxModels)
#include "TestOnnxModels.moc"
