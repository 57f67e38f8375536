// The CPU backend, op by op: known values (hand-computed or from a direct loop in
// ReferenceOps.h) in float32 and float64, gradient ops against central differences in float64,
// and shape errors that name the op and the shapes.

#include "ReferenceOps.h"

#include <loom/Backend.h>
#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

Q_DECLARE_METATYPE(loom::Shape)

using namespace loom;
using namespace loom::test;

namespace {

Backend& cpu() {
    return cpuBackend();
}

// Absolute and relative tolerance for results computed in dtype from data of magnitude ~1.
double tolerance(DType dtype) {
    return dtype == DType::F32 ? 2e-5 : 1e-12;
}

// Gradients by central differences in float64 agree with analytic ones to about h^2.
constexpr double kGradientTolerance = 1e-7;

void addDtypeColumn() {
    QTest::addColumn<int>("dtype");
}

void addDtypeRows() {
    addDtypeColumn();
    QTest::newRow("float32") << int(DType::F32);
    QTest::newRow("float64") << int(DType::F64);
}

Tensor scalar(DType dtype) {
    return Tensor::zeros({1}, dtype);
}

// Conv geometries, each with the shapes that exercise it.
struct ConvCase {
    const char* name;
    Shape x, w;
    Conv2DGeometry g;
    bool big = false;  ///< too big for a central-difference check
};

const std::vector<ConvCase>& convCases() {
    static const std::vector<ConvCase> cases = {
        {"3x3 valid", {2, 3, 7, 6}, {4, 3, 3, 3}, {}},
        {"3x3 asymmetric pads",
         {2, 2, 6, 7},
         {3, 2, 3, 3},
         {.padTop = 1, .padLeft = 0, .padBottom = 2, .padRight = 1}},
        {"stride 2 pad 1",
         {3, 2, 9, 8},
         {2, 2, 3, 3},
         {.strideH = 2, .strideW = 2, .padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1}},
        {"dilation 2 pad 2",
         {2, 2, 9, 9},
         {3, 2, 3, 3},
         {.padTop = 2,
          .padLeft = 2,
          .padBottom = 2,
          .padRight = 2,
          .dilationH = 2,
          .dilationW = 2}},
        {"strides 2x3 dilation 2x1 mixed pads",
         {2, 3, 11, 10},
         {2, 3, 3, 2},
         {.strideH = 2,
          .strideW = 3,
          .padTop = 0,
          .padLeft = 2,
          .padBottom = 1,
          .padRight = 0,
          .dilationH = 2,
          .dilationW = 1}},
        {"pointwise 1x1", {2, 4, 5, 5}, {3, 4, 1, 1}, {}},
        {"1x1 stride 2", {2, 4, 5, 6}, {3, 4, 1, 1}, {.strideH = 2, .strideW = 2}},
        {"one image (threaded GEMM path)",
         {1, 3, 8, 8},
         {4, 3, 3, 3},
         {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1}},
        {"five images", {5, 2, 6, 6}, {3, 2, 2, 2}, {}},
        // Big enough for the one-image path to split its GEMMs over the cores.
        {"one big image",
         {1, 16, 32, 32},
         {32, 16, 3, 3},
         {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1},
         true},
        {"big batch", {4, 16, 16, 16}, {32, 16, 3, 3}, {}, true},
        // Grouped: the direct loop reads only the group's channels.
        {"depthwise 3x3 same",
         {2, 4, 7, 6},
         {4, 1, 3, 3},
         {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1, .groups = 4}},
        {"depthwise multiplier 2 stride 2",
         {2, 3, 9, 8},
         {6, 1, 3, 3},
         {.strideH = 2, .strideW = 2, .padBottom = 1, .padRight = 1, .groups = 3}},
        {"2 groups dilated",
         {3, 4, 8, 8},
         {6, 2, 3, 2},
         {.padTop = 1, .padLeft = 2, .dilationH = 2, .groups = 2}},
        {"2 groups pointwise", {2, 6, 5, 5}, {4, 3, 1, 1}, {.groups = 2}},
        {"depthwise one image", {1, 5, 6, 6}, {5, 1, 3, 3}, {.groups = 5}},
        // Enough (image, group) tasks and work for the parallel path.
        {"depthwise big batch",
         {8, 32, 16, 16},
         {64, 1, 3, 3},
         {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1, .groups = 32},
         true},
    };
    return cases;
}

struct PoolCase {
    const char* name;
    Shape x;
    Pool2DGeometry g;
};

const std::vector<PoolCase>& poolCases() {
    static const std::vector<PoolCase> cases = {
        {"2x2 stride 2", {2, 3, 6, 6}, {}},
        {"2x2 stride 2 odd size", {1, 2, 5, 7}, {}},
        {"3x3 stride 2 pad 1",
         {2, 2, 7, 7},
         {.kernelH = 3, .kernelW = 3, .padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1}},
        {"3x3 stride 1 asymmetric pads",
         {1, 2, 5, 6},
         {.kernelH = 3,
          .kernelW = 3,
          .strideH = 1,
          .strideW = 1,
          .padTop = 0,
          .padLeft = 2,
          .padBottom = 1,
          .padRight = 0}},
        {"2x3 strides 1x2", {2, 1, 5, 7}, {.kernelH = 2, .kernelW = 3, .strideH = 1, .strideW = 2}},
    };
    return cases;
}

const char* poolModeName(PoolMode mode) {
    switch (mode) {
        case PoolMode::Max:
            return "max";
        case PoolMode::AverageExcludePadding:
            return "avg-exclude-pad";
        case PoolMode::AverageIncludePadding:
            return "avg-include-pad";
    }
    return "?";
}

// The activation's value and slope at x, in double, for the element-wise kinds.
double activationValue(ActivationKind kind, double alpha, double x) {
    switch (kind) {
        case ActivationKind::Linear:
            return x;
        case ActivationKind::Relu:
            return x > 0 ? x : 0;
        case ActivationKind::LeakyRelu:
            return x > 0 ? x : alpha * x;
        case ActivationKind::ClippedRelu:
            return std::clamp(x, 0.0, alpha);
        case ActivationKind::Elu:
            return x > 0 ? x : alpha * (std::exp(x) - 1);
        case ActivationKind::Sigmoid:
            return 1 / (1 + std::exp(-x));
        case ActivationKind::Tanh:
            return std::tanh(x);
        case ActivationKind::Softmax:
            break;
    }
    return NAN;
}

}  // namespace

#define LOOM_VERIFY_CLOSE(got, want, atol, rtol)                                \
    do {                                                                        \
        std::string why_;                                                       \
        QVERIFY2(allClose((got), (want), (atol), (rtol), &why_), why_.c_str()); \
    } while (0)

#define LOOM_FETCH_DTYPE \
    QFETCH(int, dtype);  \
    const DType dt = DType(dtype)

class TestCpuBackend : public QObject {
    Q_OBJECT

private slots:
    void memory_data() { addDtypeRows(); }
    void memory();
    void gemm_data() { addDtypeRows(); }
    void gemm();
    void gemmShapeErrors();

    void conv2dForward_data();
    void conv2dForward();
    void conv2dBackwardIsAdjoint_data();
    void conv2dBackwardIsAdjoint();
    void conv2dGradients_data();
    void conv2dGradients();
    void conv2dShapeErrors();

    void pool2dForward_data();
    void pool2dForward();
    void pool2dGradients_data();
    void pool2dGradients();
    void maxPoolRoutesToFirstMaximum_data() { addDtypeRows(); }
    void maxPoolRoutesToFirstMaximum();
    void maxPoolPropagatesNan_data() { addDtypeRows(); }
    void maxPoolPropagatesNan();
    void globalAveragePool_data() { addDtypeRows(); }
    void globalAveragePool();
    void pad2d_data() { addDtypeRows(); }
    void pad2d();
    void poolShapeErrors();

    void activationForward_data();
    void activationForward();
    void activationGradients_data();
    void activationGradients();
    void activationsPropagateNan_data() { addDtypeRows(); }
    void activationsPropagateNan();
    void sigmoidIsStableForLargeInputs_data() { addDtypeRows(); }
    void sigmoidIsStableForLargeInputs();
    void softmaxRows_data() { addDtypeRows(); }
    void softmaxRows();
    void softmaxOverChannelsOfImages_data() { addDtypeRows(); }
    void softmaxOverChannelsOfImages();
    void softmaxGradients();

    void batchNormTraining_data() { addDtypeRows(); }
    void batchNormTraining();
    void batchNormInference_data() { addDtypeRows(); }
    void batchNormInference();
    void batchNormGradients_data();
    void batchNormGradients();

    void dropout_data() { addDtypeRows(); }
    void dropout();
    void dropoutEdgeRates();

    void elementwise_data() { addDtypeRows(); }
    void elementwise();
    void reductions_data() { addDtypeRows(); }
    void reductions();
    void bias_data() { addDtypeRows(); }
    void bias();
    void concatKnownValues_data() { addDtypeRows(); }
    void concatKnownValues();
    void concatSplitRoundTrip_data();
    void concatSplitRoundTrip();
    void concatShapeErrors();

    void softmaxCrossEntropyKnownValues_data() { addDtypeRows(); }
    void softmaxCrossEntropyKnownValues();
    void sparseMatchesOneHot_data() { addDtypeRows(); }
    void sparseMatchesOneHot();
    void probabilityLossesKnownValues_data() { addDtypeRows(); }
    void probabilityLossesKnownValues();
    void lossesAreStable();
    void lossGradients();
    void lossErrors();

