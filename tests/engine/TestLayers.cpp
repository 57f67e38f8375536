// Every layer kind: a sound declaration (category, help, defaults that validate and survive a
// JSON round trip) and forward passes against values worked out by hand.

#include <loom/Error.h>
#include <loom/Graph.h>

#include <QtTest>

#include <set>

using namespace loom;

namespace {

// Runs a one-layer graph forward on one input (or several) and returns the output.
struct OneLayer {
    Graph graph;
    explicit OneLayer(const std::string& type, const nlohmann::json& params,
                      const std::vector<Shape>& inputs) {
        std::vector<std::string> names;
        for (size_t i = 0; i < inputs.size(); ++i) {
            names.push_back(
                graph.add("Input", "in" + std::to_string(i), {{"shape", inputs[i].dims()}}));
        }
        graph.add(type, "layer", params, names);
        graph.build();
    }
    Parameter& parameter(const std::string& name) {
        return *graph.layer("layer").findParameter(name);
    }
    std::vector<float> run(const std::vector<Tensor>& inputs, bool training = false) {
        ExecutionContext ctx{cpuBackend(), training, 17, 3};
        return graph.forward(ctx, inputs)[0].toVector();
    }
};

Tensor floats(const Shape& shape, const std::vector<float>& values) {
    return Tensor::fromVector(shape, values);
}

Tensor iota(const Shape& shape, float start = 1.0f) {
    std::vector<float> v(static_cast<size_t>(shape.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
        v[i] = start + static_cast<float>(i);
    }
    return Tensor::fromVector(shape, v);
}

void compare(const std::vector<float>& actual, const std::vector<float>& expected) {
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        QVERIFY2(
            std::abs(actual[i] - expected[i]) <= 1e-5f * (1 + std::abs(expected[i])),
            qPrintable(
                QString("element %1: %2 vs expected %3").arg(i).arg(actual[i]).arg(expected[i])));
    }
}

}  // namespace

class TestLayers : public QObject {
    Q_OBJECT

private slots:
    void declarationsAreComplete();
    void denseKnownValues();
    void conv2dSamePaddingPutsTheExtraCellLast();
    void depthwiseConvKeepsChannelsApart();
    void maxPoolSameAndStrides();
    void averagePoolExcludesPadding();
    void globalAveragePool();
    void flattenIsChannelsFirst();
    void reshapeFillsWildcard();
    void dropoutIsIdentityAtInferenceAndScalesWhenTraining();
    void batchNormInferenceUsesMovingStatistics();
    void batchNormWithoutScaleHasNoGamma();
    void concatenateKeepsInputOrder();
    void addSumsAllInputs();
    void zeroPaddingFourSides();
    void activationsKnownValues();
    void reluCeiling();
};

void TestLayers::declarationsAreComplete() {
    const std::set<std::string> categories{
        "Core", "Convolution", "Pooling", "Normalisation", "Regularisation", "Merge", "Activation"};
    int kinds = 0;
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        ++kinds;
        const QString name = QString::fromStdString(kind->type);
        QVERIFY2(categories.count(kind->category), qPrintable(name + ": unknown category"));
        QVERIFY2(!kind->description.empty(), qPrintable(name + ": no description"));
        QVERIFY2(!kind->keras.className.empty(), qPrintable(name + ": no Keras class"));
        for (const ParamSpec& spec : kind->params) {
            QVERIFY2(!spec.help.empty(), qPrintable(name + "." + spec.name.c_str() + ": no help"));
        }
        ParamSet defaults(&kind->params, nlohmann::json::object(), kind->type);
        ParamSet again(&kind->params, defaults.toJson(), kind->type);
        QCOMPARE(again.toJson(), defaults.toJson());
    }
    QVERIFY(kinds >= 14);
}

void TestLayers::denseKnownValues() {
    OneLayer l("Dense", {{"units", 2}}, {{3}});
    l.parameter("kernel").value.copyFrom(floats({3, 2}, {1, 2, 3, 4, 5, 6}));
    l.parameter("bias").value.copyFrom(floats({2}, {0.5f, -1}));
    // [1 2 3] W = [22 28]; [0 1 0] W = [3 4].
    compare(l.run({floats({2, 3}, {1, 2, 3, 0, 1, 0})}), {22.5f, 27, 3.5f, 3});
}

