// The CPU backend's activations: the op case table's rows (every kind, softmax included, in
// place too) against float64 formulas, central-difference gradients, NaN propagation, numerical
// stability, softmax known values, and shape errors.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

namespace {

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

class TestCpuBackendActivations : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::activationForward, BackendOp::activationBackward});
    }
    void opCases() { verifyOpCase(); }

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
    void activationShapeErrors();
};

void TestCpuBackendActivations::activationGradients_data() {
    QTest::addColumn<int>("index");
    for (size_t i = 0; i < activationSpecs().size(); ++i) {
        QTest::addRow("%s", activationSpecs()[i].name.c_str()) << int(i);
    }
}

void TestCpuBackendActivations::activationGradients() {
    QFETCH(int, index);
    const ActivationSpec& c = activationSpecs()[size_t(index)];
    checkActivationGradient(c.kind, c.alpha, awayFromZero({2, 3, 4}, DType::F64, 72));
}

// A NaN must reach the next layer (and the trainer's non-finite check) through every
// activation, never turn into a clean 0.
void TestCpuBackendActivations::activationsPropagateNan() {
    LOOM_FETCH_DTYPE;
    Tensor x = fromValues({2, 3}, dt, {NAN, -1, 2, 0.5, NAN, -3});
    Tensor y = cpu().allocate(x.shape(), dt);
    for (const ActivationSpec& c : activationSpecs()) {
        cpu().activationForward(c.kind, c.alpha, x, y);
        QVERIFY2(std::isnan(y.at(0)) && std::isnan(y.at(4)), c.name.c_str());
        QVERIFY2(!std::isnan(y.at(1)) && !std::isnan(y.at(2)), c.name.c_str());
    }
    cpu().activationForward(ActivationKind::Softmax, 0.0, x, y);
    QCOMPARE(cpu().countNonFinite(y), int64_t(6));  // both rows hold a NaN
}

void TestCpuBackendActivations::sigmoidIsStableForLargeInputs() {
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

void TestCpuBackendActivations::softmaxRows() {
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

void TestCpuBackendActivations::softmaxOverChannelsOfImages() {
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

void TestCpuBackendActivations::softmaxGradients() {
    checkActivationGradient(ActivationKind::Softmax, 0.0,
                            randomTensor({3, 4}, DType::F64, 75, -2.0, 2.0));
    checkActivationGradient(ActivationKind::Softmax, 0.0,
                            randomTensor({2, 3, 2, 2}, DType::F64, 76, -2.0, 2.0));
}

// Every activation wants outputs shaped like its inputs; softmax wants a channel axis.
void TestCpuBackendActivations::activationShapeErrors() {
    Tensor x = randomTensor({3, 4, 5}, DType::F32, 71), wrong = cpu().allocate({3, 20});
    for (const ActivationSpec& a : activationSpecs()) {
        QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().activationForward(a.kind, a.alpha, x, wrong));
        QVERIFY_THROWS_EXCEPTION(ShapeError,
                                 cpu().activationBackward(a.kind, a.alpha, x, x, x, wrong));
    }
    try {
        cpu().activationForward(ActivationKind::Softmax, 0.0, x, wrong);
        QFAIL("softmax into a wrongly shaped output did not throw");
    } catch (const ShapeError& e) {
        QVERIFY2(QString(e.what()).contains("activationForward") &&
                     QString(e.what()).contains("(3, 20)"),
                 e.what());
    }
    Tensor vector = cpu().allocate({5});
    QVERIFY_THROWS_EXCEPTION(ShapeError,
                             cpu().activationForward(ActivationKind::Softmax, 0.0, vector, vector));
}

QTEST_APPLESS_MAIN(TestCpuBackendActivations)
#include "TestCpuBackendActivations.moc"
