// Float64 central-difference gradient checks for every registered layer kind and loss, on
// the CPU: inputs and weights. The cases are a table keyed by kind; a kind added to the
// registry without a case here fails coverage().

#include "support/GradientCheck.h"

#include <loom/Graph.h>
#include <loom/Loss.h>

#include <QtTest>

#include <set>

using namespace loom;
using loom::testing::checkGradient;
using loom::testing::fillUniform;

namespace {

struct LayerCase {
    std::string label;
    std::string type;
    nlohmann::json params;
    std::vector<Shape> inputs;  // per sample
};

const std::vector<LayerCase>& layerCases() {
    static const std::vector<LayerCase> cases = {
        {"dense", "Dense", {{"units", 5}}, {{7}}},
        {"dense tanh no bias",
         "Dense",
         {{"units", 3}, {"activation", "tanh"}, {"use_bias", false}},
         {{6}}},
        {"dense softmax", "Dense", {{"units", 4}, {"activation", "softmax"}}, {{5}}},
        {"conv 3x3", "Conv2D", {{"filters", 3}, {"kernel_size", {3, 3}}}, {{2, 7, 7}}},
        {"conv stride same",
         "Conv2D",
         {{"filters", 2}, {"kernel_size", {3, 2}}, {"strides", {2, 1}}, {"padding", "same"}},
         {{3, 8, 7}}},
        {"conv dilated elu",
         "Conv2D",
         {{"filters", 2},
          {"kernel_size", {3, 3}},
          {"dilation_rate", {2, 2}},
          {"padding", "same"},
          {"activation", "elu"}},
         {{2, 9, 9}}},
        {"conv stride dilation valid",
         "Conv2D",
         {{"filters", 2}, {"kernel_size", {2, 3}}, {"strides", {2, 2}}, {"dilation_rate", {2, 1}}},
         {{1, 9, 8}}},
        {"depthwise 3x3 same",
         "DepthwiseConv2D",
         {{"kernel_size", {3, 3}}, {"padding", "same"}},
         {{3, 6, 5}}},
        {"depthwise multiplier 2 stride 2 dilated no bias",
         "DepthwiseConv2D",
         {{"kernel_size", {3, 2}},
          {"depth_multiplier", 2},
          {"strides", {2, 2}},
          {"dilation_rate", {1, 2}},
          {"use_bias", false}},
         {{2, 8, 7}}},
        {"maxpool 2x2", "MaxPool2D", {{"pool_size", {2, 2}}}, {{2, 6, 6}}},
        {"maxpool 3x3 s2 same",
         "MaxPool2D",
         {{"pool_size", {3, 3}}, {"strides", {2, 2}}, {"padding", "same"}},
         {{2, 7, 7}}},
        {"avgpool 2x2", "AveragePool2D", {{"pool_size", {2, 2}}}, {{2, 6, 5}}},
        {"avgpool 3x3 s1 same",
         "AveragePool2D",
         {{"pool_size", {3, 3}}, {"strides", {1, 1}}, {"padding", "same"}},
         {{2, 5, 5}}},
        {"global average", "GlobalAveragePool2D", {}, {{3, 4, 5}}},
        {"flatten", "Flatten", {}, {{2, 3, 4}}},
        {"reshape", "Reshape", {{"target_shape", {6, -1}}}, {{3, 4, 2}}},
        {"dropout", "Dropout", {{"rate", 0.3}}, {{20}}},
        {"batchnorm image", "BatchNormalization", {}, {{4, 3, 3}}},
        {"batchnorm flat no scale", "BatchNormalization", {{"scale", false}}, {{6}}},
        {"relu", "Activation", {{"activation", "relu"}}, {{9}}},
        {"leaky_relu", "Activation", {{"activation", "leaky_relu"}}, {{9}}},
        {"elu", "Activation", {{"activation", "elu"}}, {{9}}},
        {"sigmoid", "Activation", {{"activation", "sigmoid"}}, {{9}}},
        {"tanh", "Activation", {{"activation", "tanh"}}, {{9}}},
        {"softmax", "Activation", {{"activation", "softmax"}}, {{9}}},
        {"softmax over channels", "Activation", {{"activation", "softmax"}}, {{4, 2, 3}}},
        {"linear", "Activation", {{"activation", "linear"}}, {{9}}},
        {"relu6", "Activation", {{"activation", "relu6"}}, {{9}}},
        {"softmax layer", "Softmax", {}, {{9}}},
        {"softmax layer over channels", "Softmax", {}, {{3, 2, 2}}},
        {"relu layer", "ReLU", {}, {{9}}},
        // A ceiling inside the inputs' range [-1, 1), so both kinks are crossed.
        {"relu layer max_value 0.5", "ReLU", {{"max_value", 0.5}}, {{2, 3, 3}}},
        {"leaky relu layer", "LeakyReLU", {{"alpha", 0.1}}, {{2, 3, 3}}},
        {"elu layer", "ELU", {{"alpha", 0.5}}, {{8}}},
        {"concat channels", "Concatenate", {{"axis", 1}}, {{2, 3, 3}, {3, 3, 3}}},
        {"concat features", "Concatenate", {{"axis", 1}}, {{4}, {5}, {2}}},
        {"concat width", "Concatenate", {{"axis", 3}}, {{2, 3, 2}, {2, 3, 4}}},
        {"add", "Add", {}, {{3, 4}, {3, 4}}},
        {"add three images", "Add", {}, {{2, 3, 3}, {2, 3, 3}, {2, 3, 3}}},
        {"zero padding", "ZeroPadding2D", {{"padding", {1, 2, 0, 3}}}, {{2, 3, 3}}},
    };
    return cases;
}

double sumProduct(const Tensor& a, const Tensor& b) {
    double s = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        s += a.at(i) * b.at(i);
    }
    return s;
}

