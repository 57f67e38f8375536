// The CPU backend's memory ops, GEMM and bias ops: the op case table's rows against float64
// references, hand-computed known values in float32 and float64, and the argument checks every
// op shares (shapes, dtypes, undefined tensors) with messages that name the op and the shapes.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

class TestCpuBackendLinear : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::allocate, BackendOp::copy, BackendOp::fill,
                       BackendOp::synchronize, BackendOp::gemm, BackendOp::addBias,
                       BackendOp::biasBackward});
    }
    void opCases() { verifyOpCase(); }

    void memory_data() { addDtypeRows(); }
    void memory();
    void gemmShapeErrors();
    void bias_data() { addDtypeRows(); }
    void bias();
    void dtypeMismatchThrows();
};

void TestCpuBackendLinear::memory() {
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

void TestCpuBackendLinear::gemmShapeErrors() {
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

void TestCpuBackendLinear::bias() {
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

void TestCpuBackendLinear::dtypeMismatchThrows() {
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

QTEST_APPLESS_MAIN(TestCpuBackendLinear)
#include "TestCpuBackendLinear.moc"
