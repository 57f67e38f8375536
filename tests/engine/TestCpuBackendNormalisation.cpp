// The CPU backend's batch normalisation: the op case table's rows (training, inference,
// backward) against float64 formulas, Keras' running statistics, the normalised output's
// moments, and central-difference gradients to x, gamma and beta in float64.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

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

class TestCpuBackendNormalisation : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::batchNormForwardTraining, BackendOp::batchNormForwardInference,
                       BackendOp::batchNormBackward});
    }
    void opCases() { verifyOpCase(); }

    void batchNormTraining_data() { addDtypeRows(); }
    void batchNormTraining();
    void batchNormInference_data() { addDtypeRows(); }
    void batchNormInference();
    void batchNormGradients_data();
    void batchNormGradients();
};

void TestCpuBackendNormalisation::batchNormTraining() {
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

void TestCpuBackendNormalisation::batchNormInference() {
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

void TestCpuBackendNormalisation::batchNormGradients_data() {
    QTest::addColumn<Shape>("shape");
    for (const Shape& shape : batchNormShapes()) {
        QTest::newRow(shape.str().c_str()) << shape;
    }
}

// L = sum(r * bn(x; gamma, beta)) with batch statistics; gradients to x, gamma and beta.
void TestCpuBackendNormalisation::batchNormGradients() {
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

QTEST_APPLESS_MAIN(TestCpuBackendNormalisation)
#include "TestCpuBackendNormalisation.moc"
