// The CPU backend's optimizer updates: the op case table's rows (three steps of each) against
// Keras' formulas in float64, one-step known values, the flush of subnormal state, and errors
// for missing state and bad steps.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

class TestCpuBackendOptimizers : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::sgdUpdate, BackendOp::rmspropUpdate, BackendOp::adagradUpdate,
                       BackendOp::adamUpdate});
    }
    void opCases() { verifyOpCase(); }

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
};

void TestCpuBackendOptimizers::sgd() {
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

void TestCpuBackendOptimizers::rmsprop() {
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

void TestCpuBackendOptimizers::adagrad() {
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

void TestCpuBackendOptimizers::adam() {
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
void TestCpuBackendOptimizers::optimizerStateFlushesSubnormals() {
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

void TestCpuBackendOptimizers::optimizerErrors() {
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

QTEST_APPLESS_MAIN(TestCpuBackendOptimizers)
#include "TestCpuBackendOptimizers.moc"
