// TF.js layers model import and the Keras topology conversion under it: hand-written
// model.json files and shards with known values, checked against outputs worked out by hand
// or by a channels_last reference written here, and every error a broken file should give.

#include <loom/Error.h>
#include <loom/KerasModel.h>
#include <loom/TfjsModel.h>

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace loom;
using nlohmann::json;

namespace {

std::string bytesOf(const std::vector<float>& values) {
    std::string bytes(values.size() * 4, '\0');
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

void writeFile(const QString& path, const std::string& bytes) {
    std::ofstream out(path.toStdString(), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

json weight(const std::string& name, const std::vector<int64_t>& shape) {
    return {{"name", name}, {"shape", shape}, {"dtype", "float32"}};
}

json modelJson(const json& modelConfig, const json& weights, const json& paths) {
    return {{"format", "layers-model"},
            {"modelTopology", {{"keras_version", "2.2.4"}, {"model_config", modelConfig}}},
            {"weightsManifest", json::array({{{"paths", paths}, {"weights", weights}}})}};
}

json layer(const std::string& cls, json config, const std::vector<std::string>& inputs = {}) {
    json nodes = json::array();
    if (!inputs.empty()) {
        json node = json::array();
        for (const std::string& input : inputs) {
            node.push_back({input, 0, 0, json::object()});
        }
        nodes.push_back(node);
    }
    std::string name = config.at("name");
    return {{"class_name", cls}, {"name", name}, {"config", config}, {"inbound_nodes", nodes}};
}

json functional(const json& layers, const std::string& input, const std::string& output) {
    return {{"class_name", "Model"},
            {"config",
             {{"name", "model"},
              {"layers", layers},
              {"input_layers", {{input, 0, 0}}},
              {"output_layers", {{output, 0, 0}}}}}};
}

// Sequential Dense 3 -> 2, list form with an explicit InputLayer and a Dropout.
json denseSequential() {
    return {{"class_name", "Sequential"},
            {"config",
             json::array(
                 {{{"class_name", "InputLayer"},
                   {"config", {{"name", "in"}, {"batch_input_shape", {nullptr, 3}}}}},
                  {{"class_name", "Dense"},
                   {"config", {{"name", "dense"}, {"units", 2}, {"activation", "linear"}}}},
                  {{"class_name", "Dropout"}, {"config", {{"name", "dropout"}, {"rate", 0.5}}}}})}};
}

// The manifest lists bias before kernel, as TF.js' alphabetical order does.
json denseWeights(const std::vector<int64_t>& kernelShape = {3, 2}) {
    return json::array({weight("dense/bias", {2}), weight("dense/kernel", kernelShape)});
}

const std::string kDenseBytes = bytesOf({0.5f, -1.0f, 1, 2, 3, 4, 5, 6});

std::string expectIoError(const std::function<void()>& f) {
    try {
        f();
    } catch (const IoError& e) {
        return e.what();
    }
    QTest::qFail("no IoError thrown", __FILE__, __LINE__);
    return {};
}

void expectContains(const std::string& text, const std::vector<std::string>& parts) {
    for (const std::string& part : parts) {
        QVERIFY2(text.find(part) != std::string::npos, (text + " lacks " + part).c_str());
    }
}

/// A 4x4 image of 2 channels given channels-last (as TF.js holds it), in Loom's [1, C, H, W].
Tensor nchwOf4x4x2(const std::vector<float>& nhwc) {
    std::vector<float> nchw(32);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x)
            for (int c = 0; c < 2; ++c)
                nchw[(c * 4 + y) * 4 + x] = nhwc[(y * 4 + x) * 2 + c];
    return Tensor::fromVector(Shape{1, 2, 4, 4}, nchw);
}

std::vector<float> run(Graph& graph, const Tensor& input) {
    ExecutionContext ctx{cpuBackend()};
    return graph.forward(ctx, {input})[0].toVector();
}

float value(int i, float scale) {
    return scale * std::sin(0.7f * static_cast<float>(i) + 0.3f);
}

// Keras' channels_last computation of the CNN below, written out directly.
std::vector<float> referenceCnn(const std::vector<float>& x, const std::vector<float>& k,
                                const std::vector<float>& b, const std::vector<float>& bn,
                                const std::vector<float>& dk, const std::vector<float>& db) {
    float conv[4][4][3];
    for (int y = 0; y < 4; ++y)
        for (int xx = 0; xx < 4; ++xx)
            for (int o = 0; o < 3; ++o) {
                float s = b[o];  // same padding, kernel 2: TF pads 0 before and 1 after
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx)
                        for (int i = 0; i < 2; ++i)
                            if (y + dy < 4 && xx + dx < 4)
                                s += x[((y + dy) * 4 + xx + dx) * 2 + i] *
                                     k[((dy * 2 + dx) * 2 + i) * 3 + o];
                s = std::max(s, 0.0f);
                // bn: gamma, beta, mean, variance, 3 each
                conv[y][xx][o] = bn[o] * (s - bn[6 + o]) / std::sqrt(bn[9 + o] + 1e-3f) + bn[3 + o];
            }
    std::vector<float> flat;
    for (int y = 0; y < 2; ++y)
        for (int xx = 0; xx < 2; ++xx)
            for (int o = 0; o < 3; ++o)
                flat.push_back(
                    std::max({conv[2 * y][2 * xx][o], conv[2 * y][2 * xx + 1][o],
                              conv[2 * y + 1][2 * xx][o], conv[2 * y + 1][2 * xx + 1][o]}));
    float logits[2], total = 0;
    for (int u = 0; u < 2; ++u) {
        logits[u] = db[u];
        for (int r = 0; r < 12; ++r)
            logits[u] += flat[r] * dk[r * 2 + u];
    }
    float m = std::max(logits[0], logits[1]);
    for (float& l : logits)
        total += (l = std::exp(l - m));
    return {logits[0] / total, logits[1] / total};
}

json cnnConfig() {
    return functional(
        json::array(
            {layer("InputLayer", {{"name", "input_1"}, {"batch_input_shape", {nullptr, 4, 4, 2}}}),
             layer("Conv2D",
                   {{"name", "conv2d_1"},
                    {"filters", 3},
                    {"kernel_size", {2, 2}},
                    {"strides", {1, 1}},
                    {"padding", "same"},
                    {"data_format", "channels_last"},
                    {"dilation_rate", {1, 1}},
                    {"activation", "relu"},
                    {"use_bias", true}},
                   {"input_1"}),
             layer("BatchNormalization",
                   {{"name", "bn"},
                    {"axis", 3},
                    {"epsilon", 1e-3},
                    {"center", true},
                    {"scale", true}},
                   {"conv2d_1"}),
             layer("MaxPooling2D",
                   {{"name", "pool"},
                    {"pool_size", {2, 2}},
                    {"strides", {2, 2}},
                    {"padding", "valid"},
                    {"data_format", "channels_last"}},
                   {"bn"}),
             layer("Flatten", {{"name", "flatten"}, {"data_format", "channels_last"}}, {"pool"}),
             layer("Dropout", {{"name", "drop"}, {"rate", 0.25}}, {"flatten"}),
             layer("Dense", {{"name", "dense_1"}, {"units", 2}, {"activation", "softmax"}},
                   {"drop"})}),
        "input_1", "dense_1");
}

}  // namespace

class TestTfjsImport : public QObject {
    Q_OBJECT

private slots:
    void sequentialDense() {
        QTemporaryDir dir;
        writeFile(dir.filePath("model.json"),
                  modelJson(denseSequential(), denseWeights(), {"w.bin"}).dump());
        writeFile(dir.filePath("w.bin"), kDenseBytes);
        Graph graph = loadTfjsModel(dir.filePath("model.json").toStdString());
        QCOMPARE(graph.inputNames(), std::vector<std::string>{"in"});
        QCOMPARE(graph.layer("dense").findParameter("kernel")->value.toVector(),
                 (std::vector<float>{1, 2, 3, 4, 5, 6}));
        // [1, 2, 3] x [[1, 2], [3, 4], [5, 6]] + [0.5, -1]
        QCOMPARE(run(graph, Tensor::fromVector(Shape{1, 3}, std::vector<float>{1, 2, 3})),
                 (std::vector<float>{22.5f, 27.0f}));

        // Some writers make modelTopology the model config itself.
        json root = modelJson(denseSequential(), denseWeights(), {"w.bin"});
        root["modelTopology"] = denseSequential();
        writeFile(dir.filePath("model.json"), root.dump());
        Graph again = loadTfjsModel(dir.filePath("model.json").toStdString());
        QCOMPARE(again.layer("dense").findParameter("bias")->value.toVector(),
                 (std::vector<float>{0.5f, -1.0f}));
    }