void TestLayers::conv2dSamePaddingPutsTheExtraCellLast() {
    // A 2x2 all-ones filter with "same" padding on a 3x3 image: TensorFlow pads the bottom
    // and right only, so each output sums the window starting at its own cell.
    OneLayer l("Conv2D",
               {{"filters", 1},
                {"kernel_size", {2, 2}},
                {"padding", "same"},
                {"kernel_initializer", "ones"}},
               {{1, 3, 3}});
    compare(l.run({iota({1, 1, 3, 3})}), {12, 16, 9, 24, 28, 15, 15, 17, 9});
}

void TestLayers::depthwiseConvKeepsChannelsApart() {
    // Two channels, two filters each: output c*2 + j comes from channel c and filter j.
    OneLayer l("DepthwiseConv2D", {{"kernel_size", {2, 2}}, {"depth_multiplier", 2}}, {{2, 3, 3}});
    QCOMPARE(l.graph.node("layer").outputShape, (Shape{4, 2, 2}));
    l.parameter("depthwise_kernel")
        .value.copyFrom(floats({4, 1, 2, 2}, {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, -1, -1, -1, -1}));
    l.parameter("bias").value.copyFrom(floats({4}, {0, 0.5f, 0, 1}));
    // Channel 0 is 1..9, channel 1 is 10..18 (3x3 each).
    compare(l.run({iota({1, 2, 3, 3})}),
            {12, 16, 24, 28, 1.5f, 2.5f, 4.5f, 5.5f, 14, 15, 17, 18, -47, -51, -59, -63});
}

void TestLayers::maxPoolSameAndStrides() {
    OneLayer valid("MaxPool2D", {{"pool_size", {2, 2}}}, {{1, 4, 4}});
    compare(valid.run({iota({1, 1, 4, 4})}), {6, 8, 14, 16});
    OneLayer same("MaxPool2D", {{"pool_size", {2, 2}}, {"padding", "same"}}, {{1, 3, 3}});
    compare(same.run({iota({1, 1, 3, 3}, -4)}), {0, 1, 3, 4});
}

void TestLayers::averagePoolExcludesPadding() {
    OneLayer l("AveragePool2D", {{"pool_size", {2, 2}}, {"strides", {1, 1}}, {"padding", "same"}},
               {{1, 2, 2}});
    // Windows at the right and bottom edges hang over padding, which does not count.
    compare(l.run({iota({1, 1, 2, 2})}), {2.5f, 3, 3.5f, 4});
}

void TestLayers::globalAveragePool() {
    OneLayer l("GlobalAveragePool2D", {}, {{2, 2, 2}});
    compare(l.run({iota({1, 2, 2, 2})}), {2.5f, 6.5f});
}

void TestLayers::flattenIsChannelsFirst() {
    OneLayer l("Flatten", {}, {{2, 1, 2}});
    compare(l.run({iota({2, 2, 1, 2})}), {1, 2, 3, 4, 5, 6, 7, 8});
    QCOMPARE(l.graph.node("layer").outputShape, (Shape{4}));
}

void TestLayers::reshapeFillsWildcard() {
    OneLayer l("Reshape", {{"target_shape", {-1, 2}}}, {{6}});
    QCOMPARE(l.graph.node("layer").outputShape, (Shape{3, 2}));
    try {
        OneLayer bad("Reshape", {{"target_shape", {4, -1}}}, {{6}});
        QFAIL("no exception");
    } catch (const ShapeError& e) {
        QVERIFY(QString(e.what()).contains("(6,)"));
    }
}

void TestLayers::dropoutIsIdentityAtInferenceAndScalesWhenTraining() {
    OneLayer l("Dropout", {{"rate", 0.25}}, {{1000}});
    Tensor x = Tensor::full({4, 1000}, 2.0);
    compare(l.run({x}), x.toVector());
    std::vector<float> y = l.run({x}, true);
    int dropped = 0;
    for (float v : y) {
        QVERIFY(v == 0.0f || std::abs(v - 2.0f / 0.75f) < 1e-5f);
        dropped += v == 0.0f;
    }
    QVERIFY2(dropped > 850 && dropped < 1150, qPrintable(QString::number(dropped)));
    QCOMPARE(l.run({x}, true), y);  // same seed and step: the same mask
}

