// A drawing becomes a digit the way MNIST made its digits: bounding box fitted into 20x20,
// centred by its centre of mass in 28x28.

#include <loom/Error.h>
#include <loom/HandwrittenDigit.h>

#include <QtTest>

#include <cmath>

using namespace loom;

namespace {

// A canvas of `height` x `width` with full ink in the given rectangle.
Tensor drawing(int64_t height, int64_t width, int64_t top, int64_t left, int64_t boxHeight,
               int64_t boxWidth) {
    Tensor ink = Tensor::zeros(Shape{height, width});
    for (int64_t y = top; y < top + boxHeight; ++y) {
        for (int64_t x = left; x < left + boxWidth; ++x) {
            ink.data<float>()[y * width + x] = 1;
        }
    }
    return ink;
}

struct Placement {
    int64_t height = 0, width = 0;  ///< of the pixels above half intensity
    double centreY = 0, centreX = 0;
    double maximum = 0;
};

Placement placementOf(const Tensor& digit) {
    Placement p;
    int64_t top = 28, bottom = -1, left = 28, right = -1;
    double mass = 0;
    for (int64_t y = 0; y < 28; ++y) {
        for (int64_t x = 0; x < 28; ++x) {
            const double v = digit.data<float>()[y * 28 + x];
            mass += v;
            p.centreY += v * (double(y) + 0.5);
            p.centreX += v * (double(x) + 0.5);
            p.maximum = std::max(p.maximum, v);
            if (v > 127) {
                top = std::min(top, y);
                bottom = std::max(bottom, y);
                left = std::min(left, x);
                right = std::max(right, x);
            }
        }
    }
    p.height = bottom - top + 1;
    p.width = right - left + 1;
    p.centreY /= mass;
    p.centreX /= mass;
    return p;
}

}  // namespace

class TestHandwrittenDigit : public QObject {
    Q_OBJECT

private slots:
    void fitsTheBoxInto20PixelsAndCentresTheMass();
    void keepsTheAspectRatio();
    void anEmptyDrawingIsBlack();
    void refusesAWrongShape();
};

void TestHandwrittenDigit::fitsTheBoxInto20PixelsAndCentresTheMass() {
    // A tall stroke in the top-left corner of a 280x280 pad: 200 high, 100 wide.
    const Tensor digit = mnistDigit(drawing(280, 280, 10, 5, 200, 100));
    QCOMPARE(digit.shape(), (Shape{1, 28, 28}));
    const Placement p = placementOf(digit);
    QCOMPARE(p.height, int64_t{20});
    QVERIFY2(std::abs(p.width - 10) <= 1, qPrintable(QString::number(p.width)));
    QVERIFY2(std::abs(p.centreY - 14) <= 0.5 && std::abs(p.centreX - 14) <= 0.5,
             qPrintable(QString("%1, %2").arg(p.centreY).arg(p.centreX)));
    QCOMPARE(p.maximum, 255.0);
}

void TestHandwrittenDigit::keepsTheAspectRatio() {
    // A wide, small stroke: 10 x 40 on a 100x100 pad grows to 5 x 20.
    const Placement p = placementOf(mnistDigit(drawing(100, 100, 70, 50, 10, 40)));
    QCOMPARE(p.width, int64_t{20});
    QVERIFY2(std::abs(p.height - 5) <= 1, qPrintable(QString::number(p.height)));
}

void TestHandwrittenDigit::anEmptyDrawingIsBlack() {
    const Tensor digit = mnistDigit(Tensor::zeros(Shape{50, 60}));
    QCOMPARE(digit.toVector(), std::vector<float>(784, 0.0f));
}

void TestHandwrittenDigit::refusesAWrongShape() {
    QVERIFY_THROWS_EXCEPTION(ShapeError, mnistDigit(Tensor::zeros(Shape{1, 28, 28})));
}

QTEST_GUILESS_MAIN(TestHandwrittenDigit)
#include "TestHandwrittenDigit.moc"
