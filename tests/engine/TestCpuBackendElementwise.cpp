// The CPU backend's dropout, element-wise ops, reductions and concatenation: the op case
// table's rows against float64 references, dropout's statistics and reproducibility,
// hand-computed known values, and shape errors that name the op and the shapes.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

class TestCpuBackendElementwise : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::dropoutForward, BackendOp::axpby, BackendOp::add,
                       BackendOp::multiply, BackendOp::sum, BackendOp::sumSquares,
                       BackendOp::countNonFinite, BackendOp::concat, BackendOp::split});
    }
    void opCases() { verifyOpCase(); }

    void dropout_data() { addDtypeRows(); }
    void dropout();
    void dropoutEdgeRates();
    void elementwise_data() { addDtypeRows(); }
    void elementwise();
    void reductions_data() { addDtypeRows(); }
    void reductions();
    void concatKnownValues_data() { addDtypeRows(); }
    void concatKnownValues();
    void concatShapeErrors();
};

void TestCpuBackendElementwise::dropout() {
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

void TestCpuBackendElementwise::dropoutEdgeRates() {
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

void TestCpuBackendElementwise::elementwise() {
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

void TestCpuBackendElementwise::reductions() {
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

void TestCpuBackendElementwise::concatKnownValues() {
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

void TestCpuBackendElementwise::concatShapeErrors() {
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

QTEST_APPLESS_MAIN(TestCpuBackendElementwise)
#include "TestCpuBackendElementwise.moc"