    void sgd_data() { addDtypeRows(); }
    void sgd();
    void rmsprop_data() { addDtypeRows(); }
    void rmsprop();
    void adagrad_data() { addDtypeRows(); }
    void adagrad();
    void adam_data() { addDtypeRows(); }
    void adam();
    void optimizerStateFlushesSubnormals_data() { addDtypeRows(); }
    void optimizerStateFlushesSubnormals();
    void optimizerErrors();

    void dtypeMismatchThrows();
};

// ---- memory and GEMM --------------------------------------------------------------------------

void TestCpuBackend::memory() {
    LOOM_FETCH_DTYPE;
    Tensor t = cpu().allocate({2, 3}, dt);
    QCOMPARE(t.shape(), (Shape{2, 3}));
    QCOMPARE(t.dtype(), dt);
    QCOMPARE(t.device(), Device::cpu());
    cpu().fill(t, 2.5);
    for (int64_t i = 0; i < t.numel(); ++i) {
        QCOMPARE(t.at(i), 2.5);
    }
    Tensor src = randomTensor({3, 2}, dt, 7);
    cpu().copy(src, t);  // same size, other shape
    LOOM_VERIFY_CLOSE(t.reshape({3, 2}), src, 0.0, 0.0);
    Tensor other = cpu().allocate({6}, dt == DType::F32 ? DType::F64 : DType::F32);
    cpu().copy(src, other);  // converts the element type
    LOOM_VERIFY_CLOSE(other.reshape({3, 2}).to(dt), src, 1e-7, 1e-7);
    Tensor wrong = cpu().allocate({5}, dt);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().copy(src, wrong));
}

void TestCpuBackend::gemm() {
    LOOM_FETCH_DTYPE;
    // Small, and big enough to be split over the cores by columns (n >= m) and by rows.
    for (auto [m, k, n] :
         std::vector<std::array<int64_t, 3>>{{3, 4, 5}, {70, 90, 200}, {200, 90, 70}}) {
        for (bool transA : {false, true}) {
            for (bool transB : {false, true}) {
                Tensor a = randomTensor(transA ? Shape{k, m} : Shape{m, k}, dt, 1);
                Tensor b = randomTensor(transB ? Shape{n, k} : Shape{k, n}, dt, 2);
                Tensor c = randomTensor({m, n}, dt, 3);
                Tensor a64 = a.to(DType::F64), b64 = b.to(DType::F64);
                const double *pa = a64.data<double>(), *pb = b64.data<double>();
                Tensor expected = Tensor::zeros({m, n}, DType::F64);
                for (int64_t i = 0; i < m; ++i) {
                    for (int64_t j = 0; j < n; ++j) {
                        double s = 0;
                        for (int64_t l = 0; l < k; ++l) {
                            s += pa[transA ? l * m + i : i * k + l] *
                                 pb[transB ? j * k + l : l * n + j];
                        }
                        expected.set(i * n + j, 1.5 * s + 0.5 * c.at(i * n + j));
                    }
                }
                cpu().gemm(transA, transB, 1.5, a, b, 0.5, c);
                double tol = dt == DType::F32 ? 1e-4 : 1e-12;
                LOOM_VERIFY_CLOSE(c.to(DType::F64), expected, tol, tol);
            }
        }
    }
    // beta 0 ignores what C held, NaN included.
    Tensor a = randomTensor({2, 3}, dt, 4), b = randomTensor({3, 2}, dt, 5);
    Tensor c = Tensor::full({2, 2}, NAN, dt);
    cpu().gemm(false, false, 1.0, a, b, 0.0, c);
    QCOMPARE(cpu().countNonFinite(c), int64_t(0));
    // An empty inner dimension leaves beta * C.
    Tensor a0 = cpu().allocate({2, 0}, dt), b0 = cpu().allocate({0, 2}, dt);
    Tensor c0 = Tensor::full({2, 2}, 3.0, dt);
    cpu().gemm(false, false, 1.0, a0, b0, 0.5, c0);
    QCOMPARE(c0.at(3), 1.5);
}

void TestCpuBackend::gemmShapeErrors() {
    Tensor a = Tensor::zeros({3, 4}), b = Tensor::zeros({5, 2}), c = Tensor::zeros({3, 2});
    try {
        cpu().gemm(false, false, 1.0, a, b, 0.0, c);
        QFAIL("gemm with mismatched inner dimensions did not throw");
    } catch (const ShapeError& e) {
        QString message = e.what();
        QVERIFY2(
            message.contains("gemm") && message.contains("(3, 4)") && message.contains("(5, 2)"),
            e.what());
    }
    Tensor wrongC = Tensor::zeros({3, 3});
    Tensor b2 = Tensor::zeros({4, 2});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().gemm(false, false, 1.0, a, b2, 0.0, wrongC));
    Tensor vector = Tensor::zeros({4});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().gemm(false, false, 1.0, a, vector, 0.0, c));
}

// ---- convolution --------------------------------------------------------------------------------

void TestCpuBackend::conv2dForward_data() {
    addDtypeColumn();
    QTest::addColumn<int>("index");
    for (DType dt : {DType::F32, DType::F64}) {
        for (size_t i = 0; i < convCases().size(); ++i) {
            QTest::addRow("%s %s", dtypeName(dt), convCases()[i].name) << int(dt) << int(i);
        }
    }
}

void TestCpuBackend::conv2dForward() {
    LOOM_FETCH_DTYPE;
    QFETCH(int, index);
    const ConvCase& c = convCases()[size_t(index)];
    Tensor x = randomTensor(c.x, dt, 11), w = randomTensor(c.w, dt, 12);
    Tensor y = cpu().allocate(c.g.outputShape(c.x, c.w), dt);
    cpu().fill(y, NAN);  // every output cell must be written
    cpu().conv2dForward(x, w, c.g, y);
    double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    LOOM_VERIFY_CLOSE(y, referenceConv(x, w, c.g), tol, tol);
}

void TestCpuBackend::conv2dBackwardIsAdjoint_data() {
    conv2dForward_data();
}

// Convolution is linear in x and in w, so <conv(x, w), dy> = <x, dx> = <w, dw>: a known-value
// check of both backward ops that holds in either precision.
void TestCpuBackend::conv2dBackwardIsAdjoint() {
    LOOM_FETCH_DTYPE;
    QFETCH(int, index);
    const ConvCase& c = convCases()[size_t(index)];
    Shape out = c.g.outputShape(c.x, c.w);
    Tensor x = randomTensor(c.x, dt, 21), w = randomTensor(c.w, dt, 22);
    Tensor dy = randomTensor(out, dt, 23);
    Tensor y = cpu().allocate(out, dt), dx = Tensor::full(c.x, NAN, dt);
    Tensor dw = Tensor::full(c.w, NAN, dt);
    cpu().conv2dForward(x, w, c.g, y);
    cpu().conv2dBackwardData(dy, w, c.g, dx);
    cpu().conv2dBackwardFilter(x, dy, c.g, dw);
    double expected = dot(y, dy);
    double tol = (dt == DType::F32 ? 1e-4 : 1e-11) * std::max(1.0, std::abs(expected));
    QVERIFY2(std::abs(dot(x, dx) - expected) <= tol,
             qPrintable(QString("<x,dx> %1 vs <y,dy> %2").arg(dot(x, dx)).arg(expected)));
    QVERIFY2(std::abs(dot(w, dw) - expected) <= tol,
             qPrintable(QString("<w,dw> %1 vs <y,dy> %2").arg(dot(w, dw)).arg(expected)));
}

void TestCpuBackend::conv2dGradients_data() {
    QTest::addColumn<int>("index");
    for (size_t i = 0; i < convCases().size(); ++i) {
        if (!convCases()[i].big) {
            QTest::addRow("%s", convCases()[i].name) << int(i);
        }
    }
}

// L = sum(r * conv(x, w)); dL/dx = backwardData(r), dL/dw = backwardFilter(r).
void TestCpuBackend::conv2dGradients() {
    QFETCH(int, index);
    const ConvCase& c = convCases()[size_t(index)];
    const DType dt = DType::F64;
    Shape out = c.g.outputShape(c.x, c.w);
    Tensor x = randomTensor(c.x, dt, 31), w = randomTensor(c.w, dt, 32);
    Tensor r = randomTensor(out, dt, 33), y = cpu().allocate(out, dt);
    auto loss = [&] {
        cpu().conv2dForward(x, w, c.g, y);
        return dot(y, r);
    };
    Tensor dx = cpu().allocate(c.x, dt), dw = cpu().allocate(c.w, dt);
    cpu().conv2dBackwardData(r, w, c.g, dx);
    cpu().conv2dBackwardFilter(x, r, c.g, dw);
    LOOM_VERIFY_CLOSE(dx, numericGradient(x, loss), kGradientTolerance, kGradientTolerance);
    LOOM_VERIFY_CLOSE(dw, numericGradient(w, loss), kGradientTolerance, kGradientTolerance);
}