    void batchNormWithoutScale() {
        // InceptionV3's batch norms: scale=false, so Keras stores beta, mean, variance.
        KerasModel m = kerasModelFromConfig(functional(
            json::array(
                {layer("InputLayer", {{"name", "in"}, {"batch_input_shape", {nullptr, 2, 2, 2}}}),
                 layer("BatchNormalization", {{"name", "bn"}, {"scale", false}}, {"in"})}),
            "in", "bn"));
        m.graph.build();
        assignKerasWeights(m, "bn",
                           {Tensor::fromVector(Shape{2}, std::vector<float>{1, 2}),
                            Tensor::fromVector(Shape{2}, std::vector<float>{3, 4}),
                            Tensor::fromVector(Shape{2}, std::vector<float>{5, 6})});
        Layer& bn = m.graph.layer("bn");
        QVERIFY(bn.findParameter("gamma") == nullptr);
        QCOMPARE(bn.findParameter("beta")->value.toVector(), (std::vector<float>{1, 2}));
        QCOMPARE(bn.findParameter("moving_mean")->value.toVector(), (std::vector<float>{3, 4}));
        QCOMPARE(bn.findParameter("moving_variance")->value.toVector(), (std::vector<float>{5, 6}));
    }

    void channelsLastCnnMatchesKeras() {
        std::vector<float> k(24), b(3), bn(12), dk(24), db(2), x(32);
        for (int i = 0; i < 24; ++i)
            k[i] = value(i, 0.5f), dk[i] = value(i + 40, 0.8f);
        for (int i = 0; i < 3; ++i) {
            b[i] = value(i + 70, 0.1f);
            bn[i] = 1.0f + value(i + 80, 0.3f);  // gamma
            bn[3 + i] = value(i + 90, 0.2f);     // beta
            bn[6 + i] = value(i + 100, 0.1f);    // moving mean
            bn[9 + i] = 0.5f + i * 0.25f;        // moving variance
        }
        db = {0.1f, -0.2f};
        for (int i = 0; i < 32; ++i)
            x[i] = value(i + 200, 1.0f);
        json weights =
            json::array({weight("bn/beta", {3}), weight("bn/gamma", {3}),
                         weight("bn/moving_mean", {3}), weight("bn/moving_variance", {3}),
                         weight("conv2d_1/bias", {3}), weight("conv2d_1/kernel", {2, 2, 2, 3}),
                         weight("dense_1/bias", {2}), weight("dense_1/kernel", {12, 2})});
        std::vector<float> gamma(bn.begin(), bn.begin() + 3), rest(bn.begin() + 3, bn.end());
        std::vector<float> beta(rest.begin(), rest.begin() + 3),
            stats(rest.begin() + 3, rest.end());
        std::string bytes = bytesOf(beta) + bytesOf(gamma) + bytesOf(stats) + bytesOf(b) +
                            bytesOf(k) + bytesOf(db) + bytesOf(dk);
        QTemporaryDir dir;
        writeFile(dir.filePath("model.json"),
                  modelJson(cnnConfig(), weights, {"s1.bin", "s2.bin"}).dump());
        writeFile(dir.filePath("s1.bin"), bytes.substr(0, 101));  // shards split anywhere
        writeFile(dir.filePath("s2.bin"), bytes.substr(101));
        Graph graph = loadTfjsModel(dir.filePath("model.json").toStdString());

        std::vector<float> got = run(graph, nchwOf4x4x2(x));
        std::vector<float> expected = referenceCnn(x, k, b, bn, dk, db);
        QCOMPARE(got.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            QVERIFY2(std::abs(got[i] - expected[i]) < 1e-5,
                     (std::to_string(got[i]) + " vs " + std::to_string(expected[i])).c_str());
        }
    }