void verify(const testing::GradientCheckResult& r, const std::string& what) {
    QVERIFY2(r.failure.empty(), r.failure.c_str());
    QVERIFY2(r.checked > 0, (what + ": no coordinate could be checked").c_str());
    QVERIFY2(r.kinks * 4 <= r.checked, (what + ": too many kinks skipped").c_str());
}

}  // namespace

class TestGradients : public QObject {
    Q_OBJECT

private slots:
    void coverage();
    void layerGradient_data();
    void layerGradient();
    void lossGradient_data();
    void lossGradient();
    void fusedLossMatchesUnfused_data();
    void fusedLossMatchesUnfused();
};

void TestGradients::coverage() {
    std::set<std::string> covered;
    for (const LayerCase& c : layerCases()) {
        covered.insert(c.type);
    }
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        if (kind->minInputs > 0) {
            QVERIFY2(covered.count(kind->type),
                     ("layer kind " + kind->type + " has no gradient-check case").c_str());
        }
    }
}

void TestGradients::layerGradient_data() {
    QTest::addColumn<int>("index");
    for (size_t i = 0; i < layerCases().size(); ++i) {
        QTest::newRow(layerCases()[i].label.c_str()) << static_cast<int>(i);
    }
}

void TestGradients::layerGradient() {
    QFETCH(int, index);
    const LayerCase& c = layerCases()[static_cast<size_t>(index)];
    Graph graph;
    std::vector<std::string> inputNames;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        inputNames.push_back(
            graph.add("Input", "in" + std::to_string(i), {{"shape", c.inputs[i].dims()}}));
    }
    graph.add(c.type, "layer", c.params, inputNames);
    graph.build(7, DType::F64);

    const int64_t batch = 4;
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        inputs.push_back(Tensor::empty(c.inputs[i].withBatch(batch), DType::F64));
        fillUniform(inputs.back(), 11 + i);
    }
    ExecutionContext ctx{cpuBackend(), true, 3, 0, DType::F64};
    Tensor y = graph.forward(ctx, inputs)[0];
    Tensor projection = Tensor::empty(y.shape(), DType::F64);
    fillUniform(projection, 99);
    graph.backward(ctx, {{projection, false}}, true);

    auto objective = [&] { return sumProduct(graph.forward(ctx, inputs)[0], projection); };
    for (size_t i = 0; i < inputs.size(); ++i) {
        Tensor analytic = graph.inputGradient(i).clone();
        std::string what = c.label + " d/dinput" + std::to_string(i);
        verify(checkGradient(what, inputs[i], analytic, objective), what);
    }
    for (Parameter& p : graph.layer("layer").parameters()) {
        if (!p.trainable) {
            continue;
        }
        Tensor analytic = p.grad.clone();
        std::string what = c.label + " d/d" + p.name;
        verify(checkGradient(what, p.value, analytic, objective), what);
    }
}