void TestCpuBackend::conv2dShapeErrors() {
    Conv2DGeometry g;
    Tensor x = Tensor::zeros({2, 3, 8, 8}), w = Tensor::zeros({4, 3, 3, 3});
    Tensor wrongY = Tensor::zeros({2, 4, 8, 8});
    try {
        cpu().conv2dForward(x, w, g, wrongY);
        QFAIL("conv2dForward into a wrongly shaped output did not throw");
    } catch (const ShapeError& e) {
        QString message = e.what();
        QVERIFY2(message.contains("conv2dForward") && message.contains("(2, 4, 8, 8)") &&
                     message.contains("(2, 4, 6, 6)"),
                 e.what());
    }
    Tensor wrongChannels = Tensor::zeros({4, 2, 3, 3}), y = Tensor::zeros({2, 4, 6, 6});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().conv2dForward(x, wrongChannels, g, y));
    Tensor dx = Tensor::zeros({2, 3, 8, 8}), dw = Tensor::zeros({4, 3, 3, 3});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().conv2dBackwardData(wrongY, w, g, dx));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().conv2dBackwardFilter(x, wrongY, g, dw));
    Tensor big = Tensor::zeros({4, 3, 9, 9});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().conv2dForward(x, big, g, y));
    // Groups must divide the filters, and the channels must be groups x the filter's.
    Conv2DGeometry three{.groups = 3}, two{.groups = 2};
    Tensor depthwise = Tensor::zeros({3, 1, 3, 3}), depthwiseY = Tensor::zeros({2, 3, 6, 6});
    cpu().conv2dForward(x, depthwise, three, depthwiseY);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().conv2dForward(x, depthwise, two, depthwiseY));
    Tensor fourFilters = Tensor::zeros({4, 1, 3, 3});
    try {
        cpu().conv2dForward(x, fourFilters, three, y);
        QFAIL("4 filters in 3 groups did not throw");
    } catch (const ShapeError& e) {
        QVERIFY2(QString(e.what()).contains("3 groups"), e.what());
    }
}

// ---- pooling and padding --------------------------------------------------------------------

void TestCpuBackend::pool2dForward_data() {
    addDtypeColumn();
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("mode");
    for (DType dt : {DType::F32, DType::F64}) {
        for (PoolMode mode :
             {PoolMode::Max, PoolMode::AverageExcludePadding, PoolMode::AverageIncludePadding}) {
            for (size_t i = 0; i < poolCases().size(); ++i) {
                QTest::addRow("%s %s %s", dtypeName(dt), poolModeName(mode), poolCases()[i].name)
                    << int(dt) << int(i) << int(mode);
            }
        }
    }
}

void TestCpuBackend::pool2dForward() {
    LOOM_FETCH_DTYPE;
    QFETCH(int, index);
    QFETCH(int, mode);
    const PoolCase& c = poolCases()[size_t(index)];
    // All negative, so that a padded zero counted as a maximum would show.
    Tensor x = randomTensor(c.x, dt, 41, -2.0, -0.5);
    Tensor y = Tensor::full(c.g.outputShape(c.x), NAN, dt);
    cpu().pool2dForward(PoolMode(mode), x, c.g, y);
    LOOM_VERIFY_CLOSE(y, referencePool(PoolMode(mode), x, c.g), tolerance(dt), tolerance(dt));
}

void TestCpuBackend::pool2dGradients_data() {
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("mode");
    for (PoolMode mode :
         {PoolMode::Max, PoolMode::AverageExcludePadding, PoolMode::AverageIncludePadding}) {
        for (size_t i = 0; i < poolCases().size(); ++i) {
            QTest::addRow("%s %s", poolModeName(mode), poolCases()[i].name) << int(i) << int(mode);
        }
    }
}

// Random inputs have no ties, so max pooling is differentiable where it is sampled.
void TestCpuBackend::pool2dGradients() {
    QFETCH(int, index);
    QFETCH(int, mode);
    const PoolCase& c = poolCases()[size_t(index)];
    const DType dt = DType::F64;
    Shape out = c.g.outputShape(c.x);
    Tensor x = randomTensor(c.x, dt, 51), r = randomTensor(out, dt, 52);
    Tensor y = cpu().allocate(out, dt), dx = cpu().allocate(c.x, dt);
    auto loss = [&] {
        cpu().pool2dForward(PoolMode(mode), x, c.g, y);
        return dot(y, r);
    };
    loss();
    cpu().pool2dBackward(PoolMode(mode), x, y, r, c.g, dx);
    LOOM_VERIFY_CLOSE(dx, numericGradient(x, loss), kGradientTolerance, kGradientTolerance);
}

void TestCpuBackend::maxPoolRoutesToFirstMaximum() {
    LOOM_FETCH_DTYPE;
    // One 2x2 window holding two equal maxima: the first in row-major order takes it all.
    Tensor x = fromValues({1, 1, 2, 2}, dt, {1, 5, 5, 2});
    Tensor y = cpu().allocate({1, 1, 1, 1}, dt), dx = cpu().allocate({1, 1, 2, 2}, dt);
    Tensor dy = fromValues({1, 1, 1, 1}, dt, {3});
    Pool2DGeometry g;
    cpu().pool2dForward(PoolMode::Max, x, g, y);
    QCOMPARE(y.at(0), 5.0);
    cpu().pool2dBackward(PoolMode::Max, x, y, dy, g, dx);
    LOOM_VERIFY_CLOSE(dx, fromValues({1, 1, 2, 2}, dt, {0, 3, 0, 0}), 0.0, 0.0);
    // Overlapping 2x2 windows with stride 1 both pick the shared 9: its gradients add up.
    Tensor x2 = fromValues({1, 1, 2, 3}, dt, {1, 9, 2, 3, 4, 5});
    Pool2DGeometry overlap{.strideH = 1, .strideW = 1};
    Tensor y2 = cpu().allocate({1, 1, 1, 2}, dt), dx2 = cpu().allocate({1, 1, 2, 3}, dt);
    cpu().pool2dForward(PoolMode::Max, x2, overlap, y2);
    cpu().pool2dBackward(PoolMode::Max, x2, y2, fromValues({1, 1, 1, 2}, dt, {1, 2}), overlap, dx2);
    LOOM_VERIFY_CLOSE(dx2, fromValues({1, 1, 2, 3}, dt, {0, 3, 0, 0, 0, 0}), 0.0, 0.0);
}

// A NaN in a window is its maximum (so a broken activation is not hidden) and takes the
// window's gradient, for the 2x2 fast path and the general one.
void TestCpuBackend::maxPoolPropagatesNan() {
    LOOM_FETCH_DTYPE;
    Tensor x = fromValues({1, 1, 2, 4}, dt, {1, 7, NAN, 2, 3, NAN, 0, 1});
    Pool2DGeometry twoByTwo;
    Pool2DGeometry general{.kernelH = 2, .kernelW = 3, .strideH = 1, .strideW = 1};
    for (const Pool2DGeometry& g : {twoByTwo, general}) {
        Shape out = g.outputShape(x.shape());
        Tensor y = cpu().allocate(out, dt), dx = cpu().allocate(x.shape(), dt);
        cpu().pool2dForward(PoolMode::Max, x, g, y);
        QCOMPARE(cpu().countNonFinite(y), y.numel());
        cpu().pool2dBackward(PoolMode::Max, x, y, Tensor::full(out, 1.0, dt), g, dx);
        // Every window's gradient goes to its first NaN, and only there.
        double routed = dx.at(2) + dx.at(5);
        QCOMPARE(routed, double(y.numel()));
        QCOMPARE(dx.at(0) + dx.at(1) + dx.at(3) + dx.at(4) + dx.at(6) + dx.at(7), 0.0);
    }
}

void TestCpuBackend::globalAveragePool() {
    LOOM_FETCH_DTYPE;
    Tensor x = fromValues({2, 2, 2, 2}, dt, {1, 2, 3, 4, 0, 0, 0, 8, -1, -1, -1, -1, 2, 4, 6, 8});
    Tensor expected = fromValues({2, 2}, dt, {2.5, 2, -1, 5});
    for (Shape outShape : {Shape{2, 2}, Shape{2, 2, 1, 1}}) {
        Tensor y = cpu().allocate(outShape, dt);
        cpu().globalAveragePoolForward(x, y);
        LOOM_VERIFY_CLOSE(y.reshape({2, 2}), expected, tolerance(dt), 0.0);
        Tensor dy = fromValues({2, 2}, dt, {4, 8, -4, 0}).reshape(outShape);
        Tensor dx = cpu().allocate(x.shape(), dt);
        cpu().globalAveragePoolBackward(dy, dx);
        LOOM_VERIFY_CLOSE(
            dx, fromValues(x.shape(), dt, {1, 1, 1, 1, 2, 2, 2, 2, -1, -1, -1, -1, 0, 0, 0, 0}),
            tolerance(dt), 0.0);
    }
    Tensor wrong = cpu().allocate({2, 3}, dt);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().globalAveragePoolForward(x, wrong));
}

void TestCpuBackend::pad2d() {
    LOOM_FETCH_DTYPE;
    Tensor x = fromValues({1, 1, 2, 2}, dt, {1, 2, 3, 4});
    Padding2D p{.top = 1, .bottom = 0, .left = 2, .right = 1};
    Tensor y = Tensor::full({1, 1, 3, 5}, NAN, dt);
    cpu().pad2dForward(x, p, y);
    LOOM_VERIFY_CLOSE(
        y, fromValues({1, 1, 3, 5}, dt, {0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0}), 0.0, 0.0);
    Tensor dy = randomTensor({1, 1, 3, 5}, dt, 61), dx = cpu().allocate({1, 1, 2, 2}, dt);
    cpu().pad2dBackward(dy, p, dx);
    LOOM_VERIFY_CLOSE(dx, fromValues({1, 1, 2, 2}, dt, {dy.at(7), dy.at(8), dy.at(12), dy.at(13)}),
                      0.0, 0.0);
    // A bigger batch: the adjoint identity <pad(x), dy> = <x, dx>.
    Tensor xb = randomTensor({3, 2, 4, 5}, dt, 62), yb = cpu().allocate({3, 2, 5, 8}, dt);
    Tensor dyb = randomTensor({3, 2, 5, 8}, dt, 63), dxb = cpu().allocate({3, 2, 4, 5}, dt);
    cpu().pad2dForward(xb, p, yb);
    cpu().pad2dBackward(dyb, p, dxb);
    QVERIFY(std::abs(dot(yb, dyb) - dot(xb, dxb)) < 1e-4);
}