void TestLayers::batchNormInferenceUsesMovingStatistics() {
    OneLayer l("BatchNormalization", {{"epsilon", 1e-9}}, {{2}});
    l.parameter("moving_mean").value.copyFrom(floats({2}, {1, -1}));
    l.parameter("moving_variance").value.copyFrom(floats({2}, {4, 0.25f}));
    l.parameter("gamma").value.copyFrom(floats({2}, {2, 1}));
    l.parameter("beta").value.copyFrom(floats({2}, {0, 10}));
    compare(l.run({floats({1, 2}, {3, 0})}), {2, 12});
}

void TestLayers::batchNormWithoutScaleHasNoGamma() {
    OneLayer l("BatchNormalization", {{"scale", false}}, {{8, 3, 3}});
    QVERIFY(l.graph.layer("layer").findParameter("gamma") == nullptr);
    QCOMPARE(l.graph.parameterCount(), int64_t{24});
    QCOMPARE(l.graph.trainableParameterCount(), int64_t{8});
}

void TestLayers::concatenateKeepsInputOrder() {
    OneLayer l("Concatenate", {}, {{1, 1, 2}, {2, 1, 2}});
    compare(l.run({iota({1, 1, 1, 2}), iota({1, 2, 1, 2}, 10)}), {1, 2, 10, 11, 12, 13});
}

void TestLayers::addSumsAllInputs() {
    OneLayer l("Add", {}, {{3}, {3}, {3}});
    compare(l.run({iota({1, 3}), iota({1, 3}), iota({1, 3}, 10)}), {12, 15, 18});
}

void TestLayers::zeroPaddingFourSides() {
    OneLayer l("ZeroPadding2D", {{"padding", {1, 0, 0, 2}}}, {{1, 1, 1}});
    compare(l.run({floats({1, 1, 1, 1}, {5})}), {0, 0, 0, 5, 0, 0});
}

void TestLayers::activationsKnownValues() {
    const std::vector<float> x{-2, 0, 1};
    const std::vector<std::pair<std::string, std::vector<float>>> cases{
        {"relu", {0, 0, 1}},
        {"leaky_relu", {-0.4f, 0, 1}},
        {"elu", {std::exp(-2.0f) - 1, 0, 1}},
        {"sigmoid", {1 / (1 + std::exp(2.0f)), 0.5f, 1 / (1 + std::exp(-1.0f))}},
        {"tanh", {std::tanh(-2.0f), 0, std::tanh(1.0f)}},
        {"linear", {-2, 0, 1}},
    };
    for (const auto& [name, expected] : cases) {
        OneLayer l("Activation", {{"activation", name}}, {{3}});
        compare(l.run({floats({1, 3}, x)}), expected);
    }
    float sum = std::exp(-2.0f) + 1 + std::exp(1.0f);
    OneLayer softmax("Activation", {{"activation", "softmax"}}, {{3}});
    compare(softmax.run({floats({1, 3}, x)}),
            {std::exp(-2.0f) / sum, 1 / sum, std::exp(1.0f) / sum});
    OneLayer leaky("LeakyReLU", {{"alpha", 0.1}}, {{3}});
    compare(leaky.run({floats({1, 3}, x)}), {-0.2f, 0, 1});
}

void TestLayers::reluCeiling() {
    const Tensor x = floats({1, 5}, {-2, 0, 1, 3, 7});
    OneLayer plain("ReLU", {}, {{5}});
    compare(plain.run({x}), {0, 0, 1, 3, 7});
    OneLayer six("ReLU", {{"max_value", 6}}, {{5}});
    compare(six.run({x}), {0, 0, 1, 3, 6});
    OneLayer low("ReLU", {{"max_value", 1.5}}, {{5}});
    compare(low.run({x}), {0, 0, 1, 1.5f, 1.5f});
    OneLayer activation("Activation", {{"activation", "relu6"}}, {{5}});
    compare(activation.run({x}), {0, 0, 1, 3, 6});
}

QTEST_APPLESS_MAIN(TestLayers)
#include "TestLayers.moc"