    void depthwiseAndRelu6MatchKeras() {
        // MobileNetV2's building blocks: DepthwiseConv2D (kernel [kh, kw, channels, multiplier],
        // output channel c*m + j) and ReLU(max_value); the manifest lists bias first.
        std::vector<float> x(32), k(16), b{0.1f, -0.2f, 0.3f, 0.0f};
        for (int i = 0; i < 32; ++i)
            x[i] = value(i + 300, 1.0f);
        for (int i = 0; i < 16; ++i)
            k[i] = value(i + 400, 0.6f);
        json config = functional(
            json::array(
                {layer("InputLayer", {{"name", "in"}, {"batch_input_shape", {nullptr, 4, 4, 2}}}),
                 layer("DepthwiseConv2D",
                       {{"name", "dw"},
                        {"kernel_size", {2, 2}},
                        {"strides", {1, 1}},
                        {"padding", "same"},
                        {"depth_multiplier", 2},
                        {"data_format", "channels_last"},
                        {"dilation_rate", {1, 1}},
                        {"activation", "linear"},
                        {"use_bias", true}},
                       {"in"}),
                 layer("ReLU",
                       {{"name", "relu"},
                        {"max_value", 0.5},
                        {"negative_slope", 0.0},
                        {"threshold", 0.0}},
                       {"dw"})}),
            "in", "relu");
        json weights =
            json::array({weight("dw/bias", {4}), weight("dw/depthwise_kernel", {2, 2, 2, 2})});
        QTemporaryDir dir;
        writeFile(dir.filePath("model.json"), modelJson(config, weights, {"w.bin"}).dump());
        writeFile(dir.filePath("w.bin"), bytesOf(b) + bytesOf(k));
        Graph graph = loadTfjsModel(dir.filePath("model.json").toStdString());
        QCOMPARE(graph.node("relu").layer->type(), std::string("ReLU"));
        QCOMPARE(graph.node("relu").layer->params().getFloat("max_value"), 0.5);

        std::vector<float> got = run(graph, nchwOf4x4x2(x));
        QCOMPARE(got.size(), size_t(64));
        for (int y = 0; y < 4; ++y)
            for (int xx = 0; xx < 4; ++xx)
                for (int c = 0; c < 2; ++c)
                    for (int j = 0; j < 2; ++j) {
                        int o = c * 2 + j;
                        float s = b[o];  // same padding, kernel 2: TF pads 1 after
                        for (int dy = 0; dy < 2; ++dy)
                            for (int dx = 0; dx < 2; ++dx)
                                if (y + dy < 4 && xx + dx < 4)
                                    s += x[((y + dy) * 4 + xx + dx) * 2 + c] *
                                         k[((dy * 2 + dx) * 2 + c) * 2 + j];
                        float expected = std::clamp(s, 0.0f, 0.5f);
                        float actual = got[(o * 4 + y) * 4 + xx];
                        QVERIFY2(std::abs(actual - expected) < 1e-6f,
                                 qPrintable(QString("channel %1 at (%2, %3): %4 vs %5")
                                                .arg(o)
                                                .arg(y)
                                                .arg(xx)
                                                .arg(actual)
                                                .arg(expected)));
                    }
    }