void TestCpuBackend::poolShapeErrors() {
    Tensor x = Tensor::zeros({1, 2, 6, 6}), wrong = Tensor::zeros({1, 2, 2, 2});
    try {
        cpu().pool2dForward(PoolMode::Max, x, Pool2DGeometry{}, wrong);
        QFAIL("pool2dForward into a wrongly shaped output did not throw");
    } catch (const ShapeError& e) {
        QString message = e.what();
        QVERIFY2(message.contains("pool2dForward") && message.contains("(1, 2, 2, 2)") &&
                     message.contains("(1, 2, 3, 3)"),
                 e.what());
    }
    Tensor y = Tensor::zeros({1, 2, 3, 3}), dxWrong = Tensor::zeros({1, 2, 6, 5});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().pool2dBackward(PoolMode::Max, x, y, y, {}, dxWrong));
    Tensor padWrong = Tensor::zeros({1, 2, 7, 7});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().pad2dForward(x, {.top = 1}, padWrong));
}

// ---- activations ----------------------------------------------------------------------------

namespace {

struct ActivationCase {
    const char* name;
    ActivationKind kind;
    double alpha;
};

const std::vector<ActivationCase>& activationCases() {
    static const std::vector<ActivationCase> cases = {
        {"linear", ActivationKind::Linear, 0.0},
        {"relu", ActivationKind::Relu, 0.0},
        {"leaky_relu 0.3", ActivationKind::LeakyRelu, 0.3},
        {"relu6", ActivationKind::ClippedRelu, 6.0},
        {"clipped relu 0.5", ActivationKind::ClippedRelu, 0.5},
        {"elu 1", ActivationKind::Elu, 1.0},
        {"elu 0.5", ActivationKind::Elu, 0.5},
        {"sigmoid", ActivationKind::Sigmoid, 0.0},
        {"tanh", ActivationKind::Tanh, 0.0},
    };
    return cases;
}

// Softmax along axis 1 of [N, C, inner...] in double, the textbook way.
Tensor referenceSoftmax(const Tensor& x) {
    Tensor y = Tensor::zeros(x.shape(), DType::F64);
    const int64_t n = x.dim(0), c = x.dim(1), inner = x.numel() / std::max<int64_t>(n * c, 1);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < inner; ++j) {
            auto at = [&](int64_t k) { return (i * c + k) * inner + j; };
            double m = x.at(at(0)), sum = 0;
            for (int64_t k = 1; k < c; ++k) {
                m = std::max(m, x.at(at(k)));
            }
            for (int64_t k = 0; k < c; ++k) {
                sum += std::exp(x.at(at(k)) - m);
            }
            for (int64_t k = 0; k < c; ++k) {
                y.set(at(k), std::exp(x.at(at(k)) - m) / sum);
            }
        }
    }
    return y;
}

// Checks activationBackward against central differences of sum(r * f(x)) (float64).
void checkActivationGradient(ActivationKind kind, double alpha, Tensor x) {
    Tensor r = randomTensor(x.shape(), DType::F64, 77);
    Tensor y = cpu().allocate(x.shape(), DType::F64), dx = cpu().allocate(x.shape(), DType::F64);
    auto loss = [&] {
        cpu().activationForward(kind, alpha, x, y);
        return dot(y, r);
    };
    loss();
    cpu().activationBackward(kind, alpha, x, y, r, dx);
    std::string why;
    QVERIFY2(allClose(dx, numericGradient(x, loss), kGradientTolerance, kGradientTolerance, &why),
             (std::string(activationName(kind)) + ": " + why).c_str());
}

}  // namespace

void TestCpuBackend::activationForward_data() {
    addDtypeColumn();
    QTest::addColumn<int>("index");
    for (DType dt : {DType::F32, DType::F64}) {
        for (size_t i = 0; i < activationCases().size(); ++i) {
            QTest::addRow("%s %s", dtypeName(dt), activationCases()[i].name) << int(dt) << int(i);
        }
    }
}

void TestCpuBackend::activationForward() {
    LOOM_FETCH_DTYPE;
    QFETCH(int, index);
    const ActivationCase& c = activationCases()[size_t(index)];
    Tensor x = randomTensor({3, 4, 5}, dt, 71, -3.0, 3.0);
    Tensor expected = Tensor::zeros(x.shape(), DType::F64);
    for (int64_t i = 0; i < x.numel(); ++i) {
        expected.set(i, activationValue(c.kind, c.alpha, x.at(i)));
    }
    Tensor y = cpu().allocate(x.shape(), dt);
    cpu().activationForward(c.kind, c.alpha, x, y);
    LOOM_VERIFY_CLOSE(y.to(DType::F64), expected, tolerance(dt), tolerance(dt));
    cpu().activationForward(c.kind, c.alpha, x, x);  // in place
    LOOM_VERIFY_CLOSE(x, y, 0.0, 0.0);
    Tensor wrong = cpu().allocate({3, 20}, dt);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().activationForward(c.kind, c.alpha, x, wrong));
}

void TestCpuBackend::activationGradients_data() {
    QTest::addColumn<int>("index");
    for (size_t i = 0; i < activationCases().size(); ++i) {
        QTest::addRow("%s", activationCases()[i].name) << int(i);
    }
}

void TestCpuBackend::activationGradients() {
    QFETCH(int, index);
    const ActivationCase& c = activationCases()[size_t(index)];
    checkActivationGradient(c.kind, c.alpha, awayFromZero({2, 3, 4}, DType::F64, 72));
}

// A NaN must reach the next layer (and the trainer's non-finite check) through every
// activation, never turn into a clean 0.
void TestCpuBackend::activationsPropagateNan() {
    LOOM_FETCH_DTYPE;
    Tensor x = fromValues({2, 3}, dt, {NAN, -1, 2, 0.5, NAN, -3});
    Tensor y = cpu().allocate(x.shape(), dt);
    for (const ActivationCase& c : activationCases()) {
        cpu().activationForward(c.kind, c.alpha, x, y);
        QVERIFY2(std::isnan(y.at(0)) && std::isnan(y.at(4)), c.name);
        QVERIFY2(!std::isnan(y.at(1)) && !std::isnan(y.at(2)), c.name);
    }
    cpu().activationForward(ActivationKind::Softmax, 0.0, x, y);
    QCOMPARE(cpu().countNonFinite(y), int64_t(6));  // both rows hold a NaN
}

void TestCpuBackend::sigmoidIsStableForLargeInputs() {
    LOOM_FETCH_DTYPE;
    Tensor x = fromValues({5}, dt, {-1000, -50, 0, 50, 1000});
    Tensor y = cpu().allocate({5}, dt);
    cpu().activationForward(ActivationKind::Sigmoid, 0.0, x, y);
    QCOMPARE(cpu().countNonFinite(y), int64_t(0));
    QCOMPARE(y.at(0), 0.0);
    QVERIFY(std::abs(y.at(1) - std::exp(-50.0)) <= 1e-6 * std::exp(-50.0));
    QCOMPARE(y.at(2), 0.5);
    QCOMPARE(y.at(4), 1.0);
    Tensor dy = Tensor::full({5}, 1.0, dt), dx = cpu().allocate({5}, dt);
    cpu().activationBackward(ActivationKind::Sigmoid, 0.0, x, y, dy, dx);
    QCOMPARE(cpu().countNonFinite(dx), int64_t(0));
    QCOMPARE(dx.at(2), 0.25);
}

void TestCpuBackend::softmaxRows() {
    LOOM_FETCH_DTYPE;
    Tensor x = randomTensor({4, 5}, dt, 73, -10.0, 10.0);
    for (int64_t j = 0; j < 5; ++j) {
        x.set(15 + j, 1000.0 + j);  // would overflow exp without the max subtraction
    }
    Tensor y = cpu().allocate(x.shape(), dt);
    cpu().activationForward(ActivationKind::Softmax, 0.0, x, y);
    QCOMPARE(cpu().countNonFinite(y), int64_t(0));
    LOOM_VERIFY_CLOSE(y.to(DType::F64), referenceSoftmax(x.to(DType::F64)), tolerance(dt),
                      tolerance(dt));
    for (int64_t i = 0; i < 4; ++i) {
        double sum = 0;
        for (int64_t j = 0; j < 5; ++j) {
            sum += y.at(i * 5 + j);
        }
        QVERIFY(std::abs(sum - 1.0) < 10 * tolerance(dt));
    }
}

void TestCpuBackend::softmaxOverChannelsOfImages() {
    LOOM_FETCH_DTYPE;
    Tensor x = randomTensor({2, 3, 2, 2}, dt, 74, -4.0, 4.0);
    Tensor y = cpu().allocate(x.shape(), dt);
    cpu().activationForward(ActivationKind::Softmax, 0.0, x, y);
    LOOM_VERIFY_CLOSE(y.to(DType::F64), referenceSoftmax(x.to(DType::F64)), tolerance(dt),
                      tolerance(dt));
    // At image 1, cell (0, 1): the three channels sum to 1.
    double sum = y.at(12 + 1) + y.at(16 + 1) + y.at(20 + 1);
    QVERIFY(std::abs(sum - 1.0) < 10 * tolerance(dt));
}

