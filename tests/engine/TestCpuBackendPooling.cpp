// The CPU backend's pooling and zero padding: the op case table's rows against direct float64
// loops, central-difference gradients, the routing of max pooling's gradient (first maximum,
// NaN wins), hand-computed known values, and shape errors that name the op and the shapes.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

class TestCpuBackendPooling : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::pool2dForward, BackendOp::pool2dBackward,
                       BackendOp::globalAveragePoolForward, BackendOp::globalAveragePoolBackward,
                       BackendOp::pad2dForward, BackendOp::pad2dBackward});
    }
    void opCases() { verifyOpCase(); }

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
};

void TestCpuBackendPooling::pool2dGradients_data() {
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("mode");
    for (PoolMode mode : poolModes()) {
        for (size_t i = 0; i < poolSpecs().size(); ++i) {
            if (!poolSpecs()[i].large) {
                QTest::addRow("%s %s", poolModeName(mode), poolSpecs()[i].name.c_str())
                    << int(i) << int(mode);
            }
        }
    }
}

// Random inputs have no ties, so max pooling is differentiable where it is sampled.
void TestCpuBackendPooling::pool2dGradients() {
    QFETCH(int, index);
    QFETCH(int, mode);
    const PoolSpec& c = poolSpecs()[size_t(index)];
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

void TestCpuBackendPooling::maxPoolRoutesToFirstMaximum() {
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
void TestCpuBackendPooling::maxPoolPropagatesNan() {
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

void TestCpuBackendPooling::globalAveragePool() {
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

void TestCpuBackendPooling::pad2d() {
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

void TestCpuBackendPooling::poolShapeErrors() {
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

QTEST_APPLESS_MAIN(TestCpuBackendPooling)
#include "TestCpuBackendPooling.moc"
