// The CPU backend's convolutions (im2col + GEMM, grouped and depthwise too): the op case table's
// rows against a direct float64 loop, the adjoint identity that ties the two backward ops to the
// forward one, central-difference gradients in float64, and shape errors that name the op and
// the shapes. The geometries are the table's (convSpecs()).

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

class TestCpuBackendConvolution : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::conv2dForward, BackendOp::conv2dBackwardData,
                       BackendOp::conv2dBackwardFilter});
    }
    void opCases() { verifyOpCase(); }

    void conv2dBackwardIsAdjoint_data();
    void conv2dBackwardIsAdjoint();
    void conv2dGradients_data();
    void conv2dGradients();
    void conv2dShapeErrors();
};

void TestCpuBackendConvolution::conv2dBackwardIsAdjoint_data() {
    addDtypeColumn();
    QTest::addColumn<int>("index");
    for (DType dt : {DType::F32, DType::F64}) {
        for (size_t i = 0; i < convSpecs().size(); ++i) {
            QTest::addRow("%s %s", dtypeName(dt), convSpecs()[i].name.c_str()) << int(dt) << int(i);
        }
    }
}

// Convolution is linear in x and in w, so <conv(x, w), dy> = <x, dx> = <w, dw>: a known-value
// check of both backward ops that holds in either precision.
void TestCpuBackendConvolution::conv2dBackwardIsAdjoint() {
    LOOM_FETCH_DTYPE;
    QFETCH(int, index);
    const ConvSpec& c = convSpecs()[size_t(index)];
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

void TestCpuBackendConvolution::conv2dGradients_data() {
    QTest::addColumn<int>("index");
    for (size_t i = 0; i < convSpecs().size(); ++i) {
        if (!convSpecs()[i].large) {
            QTest::addRow("%s", convSpecs()[i].name.c_str()) << int(i);
        }
    }
}

// L = sum(r * conv(x, w)); dL/dx = backwardData(r), dL/dw = backwardFilter(r).
void TestCpuBackendConvolution::conv2dGradients() {
    QFETCH(int, index);
    const ConvSpec& c = convSpecs()[size_t(index)];
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

void TestCpuBackendConvolution::conv2dShapeErrors() {
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

QTEST_APPLESS_MAIN(TestCpuBackendConvolution)
#include "TestCpuBackendConvolution.moc"