void TestCpuBackend::softmaxGradients() {
    checkActivationGradient(ActivationKind::Softmax, 0.0,
                            randomTensor({3, 4}, DType::F64, 75, -2.0, 2.0));
    checkActivationGradient(ActivationKind::Softmax, 0.0,
                            randomTensor({2, 3, 2, 2}, DType::F64, 76, -2.0, 2.0));
}

// ---- batch normalisation --------------------------------------------------------------------

namespace {

// Per-channel mean and biased variance of [N, C, inner...], in double.
void channelStats(const Tensor& x, std::vector<double>& mean, std::vector<double>& var) {
    const int64_t n = x.dim(0), c = x.dim(1), inner = x.numel() / (n * c);
    mean.assign(size_t(c), 0.0);
    var.assign(size_t(c), 0.0);
    for (int pass = 0; pass < 2; ++pass) {
        for (int64_t i = 0; i < x.numel(); ++i) {
            size_t ch = size_t(i / inner % c);
            double v = x.at(i);
            if (pass == 0) {
                mean[ch] += v / double(n * inner);
            } else {
                var[ch] += (v - mean[ch]) * (v - mean[ch]) / double(n * inner);
            }
        }
    }
}

}  // namespace

void TestCpuBackend::batchNormTraining() {
    LOOM_FETCH_DTYPE;
    for (Shape shape : {Shape{4, 3, 2, 2}, Shape{6, 3}}) {
        const int64_t m = shape.numel() / 3;
        const double momentum = 0.9, eps = 1e-3;
        Tensor x = randomTensor(shape, dt, 81, -1.0, 3.0);
        Tensor gamma = fromValues({3}, dt, {2, -1, 0.5}),
               beta = fromValues({3}, dt, {0.1, 0.2, -0.3});
        Tensor runningMean = Tensor::full({3}, 0.5, dt), runningVar = Tensor::full({3}, 2.0, dt);
        Tensor y = cpu().allocate(shape, dt);
        Tensor savedMean = cpu().allocate({3}, dt), savedInvStd = cpu().allocate({3}, dt);
        cpu().batchNormForwardTraining(x, gamma, beta, momentum, eps, runningMean, runningVar, y,
                                       savedMean, savedInvStd);
        std::vector<double> mean, var;
        channelStats(x, mean, var);
        Tensor expected = Tensor::zeros(shape, DType::F64);
        const int64_t inner = shape.numel() / (shape[0] * 3);
        for (int64_t i = 0; i < x.numel(); ++i) {
            size_t c = size_t(i / inner % 3);
            expected.set(i, gamma.at(int64_t(c)) * (x.at(i) - mean[c]) / std::sqrt(var[c] + eps) +
                                beta.at(int64_t(c)));
        }
        LOOM_VERIFY_CLOSE(y.to(DType::F64), expected, 10 * tolerance(dt), 10 * tolerance(dt));
        for (int64_t c = 0; c < 3; ++c) {
            double unbiased = var[size_t(c)] * double(m) / double(m - 1);
            QVERIFY(std::abs(runningMean.at(c) - (0.9 * 0.5 + 0.1 * mean[size_t(c)])) < 1e-6);
            QVERIFY(std::abs(runningVar.at(c) - (0.9 * 2.0 + 0.1 * unbiased)) < 1e-6);
            QVERIFY(std::abs(savedMean.at(c) - mean[size_t(c)]) < 1e-6);
            QVERIFY(std::abs(savedInvStd.at(c) - 1 / std::sqrt(var[size_t(c)] + eps)) < 1e-5);
        }
        // With gamma 1 and beta 0 the output has mean 0 and variance var / (var + eps).
        cpu().fill(gamma, 1.0);
        cpu().fill(beta, 0.0);
        cpu().batchNormForwardTraining(x, gamma, beta, momentum, eps, runningMean, runningVar, y,
                                       savedMean, savedInvStd);
        std::vector<double> yMean, yVar;
        channelStats(y, yMean, yVar);
        for (size_t c = 0; c < 3; ++c) {
            QVERIFY(std::abs(yMean[c]) < 1e-5);
            QVERIFY(std::abs(yVar[c] - var[c] / (var[c] + eps)) < 1e-5);
        }
    }
}

void TestCpuBackend::batchNormInference() {
    LOOM_FETCH_DTYPE;
    Tensor x = randomTensor({2, 2, 3, 1}, dt, 82, -2.0, 2.0);
    Tensor gamma = fromValues({2}, dt, {1.5, -2}), beta = fromValues({2}, dt, {0.25, 1});
    Tensor mean = fromValues({2}, dt, {0.5, -1}), var = fromValues({2}, dt, {4, 0.25});
    Tensor y = cpu().allocate(x.shape(), dt);
    cpu().batchNormForwardInference(x, gamma, beta, mean, var, 1e-3, y);
    Tensor expected = Tensor::zeros(x.shape(), DType::F64);
    for (int64_t i = 0; i < x.numel(); ++i) {
        int64_t c = i / 3 % 2;
        expected.set(
            i, gamma.at(c) * (x.at(i) - mean.at(c)) / std::sqrt(var.at(c) + 1e-3) + beta.at(c));
    }
    LOOM_VERIFY_CLOSE(y.to(DType::F64), expected, tolerance(dt), tolerance(dt));
    Tensor wrongGamma = fromValues({3}, dt, {1, 1, 1});
    QVERIFY_THROWS_EXCEPTION(
        ShapeError, cpu().batchNormForwardInference(x, wrongGamma, beta, mean, var, 1e-3, y));
}

void TestCpuBackend::batchNormGradients_data() {
    QTest::addColumn<Shape>("shape");
    QTest::newRow("dense [5,3]") << Shape{5, 3};
    QTest::newRow("images [3,2,2,3]") << Shape{3, 2, 2, 3};
}

// L = sum(r * bn(x; gamma, beta)) with batch statistics; gradients to x, gamma and beta.
void TestCpuBackend::batchNormGradients() {
    QFETCH(Shape, shape);
    const DType dt = DType::F64;
    const int64_t c = shape[1];
    Tensor x = randomTensor(shape, dt, 83, -1.0, 2.0), r = randomTensor(shape, dt, 84);
    Tensor gamma = randomTensor({c}, dt, 85, 0.5, 1.5), beta = randomTensor({c}, dt, 86);
    Tensor rm = Tensor::zeros({c}, dt), rv = Tensor::full({c}, 1.0, dt);
    Tensor y = cpu().allocate(shape, dt), sm = cpu().allocate({c}, dt),
           si = cpu().allocate({c}, dt);
    auto loss = [&] {
        cpu().batchNormForwardTraining(x, gamma, beta, 0.99, 1e-3, rm, rv, y, sm, si);
        return dot(y, r);
    };
    loss();
    Tensor dx = cpu().allocate(shape, dt), dgamma = cpu().allocate({c}, dt);
    Tensor dbeta = cpu().allocate({c}, dt);
    cpu().batchNormBackward(x, r, gamma, sm, si, dx, dgamma, dbeta);
    LOOM_VERIFY_CLOSE(dx, numericGradient(x, loss), 1e-6, 1e-6);
    LOOM_VERIFY_CLOSE(dgamma, numericGradient(gamma, loss), 1e-6, 1e-6);
    LOOM_VERIFY_CLOSE(dbeta, numericGradient(beta, loss), 1e-6, 1e-6);
}

// ---- dropout --------------------------------------------------------------------------------

void TestCpuBackend::dropout() {
    LOOM_FETCH_DTYPE;
    const int64_t n = 100000;
    const double rate = 0.3;
    Tensor x = randomTensor({100, 1000}, dt, 91, 0.5, 1.5);
    Tensor mask = cpu().allocate(x.shape(), dt), y = cpu().allocate(x.shape(), dt);
    cpu().dropoutForward(x, rate, 1234, 5000, mask, y);
    int64_t dropped = 0;
    const double scale = 1.0 / (1.0 - rate);
    for (int64_t i = 0; i < n; ++i) {
        bool expectDrop = counterUniform(1234, 5000 + uint64_t(i)) < rate;
        QCOMPARE(mask.at(i) == 0.0, expectDrop);
        dropped += expectDrop ? 1 : 0;
        double expected = expectDrop ? 0.0 : x.at(i) * scale;
        QVERIFY(std::abs(y.at(i) - expected) <= tolerance(dt) * 2);
        QVERIFY(expectDrop || std::abs(mask.at(i) - scale) <= tolerance(dt));
    }
    // 100000 draws: the dropped fraction is within 5 standard deviations (0.007) of the rate.
    QVERIFY2(std::abs(double(dropped) / double(n) - rate) < 0.007,
             qPrintable(QString("dropped %1 of %2").arg(dropped).arg(n)));
    // Same seed and offset: the same mask; another offset or seed: another one.
    Tensor mask2 = cpu().allocate(x.shape(), dt), y2 = cpu().allocate(x.shape(), dt);
    cpu().dropoutForward(x, rate, 1234, 5000, mask2, y2);
    LOOM_VERIFY_CLOSE(mask2, mask, 0.0, 0.0);
    cpu().dropoutForward(x, rate, 1234, 5000 + uint64_t(n), mask2, y2);
    std::string why;
    QVERIFY(!allClose(mask2, mask, 0.0, 0.0, &why));
    cpu().dropoutForward(x, rate, 99, 5000, mask2, y2);
    QVERIFY(!allClose(mask2, mask, 0.0, 0.0, &why));
    // Inverted dropout keeps the expected value: the mean of y is close to the mean of x.
    double meanX = 0, meanY = 0;
    for (int64_t i = 0; i < n; ++i) {
        meanX += x.at(i) / double(n);
        meanY += y.at(i) / double(n);
    }
    QVERIFY(std::abs(meanY - meanX) < 0.02);
}