    void reluVariants() {
        auto convert = [](json relu) {
            relu["name"] = "r";
            KerasModel m = kerasModelFromConfig(functional(
                json::array(
                    {layer("InputLayer", {{"name", "in"}, {"batch_input_shape", {nullptr, 3}}}),
                     layer("ReLU", relu, {"in"})}),
                "in", "r"));
            m.graph.build();
            return m;
        };
        KerasModel six = convert({{"max_value", 6}, {"negative_slope", 0}, {"threshold", 0}});
        QCOMPARE(six.graph.layer("r").type(), std::string("ReLU"));
        QVERIFY(six.graph.layer("r").activation() == ActivationKind::ClippedRelu);
        QCOMPARE(six.graph.layer("r").activationAlpha(), 6.0);
        KerasModel leaky = convert({{"max_value", nullptr}, {"negative_slope", 0.25}});
        QCOMPARE(leaky.graph.layer("r").type(), std::string("LeakyReLU"));
        QCOMPARE(leaky.graph.layer("r").params().getFloat("alpha"), 0.25);
        QVERIFY(convert(json::object()).graph.layer("r").activation() == ActivationKind::Relu);
    }

    void quantisedWeightsDecode() {
        json config = {
            {"class_name", "Sequential"},
            {"config",
             {{"layers",
               {{{"class_name", "Dense"},
                 {"config", {{"name", "d0"}, {"units", 2}, {"batch_input_shape", {nullptr, 2}}}}},
                {{"class_name", "Dense"}, {"config", {{"name", "d1"}, {"units", 2}}}}}}}}};
        json weights =
            json::array({{{"name", "d0/kernel"},
                          {"shape", {2, 2}},
                          {"dtype", "float32"},
                          {"quantization", {{"dtype", "uint8"}, {"min", -1.0}, {"scale", 0.5}}}},
                         {{"name", "d0/bias"},
                          {"shape", {2}},
                          {"dtype", "float32"},
                          {"quantization", {{"dtype", "uint16"}, {"min", 1.0}, {"scale", 0.25}}}},
                         {{"name", "d1/kernel"},
                          {"shape", {2, 2}},
                          {"dtype", "float32"},
                          {"quantization", {{"dtype", "float16"}}}},
                         {{"name", "d1/bias"}, {"shape", {2}}, {"dtype", "int32"}}});
        std::string bytes = {'\x00', '\x01', '\x02', '\xff',  // uint8
                             '\x03', '\x00', '\xe8', '\x03',  // uint16 3, 1000
                             '\x00', '\x3e', '\x00', '\xc0',  // float16 1.5, -2,
                             '\x01', '\x00', '\x00', '\x7c',  // 2^-24, infinity
                             '\xf9', '\xff', '\xff', '\xff',  // int32 -7, 3
                             '\x03', '\x00', '\x00', '\x00'};
        QTemporaryDir dir;
        writeFile(dir.filePath("model.json"), modelJson(config, weights, {"q.bin"}).dump());
        writeFile(dir.filePath("q.bin"), bytes);
        Graph graph = loadTfjsModel(dir.filePath("model.json").toStdString());
        auto values = [&](const char* l, const char* p) {
            return graph.layer(l).findParameter(p)->value.toVector();
        };
        QCOMPARE(values("d0", "kernel"), (std::vector<float>{-1.0f, -0.5f, 0.0f, 126.5f}));
        QCOMPARE(values("d0", "bias"), (std::vector<float>{1.75f, 251.0f}));
        QCOMPARE(values("d1", "kernel"),
                 (std::vector<float>{1.5f, -2.0f, std::ldexp(1.0f, -24), INFINITY}));
        QCOMPARE(values("d1", "bias"), (std::vector<float>{-7.0f, 3.0f}));
    }