namespace {

// A target that is valid for each loss: one-hot rows, class labels, 0/1 or real values.
Tensor makeTarget(const std::string& loss, const Shape& outputShape) {
    const int64_t n = outputShape[0], classes = outputShape[1];
    if (loss == "sparse_categorical_crossentropy") {
        Tensor labels = Tensor::empty(Shape{n}, DType::F64);
        for (int64_t i = 0; i < n; ++i) {
            labels.set(i, static_cast<double>((i * 3 + 1) % classes));
        }
        return labels;
    }
    Tensor target = Tensor::zeros(outputShape, DType::F64);
    if (loss == "categorical_crossentropy") {
        for (int64_t i = 0; i < n; ++i) {
            target.set(i * classes + (i * 2 + 1) % classes, 1.0);
        }
    } else if (loss == "binary_crossentropy") {
        for (int64_t i = 0; i < target.numel(); ++i) {
            target.set(i, (i * 7) % 3 == 0 ? 1.0 : 0.0);
        }
    } else {
        fillUniform(target, 5);
    }
    return target;
}

double lossValue(Loss& loss, const Tensor& output, const Tensor& target, bool fused, Tensor* grad) {
    Tensor value = Tensor::empty(Shape{1}, DType::F64);
    loss.compute(cpuBackend(), output, target, fused, value, grad);
    return value.at(0);
}

}  // namespace

void TestGradients::lossGradient_data() {
    QTest::addColumn<QString>("loss");
    QTest::addColumn<bool>("fused");
    for (const LossKind* kind : LossRegistry::instance().all()) {
        auto loss = kind->create();
        if (loss->fusedActivation() != ActivationKind::Linear) {
            QTest::newRow((kind->type + " fused").c_str())
                << QString::fromStdString(kind->type) << true;
        }
        if (kind->type != "sparse_categorical_crossentropy") {
            QTest::newRow(kind->type.c_str()) << QString::fromStdString(kind->type) << false;
        }
    }
}

void TestGradients::lossGradient() {
    QFETCH(QString, loss);
    QFETCH(bool, fused);
    auto fn = makeLoss(loss.toStdString());
    const Shape shape{5, 4};
    Tensor output = Tensor::empty(shape, DType::F64);
    if (fused) {
        fillUniform(output, 21, -3.0, 3.0);
    } else {
        // Probabilities away from the clipping bounds.
        fillUniform(output, 21, 0.05, 0.95);
    }
    Tensor target = makeTarget(fn->type(), shape);
    Tensor grad = Tensor::empty(shape, DType::F64);
    lossValue(*fn, output, target, fused, &grad);
    auto objective = [&] { return lossValue(*fn, output, target, fused, nullptr); };
    verify(checkGradient(fn->type(), output, grad, objective, 40, 1e-6, 1e-6), fn->type());
}

void TestGradients::fusedLossMatchesUnfused_data() {
    QTest::addColumn<QString>("loss");
    for (const LossKind* kind : LossRegistry::instance().all()) {
        if (kind->create()->fusedActivation() != ActivationKind::Linear &&
            kind->type != "sparse_categorical_crossentropy") {
            QTest::newRow(kind->type.c_str()) << QString::fromStdString(kind->type);
        }
    }
}

void TestGradients::fusedLossMatchesUnfused() {
    QFETCH(QString, loss);
    auto fn = makeLoss(loss.toStdString());
    const Shape shape{5, 4};
    Tensor logits = Tensor::empty(shape, DType::F64);
    fillUniform(logits, 4, -4.0, 4.0);
    Tensor probabilities = Tensor::empty(shape, DType::F64);
    cpuBackend().activationForward(fn->fusedActivation(), 0.0, logits, probabilities);
    Tensor target = makeTarget(fn->type(), shape);
    double fusedValue = lossValue(*fn, logits, target, true, nullptr);
    double plainValue = lossValue(*fn, probabilities, target, false, nullptr);
    QVERIFY2(std::abs(fusedValue - plainValue) < 1e-9,
             qPrintable(QString("fused %1 vs unfused %2").arg(fusedValue).arg(plainValue)));
}

QTEST_APPLESS_MAIN(TestGradients)
#include "TestGradients.moc"