void TestCpuBackend::dropoutEdgeRates() {
    Tensor x = randomTensor({3, 4}, DType::F32, 92);
    Tensor mask = cpu().allocate(x.shape()), y = cpu().allocate(x.shape());
    cpu().dropoutForward(x, 0.0, 1, 0, mask, y);
    LOOM_VERIFY_CLOSE(y, x, 0.0, 0.0);
    cpu().dropoutForward(x, 1.0, 1, 0, mask, y);
    LOOM_VERIFY_CLOSE(y, Tensor::zeros(x.shape()), 0.0, 0.0);
    QVERIFY_THROWS_EXCEPTION(ConfigError, cpu().dropoutForward(x, 1.5, 1, 0, mask, y));
    Tensor wrong = cpu().allocate({4, 3});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().dropoutForward(x, 0.5, 1, 0, wrong, y));
}

// ---- element-wise, reductions, bias, concat -----------------------------------------------

void TestCpuBackend::elementwise() {
    LOOM_FETCH_DTYPE;
    Tensor a = fromValues({2, 2}, dt, {1, -2, 3, 0.5}), b = fromValues({2, 2}, dt, {4, 5, -6, 2});
    Tensor y = cpu().allocate({2, 2}, dt);
    cpu().add(a, b, y);
    LOOM_VERIFY_CLOSE(y, fromValues({2, 2}, dt, {5, 3, -3, 2.5}), 0.0, 0.0);
    cpu().multiply(a, b, y);
    LOOM_VERIFY_CLOSE(y, fromValues({2, 2}, dt, {4, -10, -18, 1}), 0.0, 0.0);
    Tensor z = b.clone();
    cpu().axpby(2.0, a, -1.0, z);  // 2a - b
    LOOM_VERIFY_CLOSE(z, fromValues({2, 2}, dt, {-2, -9, 12, -1}), 0.0, 0.0);
    Tensor nans = Tensor::full({2, 2}, NAN, dt);
    cpu().axpby(0.5, a, 0.0, nans);  // beta 0 ignores the NaNs
    LOOM_VERIFY_CLOSE(nans, fromValues({2, 2}, dt, {0.5, -1, 1.5, 0.25}), 0.0, 0.0);
    cpu().add(a, a, a);  // in place
    LOOM_VERIFY_CLOSE(a, fromValues({2, 2}, dt, {2, -4, 6, 1}), 0.0, 0.0);
    // Large enough to run on every core.
    Tensor big = randomTensor({300000}, dt, 93), bigY = randomTensor({300000}, dt, 94);
    Tensor bigOut = cpu().allocate({300000}, dt);
    cpu().multiply(big, bigY, bigOut);
    QVERIFY(std::abs(bigOut.at(123457) - big.at(123457) * bigY.at(123457)) < tolerance(dt));
    Tensor wrong = cpu().allocate({4}, dt);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().add(a, wrong, y));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().multiply(a, b, wrong));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().axpby(1.0, a, 1.0, wrong));
}

void TestCpuBackend::reductions() {
    LOOM_FETCH_DTYPE;
    Tensor x = randomTensor({1000, 301}, dt, 95);
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
        sum += x.at(i);
        squares += x.at(i) * x.at(i);
    }
    Tensor result = cpu().allocate({1}, dt);
    cpu().sum(x, result);
    QVERIFY(std::abs(result.at(0) - sum) <= tolerance(dt) * std::abs(sum) + 1e-9);
    cpu().sumSquares(x, result);
    QVERIFY(std::abs(result.at(0) - squares) <= tolerance(dt) * squares);
    Tensor small = fromValues({3}, dt, {1, 2, -4});
    cpu().sumSquares(small, result);
    QCOMPARE(result.at(0), 21.0);
    QCOMPARE(cpu().countNonFinite(x), int64_t(0));
    x.set(5, NAN);
    x.set(70000, INFINITY);
    x.set(x.numel() - 1, -INFINITY);
    QCOMPARE(cpu().countNonFinite(x), int64_t(3));
    Tensor wrong = cpu().allocate({2}, dt);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().sum(x, wrong));
}

void TestCpuBackend::bias() {
    LOOM_FETCH_DTYPE;
    Tensor dense = fromValues({2, 3}, dt, {1, 2, 3, 4, 5, 6});
    Tensor b = fromValues({3}, dt, {10, 20, 30});
    cpu().addBias(dense, b);
    LOOM_VERIFY_CLOSE(dense, fromValues({2, 3}, dt, {11, 22, 33, 14, 25, 36}), 0.0, 0.0);
    Tensor db = cpu().allocate({3}, dt);
    cpu().biasBackward(dense, db);
    LOOM_VERIFY_CLOSE(db, fromValues({3}, dt, {25, 47, 69}), 0.0, 0.0);
    Tensor image = Tensor::zeros({2, 2, 1, 3}, dt);
    Tensor b2 = fromValues({2}, dt, {1, -1});
    cpu().addBias(image, b2);
    LOOM_VERIFY_CLOSE(
        image, fromValues({2, 2, 1, 3}, dt, {1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1}), 0.0, 0.0);
    Tensor dy = fromValues({2, 2, 1, 3}, dt, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    Tensor db2 = cpu().allocate({2}, dt);
    cpu().biasBackward(dy, db2);
    LOOM_VERIFY_CLOSE(db2, fromValues({2}, dt, {30, 48}), 0.0, 0.0);
    // Wide dense data runs the column-blocked path on every core.
    Tensor wide = randomTensor({200, 700}, dt, 96), dbWide = cpu().allocate({700}, dt);
    cpu().biasBackward(wide, dbWide);
    double column = 0;
    for (int64_t n = 0; n < 200; ++n) {
        column += wide.at(n * 700 + 699);
    }
    QVERIFY(std::abs(dbWide.at(699) - column) < 1e-4);
    Tensor wrong = cpu().allocate({4}, dt);
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().addBias(dense, wrong));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().biasBackward(dense, wrong));
}

void TestCpuBackend::concatKnownValues() {
    LOOM_FETCH_DTYPE;
    std::vector<Tensor> parts = {fromValues({2, 2}, dt, {1, 2, 3, 4}),
                                 fromValues({2, 1}, dt, {5, 6})};
    Tensor y = cpu().allocate({2, 3}, dt);
    cpu().concat(parts, 1, y);
    LOOM_VERIFY_CLOSE(y, fromValues({2, 3}, dt, {1, 2, 5, 3, 4, 6}), 0.0, 0.0);
    std::vector<Tensor> back = {cpu().allocate({2, 2}, dt), cpu().allocate({2, 1}, dt)};
    cpu().split(y, 1, back);
    LOOM_VERIFY_CLOSE(back[0], parts[0], 0.0, 0.0);
    LOOM_VERIFY_CLOSE(back[1], parts[1], 0.0, 0.0);
}

void TestCpuBackend::concatSplitRoundTrip_data() {
    addDtypeColumn();
    QTest::addColumn<int>("axis");
    for (DType dt : {DType::F32, DType::F64}) {
        for (int axis : {1, 2, 3}) {
            QTest::addRow("%s axis %d", dtypeName(dt), axis) << int(dt) << axis;
        }
    }
}

void TestCpuBackend::concatSplitRoundTrip() {
    LOOM_FETCH_DTYPE;
    QFETCH(int, axis);
    std::vector<int64_t> dims = {3, 4, 5, 6};
    std::vector<Tensor> parts;
    int64_t total = 0;
    for (int64_t extent : {2, 1, 3}) {
        dims[size_t(axis)] = extent;
        parts.push_back(randomTensor(Shape(dims), dt, 97 + uint64_t(extent)));
        total += extent;
    }
    dims[size_t(axis)] = total;
    Tensor y = cpu().allocate(Shape(dims), dt);
    cpu().concat(parts, axis, y);
    // Spot check: the first element of part 2 sits where the first two parts end.
    std::vector<int64_t> strides = {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1};
    QCOMPARE(y.at(3 * strides[size_t(axis)]), parts[2].at(0));
    std::vector<Tensor> back;
    for (const Tensor& p : parts) {
        back.push_back(Tensor::full(p.shape(), NAN, dt));
    }
    cpu().split(y, axis, back);
    for (size_t i = 0; i < parts.size(); ++i) {
        LOOM_VERIFY_CLOSE(back[i], parts[i], 0.0, 0.0);
    }
}

void TestCpuBackend::concatShapeErrors() {
    std::vector<Tensor> parts = {Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 2, 4})};
    Tensor y = Tensor::zeros({2, 5, 4});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().concat(parts, 0, y));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().concat(parts, 3, y));
    Tensor tooSmall = Tensor::zeros({2, 4, 4});
    try {
        cpu().concat(parts, 1, tooSmall);
        QFAIL("concat into a too small output did not throw");
    } catch (const ShapeError& e) {
        QVERIFY2(QString(e.what()).contains("concat") && QString(e.what()).contains("(2, 4, 4)"),
                 e.what());
    }
    std::vector<Tensor> mismatched = {Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 2, 5})};
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().concat(mismatched, 1, y));
    std::vector<Tensor> none;
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().split(y, 1, none));
}

// ---- losses -----------------------------------------------------------------------------------