    void topologyConversion() {
        json relu = {
            {"name", "relu"}, {"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}};
        KerasModel m = kerasModelFromConfig(functional(
            json::array(
                {layer("InputLayer", {{"name", "in"}, {"batch_input_shape", {nullptr, 5, 5, 2}}}),
                 layer("ZeroPadding2D", {{"name", "pad"}, {"padding", {{1, 0}, {0, 1}}}}, {"in"}),
                 layer("Conv2D",
                       {{"name", "conv"},
                        {"filters", 4},
                        {"kernel_size", 3},
                        {"use_bias", false},
                        {"dilation_rate", 1},
                        {"trainable", false}},
                       {"pad"}),
                 layer("LeakyReLU", {{"name", "leaky"}, {"negative_slope", 0.1}}, {"conv"}),
                 layer("ELU", {{"name", "elu"}}, {"leaky"}), layer("ReLU", relu, {"elu"}),
                 layer("Concatenate", {{"name", "cat"}, {"axis", -1}}, {"elu", "relu"}),
                 layer("Add", {{"name", "add"}}, {"cat", "cat"}),
                 layer("AveragePooling2D", {{"name", "avg"}, {"strides", nullptr}}, {"add"}),
                 layer("Activation", {{"name", "act"}, {"activation", "tanh"}}, {"avg"}),
                 layer("GlobalAveragePooling2D", {{"name", "gap"}}, {"act"}),
                 layer("Reshape", {{"name", "reshape"}, {"target_shape", {2, 4}}}, {"gap"})}),
            "in", "reshape"));
        m.graph.build();
        const Graph& g = m.graph;
        QCOMPARE(g.node("in").outputShape, (Shape{2, 5, 5}));
        QCOMPARE(g.node("pad").layer->params().getInts("padding"),
                 (std::vector<int64_t>{1, 0, 0, 1}));
        QCOMPARE(g.node("cat").outputShape, (Shape{8, 4, 4}));
        QCOMPARE(g.node("relu").layer->type(), std::string("ReLU"));
        QVERIFY(g.node("relu").layer->activation() == ActivationKind::Relu);
        QCOMPARE(g.node("leaky").layer->params().getFloat("alpha"), 0.1);
        QCOMPARE(g.node("reshape").outputShape, (Shape{2, 4}));
        QVERIFY(m.denseAfterFlatten.empty());
        QVERIFY(!g.node("conv").layer->trainable());
        QVERIFY(g.node("leaky").layer->trainable());

        // channels_first keeps its shapes and its Dense rows.
        json first = {{"class_name", "Sequential"},
                      {"config",
                       {{"layers",
                         {{{"class_name", "Conv2D"},
                           {"config",
                            {{"name", "c"},
                             {"filters", 2},
                             {"kernel_size", {1, 1}},
                             {"data_format", "channels_first"},
                             {"batch_input_shape", {nullptr, 3, 2, 2}}}}},
                          {{"class_name", "Flatten"}, {"config", {{"name", "f"}}}},
                          {{"class_name", "Dense"}, {"config", {{"name", "d"}, {"units", 1}}}}}}}}};
        KerasModel cf = kerasModelFromConfig(first);
        cf.graph.build();
        QCOMPARE(cf.graph.node("c_input").outputShape, (Shape{3, 2, 2}));
        QVERIFY(cf.denseAfterFlatten.empty());
    }

    void unsupportedTopologiesAreNamed() {
        auto error = [&](json extras) {
            json layers = {
                {{"class_name", "InputLayer"},
                 {"config", {{"name", "in"}, {"batch_input_shape", {nullptr, 4, 4, 2}}}}}};
            for (const json& extra : extras)
                layers.push_back(extra);
            json config = {{"class_name", "Sequential"}, {"config", {{"layers", layers}}}};
            return expectIoError([&] { kerasModelFromConfig(config); });
        };
        auto one = [](const std::string& cls, json config) {
            return json{{"class_name", cls}, {"config", config}};
        };
        json flatten = one("Flatten", {{"name", "flat"}});
        expectContains(error({one("Lambda", {{"name", "lambda_1"}})}), {"lambda_1", "Lambda"});
        expectContains(error({one("Activation", {{"name", "a"}, {"activation", "selu"}})}),
                       {"'a'", "selu"});
        expectContains(error({one("ReLU", {{"name", "rt"}, {"threshold", 0.5}})}),
                       {"rt", "ReLU", "threshold"});
        expectContains(
            error({one("ReLU", {{"name", "rs"}, {"max_value", 6}, {"negative_slope", 0.1}})}),
            {"rs", "negative_slope"});
        expectContains(error({one("ReLU", {{"name", "r0"}, {"max_value", 0}})}),
                       {"r0", "max_value"});
        expectContains(error({one("Reshape", {{"name", "rs"}, {"target_shape", {32}}})}),
                       {"rs", "channels_last"});
        expectContains(error({flatten}), {"flat", "flattened channels_last"});
        expectContains(error({flatten, one("Reshape", {{"name", "rs"}, {"target_shape", {32}}})}),
                       {"rs", "reads 'flat'"});
        expectContains(
            error({one("Conv2D", {{"name", "c"}, {"filters", 1}, {"padding", "causal"}})}),
            {"'c'", "causal"});
        expectContains(
            error({one("Conv2D", {{"name", "c"}, {"filters", 1}, {"kernel_size", "x"}})}),
            {"'c'", "kernel_size"});
        expectContains(error({one("Conv2D", {{"name", "c"}, {"filters", 0}})}), {"'c'", "filters"});
        expectContains(
            error({one("Conv2D", {{"name", "c"}, {"data_format", "channels_last"}}),
                   one("MaxPooling2D", {{"name", "p"}, {"data_format", "channels_first"}})}),
            {"mixes"});
        expectContains(error({one("Conv2D", {{"name", "g"}, {"filters", 2}, {"groups", 2}})}),
                       {"'g'", "grouped"});
        expectContains(
            error({one("GlobalAveragePooling2D", {{"name", "gap"}, {"keepdims", true}})}),
            {"gap", "keepdims"});
        expectContains(error({one("BatchNormalization", {{"name", "bn"}, {"axis", 1}})}),
                       {"bn", "channel axis"});
        expectContains(error({one("BatchNormalization", {{"name", "bn"}, {"axis", 7}})}),
                       {"bn", "out of range"});
        expectContains(error({one("BatchNormalization", {{"name", "bn"}, {"axis", "x"}})}),
                       {"bn", "must be an int"});
    }

    void malformedConfigsAreNamed() {
        auto one = [](const std::string& cls, json config) {
            return json{{"class_name", cls}, {"config", config}};
        };
        auto configError = [](json config) {
            return expectIoError([&] { kerasModelFromConfig(config); });
        };
        expectContains(configError({{"class_name", "Foo"}, {"config", json::object()}}), {"Foo"});
        expectContains(configError({{"config", json::object()}}), {"malformed"});
        expectContains(configError({{"class_name", "Sequential"}, {"config", json::array()}}),
                       {"no layers"});
        expectContains(configError({{"class_name", "Sequential"},
                                    {"config", {one("Dense", {{"name", "d"}, {"units", 1}})}}}),
                       {"batch_input_shape"});
        expectContains(
            configError({{"class_name", "Sequential"},
                         {"config",
                          {one("InputLayer",
                               {{"name", "i"}, {"batch_input_shape", {nullptr, nullptr}}})}}}),
            {"fixed input sizes"});
        json twice = {
            {"class_name", "Sequential"},
            {"config",
             {one("Dense", {{"name", "d"}, {"units", 1}, {"batch_input_shape", {nullptr, 2}}}),
              one("Dense", {{"name", "d"}, {"units", 1}})}}};
        expectContains(configError(twice), {"'d'", "already"});
        json in = layer("InputLayer", {{"name", "in"}, {"batch_input_shape", {nullptr, 2}}});
        json dense = layer("Dense", {{"name", "d"}, {"units", 1}}, {"nowhere"});
        expectContains(configError(functional(json::array({in, dense}), "in", "d")),
                       {"'d'", "nowhere"});
        dense = layer("Dense", {{"name", "d"}, {"units", 1}}, {"in"});
        dense["inbound_nodes"].push_back(dense["inbound_nodes"][0]);
        expectContains(configError(functional(json::array({in, dense}), "in", "d")),
                       {"'d'", "shared"});
        dense = layer("Dense", {{"name", "d"}, {"units", 1}}, {"in"});
        dense["inbound_nodes"][0][0][1] = 1;
        expectContains(configError(functional(json::array({in, dense}), "in", "d")),
                       {"'d'", "inbound node"});
    }

    void badManifestEntries() {
        QTemporaryDir dir;
        std::string path = dir.filePath("model.json").toStdString();
        auto error = [&](const json& w, const std::string& shard) {
            writeFile(dir.filePath("model.json"),
                      modelJson(denseSequential(), json::array({w}), {"w.bin"}).dump());
            writeFile(dir.filePath("w.bin"), shard);
            return expectIoError([&] { loadTfjsModel(path); });
        };
        expectContains(error(weight("kernel", {3, 2}), ""), {"'kernel'", "layer"});
        expectContains(error(weight("dense/kernel", {3, -2}), ""),
                       {"dense/kernel", "invalid shape"});
        expectContains(error(weight("dense/kernel", {1 << 20, 1 << 20, 1 << 20}), ""),
                       {"dense/kernel", "absurd"});
        json w = weight("dense/kernel", {3, 2});
        w["dtype"] = "string";
        expectContains(error(w, ""), {"dense/kernel", "string"});
        w["dtype"] = "float32";
        w["quantization"] = {{"dtype", "int4"}};
        expectContains(error(w, ""), {"dense/kernel", "int4"});
    }

    void brokenFilesGiveClearErrors() {
        QTemporaryDir dir;
        std::string path = dir.filePath("model.json").toStdString();
        auto write = [&](const json& config, const json& weights, const std::string& shard) {
            writeFile(dir.filePath("model.json"), modelJson(config, weights, {"w.bin"}).dump());
            writeFile(dir.filePath("w.bin"), shard);
        };
        write(denseSequential(), denseWeights(), kDenseBytes.substr(0, 28));
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"w.bin", "28", "32"});

        write(denseSequential(), denseWeights({2, 3}), kDenseBytes);
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"dense", "(2, 3)", "(3, 2)"});