void TestCpuBackend::softmaxCrossEntropyKnownValues() {
    LOOM_FETCH_DTYPE;
    Tensor logits = fromValues({2, 3}, dt, {1, 2, 3, 1, 1, 1});
    Tensor target = fromValues({2, 3}, dt, {0, 0, 1, 0.5, 0.5, 0});
    Tensor loss = scalar(dt), grad = cpu().allocate({2, 3}, dt);
    cpu().softmaxCrossEntropy(logits, target, loss, &grad);
    const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    QVERIFY(std::abs(loss.at(0) - (lse0 - 3 + std::log(3.0)) / 2) < tolerance(dt));
    std::vector<double> expected;
    for (double z : {1.0, 2.0, 3.0}) {
        expected.push_back(std::exp(z - lse0));
    }
    expected[2] -= 1;
    for (double t : {0.5, 0.5, 0.0}) {
        expected.push_back(1.0 / 3.0 - t);
    }
    for (double& e : expected) {
        e /= 2;  // the mean over the batch
    }
    LOOM_VERIFY_CLOSE(grad.to(DType::F64), fromValues({2, 3}, DType::F64, expected), tolerance(dt),
                      tolerance(dt));
    Tensor lossOnly = scalar(dt);
    cpu().softmaxCrossEntropy(logits, target, lossOnly, nullptr);
    QCOMPARE(lossOnly.at(0), loss.at(0));
}

void TestCpuBackend::sparseMatchesOneHot() {
    LOOM_FETCH_DTYPE;
    Tensor logits = randomTensor({3, 4}, dt, 101, -3.0, 3.0);
    Tensor labels = fromValues({3}, dt, {2, 0, 3});
    Tensor oneHot = fromValues({3, 4}, dt, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
    Tensor loss = scalar(dt), grad = cpu().allocate({3, 4}, dt);
    Tensor sparseLoss = scalar(dt), sparseGrad = cpu().allocate({3, 4}, dt);
    cpu().softmaxCrossEntropy(logits, oneHot, loss, &grad);
    cpu().sparseSoftmaxCrossEntropy(logits, labels, sparseLoss, &sparseGrad);
    QVERIFY(std::abs(sparseLoss.at(0) - loss.at(0)) < tolerance(dt));
    LOOM_VERIFY_CLOSE(sparseGrad, grad, tolerance(dt), tolerance(dt));
    // Labels as a column [N, 1] work too.
    cpu().sparseSoftmaxCrossEntropy(logits, labels.reshape({3, 1}), sparseLoss, nullptr);
    QVERIFY(std::abs(sparseLoss.at(0) - loss.at(0)) < tolerance(dt));
}

void TestCpuBackend::probabilityLossesKnownValues() {
    LOOM_FETCH_DTYPE;
    const double tol = 10 * tolerance(dt);
    Tensor loss = scalar(dt);
    // Categorical cross-entropy of probabilities.
    Tensor probs = fromValues({2, 3}, dt, {0.2, 0.3, 0.5, 0.1, 0.1, 0.8});
    Tensor target = fromValues({2, 3}, dt, {0, 1, 0, 0, 0, 1});
    Tensor grad = cpu().allocate({2, 3}, dt);
    cpu().crossEntropy(probs, target, 1e-7, loss, &grad);
    QVERIFY(std::abs(loss.at(0) - (-std::log(0.3) - std::log(0.8)) / 2) < tol);
    LOOM_VERIFY_CLOSE(grad.to(DType::F64),
                      fromValues({2, 3}, DType::F64, {0, -1 / 0.6, 0, 0, 0, -1 / 1.6}), tol, tol);
    // A zero probability for the true class is clipped to eps: finite loss, no gradient.
    Tensor zero = fromValues({1, 2}, dt, {0, 1}), onFirst = fromValues({1, 2}, dt, {1, 0});
    Tensor zeroGrad = cpu().allocate({1, 2}, dt);
    cpu().crossEntropy(zero, onFirst, 1e-7, loss, &zeroGrad);
    QVERIFY(std::abs(loss.at(0) + std::log(1e-7)) < 1e-3);
    QCOMPARE(zeroGrad.at(0), 0.0);
    // Binary cross-entropy of probabilities.
    Tensor p = fromValues({2}, dt, {0.8, 0.4}), t = fromValues({2}, dt, {1, 0});
    Tensor pGrad = cpu().allocate({2}, dt);
    cpu().binaryCrossEntropy(p, t, 1e-7, loss, &pGrad);
    QVERIFY(std::abs(loss.at(0) - (-std::log(0.8) - std::log(0.6)) / 2) < tol);
    LOOM_VERIFY_CLOSE(pGrad.to(DType::F64), fromValues({2}, DType::F64, {-1 / 1.6, 1 / 1.2}), tol,
                      tol);
    // Binary cross-entropy with the sigmoid fused.
    Tensor z = fromValues({3}, dt, {0, 2, -1}), zt = fromValues({3}, dt, {1, 0, 1});
    Tensor zGrad = cpu().allocate({3}, dt);
    cpu().sigmoidBinaryCrossEntropy(z, zt, loss, &zGrad);
    double expected =
        (std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + 1 + std::log1p(std::exp(-1.0))) / 3;
    QVERIFY(std::abs(loss.at(0) - expected) < tol);
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    LOOM_VERIFY_CLOSE(zGrad.to(DType::F64),
                      fromValues({3}, DType::F64, {(0.5 - 1) / 3, sig(2) / 3, (sig(-1) - 1) / 3}),
                      tol, tol);
    // Mean squared error.
    Tensor pred = fromValues({2, 2}, dt, {1, 2, 3, 4}), want = fromValues({2, 2}, dt, {1, 0, 3, 5});
    Tensor mseGrad = cpu().allocate({2, 2}, dt);
    cpu().meanSquaredError(pred, want, loss, &mseGrad);
    QCOMPARE(loss.at(0), 1.25);
    LOOM_VERIFY_CLOSE(mseGrad, fromValues({2, 2}, dt, {0, 1, 0, -0.5}), 0.0, 0.0);
}

void TestCpuBackend::lossesAreStable() {
    for (DType dt : {DType::F32, DType::F64}) {
        Tensor logits = fromValues({1, 3}, dt, {1000, 0, -1000});
        Tensor target = fromValues({1, 3}, dt, {0, 1, 0});
        Tensor loss = scalar(dt), grad = cpu().allocate({1, 3}, dt);
        cpu().softmaxCrossEntropy(logits, target, loss, &grad);
        QVERIFY(std::abs(loss.at(0) - 1000) < 1e-3);
        QCOMPARE(cpu().countNonFinite(grad), int64_t(0));
        Tensor z = fromValues({2}, dt, {1000, -1000}), t = fromValues({2}, dt, {0, 0});
        Tensor zGrad = cpu().allocate({2}, dt);
        cpu().sigmoidBinaryCrossEntropy(z, t, loss, &zGrad);
        QVERIFY(std::abs(loss.at(0) - 500) < 1e-3);
        QCOMPARE(cpu().countNonFinite(zGrad), int64_t(0));
    }
}

// Every loss's gradient against central differences of its value (float64).
void TestCpuBackend::lossGradients() {
    const DType dt = DType::F64;
    Tensor logits = randomTensor({4, 5}, dt, 111, -3.0, 3.0);
    Tensor target = randomTensor({4, 5}, dt, 112, 0.1, 1.0);
    for (int64_t i = 0; i < 4; ++i) {  // rows of a probability distribution
        double s = 0;
        for (int64_t j = 0; j < 5; ++j) {
            s += target.at(i * 5 + j);
        }
        for (int64_t j = 0; j < 5; ++j) {
            target.set(i * 5 + j, target.at(i * 5 + j) / s);
        }
    }
    Tensor probs = randomTensor({4, 5}, dt, 113, 0.05, 0.95);
    Tensor binary = randomTensor({4, 5}, dt, 114, 0.0, 1.0);
    Tensor labels = fromValues({4}, dt, {4, 0, 2, 2});
    Tensor loss = scalar(dt), grad = cpu().allocate({4, 5}, dt);
    // Each loss with the tensor it differentiates (logits or probabilities).
    struct Case {
        const char* name;
        Tensor* input;
        std::function<void(Tensor&, Tensor*)> run;
    };
    std::vector<Case> cases = {
        {"softmaxCrossEntropy", &logits,
         [&](Tensor& l, Tensor* g) { cpu().softmaxCrossEntropy(logits, target, l, g); }},
        {"sparseSoftmaxCrossEntropy", &logits,
         [&](Tensor& l, Tensor* g) { cpu().sparseSoftmaxCrossEntropy(logits, labels, l, g); }},
        {"sigmoidBinaryCrossEntropy", &logits,
         [&](Tensor& l, Tensor* g) { cpu().sigmoidBinaryCrossEntropy(logits, binary, l, g); }},
        {"meanSquaredError", &logits,
         [&](Tensor& l, Tensor* g) { cpu().meanSquaredError(logits, binary, l, g); }},
        {"crossEntropy", &probs,
         [&](Tensor& l, Tensor* g) { cpu().crossEntropy(probs, target, 1e-7, l, g); }},
        {"binaryCrossEntropy", &probs,
         [&](Tensor& l, Tensor* g) { cpu().binaryCrossEntropy(probs, binary, 1e-7, l, g); }},
    };
    for (Case& c : cases) {
        c.run(loss, &grad);
        Tensor numeric = numericGradient(*c.input, [&] {
            c.run(loss, nullptr);
            return loss.at(0);
        });
        std::string why;
        QVERIFY2(allClose(grad, numeric, kGradientTolerance, kGradientTolerance, &why),
                 (std::string(c.name) + ": " + why).c_str());
    }
}

void TestCpuBackend::lossErrors() {
    Tensor logits = Tensor::zeros({2, 3}), loss = Tensor::zeros({1});
    QVERIFY_THROWS_EXCEPTION(
        DataError, cpu().sparseSoftmaxCrossEntropy(
                       logits, Tensor::fromVector({2}, std::vector<float>{0, 3}), loss, nullptr));
    QVERIFY_THROWS_EXCEPTION(
        DataError, cpu().sparseSoftmaxCrossEntropy(
                       logits, Tensor::fromVector({2}, std::vector<float>{0, 1.5}), loss, nullptr));
    QVERIFY_THROWS_EXCEPTION(
        ShapeError, cpu().sparseSoftmaxCrossEntropy(logits, Tensor::zeros({3}), loss, nullptr));
    Tensor wrongTarget = Tensor::zeros({2, 4});
    try {
        cpu().softmaxCrossEntropy(logits, wrongTarget, loss, nullptr);
        QFAIL("softmaxCrossEntropy with a mismatched target did not throw");
    } catch (const ShapeError& e) {
        QString message = e.what();
        QVERIFY2(message.contains("softmaxCrossEntropy") && message.contains("(2, 3)") &&
                     message.contains("(2, 4)"),
                 e.what());
    }
    Tensor twoLosses = Tensor::zeros({2});
    QVERIFY_THROWS_EXCEPTION(ShapeError,
                             cpu().meanSquaredError(logits, logits, twoLosses, nullptr));
    Tensor wrongGrad = Tensor::zeros({3, 2});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().meanSquaredError(logits, logits, loss, &wrongGrad));
}

// ---- optimizers -------------------------------------------------------------------------------

void TestCpuBackend::sgd() {
    LOOM_FETCH_DTYPE;
    const double lr = 0.1, m = 0.9;
    Tensor w0 = randomTensor({7}, dt, 121), g = randomTensor({7}, dt, 122);
    Tensor v0 = randomTensor({7}, dt, 123);
    Tensor w = w0.clone();
    cpu().sgdUpdate(w, g, nullptr, lr, 0.0, false);
    for (int64_t i = 0; i < 7; ++i) {
        QVERIFY(std::abs(w.at(i) - (w0.at(i) - lr * g.at(i))) < tolerance(dt));
    }
    for (bool nesterov : {false, true}) {
        Tensor wm = w0.clone(), v = v0.clone();
        cpu().sgdUpdate(wm, g, &v, lr, m, nesterov);
        for (int64_t i = 0; i < 7; ++i) {
            double vNew = m * v0.at(i) - lr * g.at(i);
            double wNew = nesterov ? w0.at(i) + m * vNew - lr * g.at(i) : w0.at(i) + vNew;
            QVERIFY(std::abs(v.at(i) - vNew) < tolerance(dt));
            QVERIFY(std::abs(wm.at(i) - wNew) < tolerance(dt));
        }
    }
}

void TestCpuBackend::rmsprop() {
    LOOM_FETCH_DTYPE;
    const double lr = 0.001, rho = 0.9, eps = 1e-7;
    Tensor w = randomTensor({6}, dt, 131), g = randomTensor({6}, dt, 132);
    Tensor a = randomTensor({6}, dt, 133, 0.0, 1.0);
    Tensor w0 = w.clone(), a0 = a.clone();
    cpu().rmspropUpdate(w, g, a, lr, rho, eps);
    for (int64_t i = 0; i < 6; ++i) {
        double aNew = rho * a0.at(i) + (1 - rho) * g.at(i) * g.at(i);
        QVERIFY(std::abs(a.at(i) - aNew) < tolerance(dt));
        QVERIFY(std::abs(w.at(i) - (w0.at(i) - lr * g.at(i) / (std::sqrt(aNew) + eps))) <
                tolerance(dt));
    }
}

void TestCpuBackend::adagrad() {
    LOOM_FETCH_DTYPE;
    const double lr = 0.01, eps = 1e-7;
    Tensor w = randomTensor({6}, dt, 141), g = randomTensor({6}, dt, 142);
    Tensor a = Tensor::full({6}, 0.1, dt);
    Tensor w0 = w.clone();
    for (int step = 0; step < 2; ++step) {  // the accumulator keeps growing
        cpu().adagradUpdate(w, g, a, lr, eps);
    }
    for (int64_t i = 0; i < 6; ++i) {
        double a1 = 0.1 + g.at(i) * g.at(i), a2 = a1 + g.at(i) * g.at(i);
        double expected =
            w0.at(i) - lr * g.at(i) / (std::sqrt(a1) + eps) - lr * g.at(i) / (std::sqrt(a2) + eps);
        QVERIFY(std::abs(a.at(i) - a2) < tolerance(dt));
        QVERIFY(std::abs(w.at(i) - expected) < tolerance(dt));
    }
}

void TestCpuBackend::adam() {
    LOOM_FETCH_DTYPE;
    const double lr = 0.001, b1 = 0.9, b2 = 0.999, eps = 1e-7;
    for (int64_t step : {1, 3}) {
        for (double wd : {0.0, 0.01}) {
            Tensor w = randomTensor({6}, dt, 151), g = randomTensor({6}, dt, 152);
            Tensor m = randomTensor({6}, dt, 153), v = randomTensor({6}, dt, 154, 0.0, 0.5);
            Tensor w0 = w.clone(), m0 = m.clone(), v0 = v.clone();
            cpu().adamUpdate(w, g, m, v, lr, b1, b2, eps, step, wd);
            double lrT =
                lr * std::sqrt(1 - std::pow(b2, double(step))) / (1 - std::pow(b1, double(step)));
            for (int64_t i = 0; i < 6; ++i) {
                double mNew = b1 * m0.at(i) + (1 - b1) * g.at(i);
                double vNew = b2 * v0.at(i) + (1 - b2) * g.at(i) * g.at(i);
                double wDecayed = w0.at(i) - lr * wd * w0.at(i);
                double expected = wDecayed - lrT * mNew / (std::sqrt(vNew) + eps);
                QVERIFY(std::abs(m.at(i) - mNew) < tolerance(dt));
                QVERIFY(std::abs(v.at(i) - vNew) < tolerance(dt));
                QVERIFY2(std::abs(w.at(i) - expected) < tolerance(dt),
                         qPrintable(QString("step %1 wd %2: w %3 expected %4")
                                        .arg(step)
                                        .arg(wd)
                                        .arg(w.at(i))
                                        .arg(expected)));
            }
        }
    }
}

// Decaying state that would turn subnormal becomes 0 instead (see CpuOptimizers.cpp).
void TestCpuBackend::optimizerStateFlushesSubnormals() {
    LOOM_FETCH_DTYPE;
    const double tiny = dt == DType::F32 ? 1e-38 : 1e-307;  // just above the smallest normal
    Tensor w = Tensor::full({4}, 1.0, dt), g = Tensor::zeros({4}, dt);
    Tensor a = Tensor::full({4}, tiny, dt), v = Tensor::full({4}, tiny, dt);
    Tensor m = Tensor::full({4}, tiny, dt), velocity = Tensor::full({4}, tiny, dt);
    cpu().rmspropUpdate(w, g, a, 0.001, 0.5, 1e-7);
    cpu().adamUpdate(w, g, m, v, 0.001, 0.5, 0.5, 1e-7, 1, 0.0);
    cpu().sgdUpdate(w, g, &velocity, 0.01, 0.5, false);
    for (int64_t i = 0; i < 4; ++i) {
        QCOMPARE(a.at(i), 0.0);
        QCOMPARE(m.at(i), 0.0);
        QCOMPARE(v.at(i), 0.0);
        QCOMPARE(velocity.at(i), 0.0);
        QCOMPARE(w.at(i), 1.0);
    }
}

void TestCpuBackend::optimizerErrors() {
    Tensor w = Tensor::zeros({3}), g = Tensor::zeros({3}), wrong = Tensor::zeros({4});
    QVERIFY_THROWS_EXCEPTION(ConfigError, cpu().sgdUpdate(w, g, nullptr, 0.1, 0.9, false));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().sgdUpdate(w, wrong, nullptr, 0.1, 0.0, false));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().rmspropUpdate(w, g, wrong, 0.1, 0.9, 1e-7));
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().adagradUpdate(w, g, wrong, 0.1, 1e-7));
    Tensor m = Tensor::zeros({3}), v = Tensor::zeros({3});
    QVERIFY_THROWS_EXCEPTION(ConfigError,
                             cpu().adamUpdate(w, g, m, v, 0.1, 0.9, 0.999, 1e-7, 0, 0.0));
    QVERIFY_THROWS_EXCEPTION(ShapeError,
                             cpu().adamUpdate(w, g, m, wrong, 0.1, 0.9, 0.999, 1e-7, 1, 0.0));
}

void TestCpuBackend::dtypeMismatchThrows() {
    Tensor a = Tensor::zeros({2, 2}, DType::F32), b = Tensor::zeros({2, 2}, DType::F64);
    Tensor y = Tensor::zeros({2, 2}, DType::F32);
    try {
        cpu().add(a, b, y);
        QFAIL("add of float32 and float64 did not throw");
    } catch (const ShapeError& e) {
        QVERIFY2(QString(e.what()).contains("float64"), e.what());
    }
    Tensor x = Tensor::zeros({1, 1, 4, 4}), w = Tensor::zeros({1, 1, 3, 3}, DType::F64);
    Tensor out = Tensor::zeros({1, 1, 2, 2});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().conv2dForward(x, w, Conv2DGeometry{}, out));
    Tensor undefined;
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().fill(undefined, 1.0));
}

QTEST_APPLESS_MAIN(TestCpuBackend)
#include "TestCpuBackend.moc"