        json extra = denseWeights();
        extra.push_back(weight("ghost/bias", {1}));
        write(denseSequential(), extra, kDenseBytes + bytesOf({1}));
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"ghost"});

        write(denseSequential(), json::array({weight("dense/bias", {2})}), bytesOf({1, 2}));
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"dense", "gives 1"});

        write(denseSequential(), json::array(), "");
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"no weights", "dense"});

        write(denseSequential(), denseWeights(), kDenseBytes);
        std::remove(dir.filePath("w.bin").toStdString().c_str());
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"w.bin"});

        json imagesIntoDense = {
            {"class_name", "Sequential"},
            {"config",
             {{{"class_name", "Dense"},
               {"config",
                {{"name", "d"}, {"units", 1}, {"batch_input_shape", {nullptr, 2, 2, 1}}}}}}}};
        write(imagesIntoDense, json::array(), "");
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"model.json", "'d'"});

        // A topology asking for 7.8 G weights beside an 8-weight shard: refused before any
        // allocation, not after 31 GB.
        json huge = denseSequential();
        huge["config"][0]["config"]["batch_input_shape"] = {nullptr, 784};
        huge["config"][1]["config"]["units"] = 10000000;
        write(huge, denseWeights(), kDenseBytes);
        expectContains(expectIoError([&] { loadTfjsModel(path); }),
                       {"model.json", "dense", "larger than the file"});

        for (const char* outside : {"../w.bin", "/etc/passwd"}) {
            writeFile(dir.filePath("model.json"),
                      modelJson(denseSequential(), denseWeights(), {outside}).dump());
            expectContains(expectIoError([&] { loadTfjsModel(path); }), {outside, "leaves"});
        }

        writeFile(dir.filePath("model.json"), "{\"modelTopology\": [1, 2");
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"model.json", "JSON"});

        writeFile(dir.filePath("model.json"), "{\"weightsManifest\": []}");
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"malformed"});

        expectContains(
            expectIoError([&] { loadTfjsModel(dir.filePath("none.json").toStdString()); }),
            {"none.json"});

        // A sparse 300 MiB file: refused by its size, before anything is read.
        std::filesystem::resize_file(path, uintmax_t(300) << 20);
        expectContains(expectIoError([&] { loadTfjsModel(path); }), {"model.json", "bytes"});
    }
};

QTEST_APPLESS_MAIN(TestTfjsImport)
#include "TestTfjsImport.moc"
