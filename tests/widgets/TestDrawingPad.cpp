#include "DrawingPad.h"
#include "ExplanationView.h"

#include <loom/HandwrittenDigit.h>

#include <QSignalSpy>
#include <QTest>

using namespace loom;

/// The drawing pad as a person uses it (drag to draw, right click to clear) and the
/// explanation view's heat-map tiles.
class TestDrawingPad : public QObject {
    Q_OBJECT

private slots:
    void drawsWithTheMouseAndClears();
    void aStrokeBecomesACentredDigit();
    void explanationViewShowsOneTilePerMap();
    void heatmapIsHotWhereTheMapIsStrong();
};

void TestDrawingPad::drawsWithTheMouseAndClears() {
    DrawingPad pad;
    pad.resize(280, 280);
    pad.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pad));
    QSignalSpy drawn(&pad, &DrawingPad::drawn);
    QSignalSpy finished(&pad, &DrawingPad::strokeFinished);
    QTest::mousePress(&pad, Qt::LeftButton, {}, QPoint(140, 60));
    for (int y = 70; y <= 220; y += 10) {
        QMouseEvent move(QEvent::MouseMove, QPointF(140, y), pad.mapToGlobal(QPointF(140, y)),
                         Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&pad, &move);
    }
    QTest::mouseRelease(&pad, Qt::LeftButton, {}, QPoint(140, 220));
    QVERIFY(drawn.count() >= 10);
    QCOMPARE(finished.count(), 1);
    QVERIFY(!pad.isEmpty());
    const std::vector<float> ink = pad.ink().toVector();
    QCOMPARE(ink.size(), size_t(DrawingPad::kResolution * DrawingPad::kResolution));
    QCOMPARE(ink[size_t(140 * DrawingPad::kResolution + 140)], 1.0f);  // on the stroke
    QCOMPARE(ink[size_t(140 * DrawingPad::kResolution + 20)], 0.0f);   // beside it
    QSignalSpy cleared(&pad, &DrawingPad::cleared);
    QTest::mouseClick(&pad, Qt::RightButton, {}, QPoint(10, 10));
    QCOMPARE(cleared.count(), 1);
    QVERIFY(pad.isEmpty());
    const std::vector<float> blank = pad.ink().toVector();
    QCOMPARE(*std::max_element(blank.begin(), blank.end()), 0.0f);
}

void TestDrawingPad::aStrokeBecomesACentredDigit() {
    // A "1" drawn off-centre, near the pad's right edge.
    DrawingPad pad;
    pad.drawStroke({QPointF(250, 30), QPointF(250, 200)});
    const Tensor digit = mnistDigit(pad.ink());
    double mass = 0, column = 0;
    for (int64_t i = 0; i < 784; ++i) {
        mass += digit.data<float>()[i];
        column += digit.data<float>()[i] * (double(i % 28) + 0.5);
    }
    QVERIFY2(std::abs(column / mass - 14) <= 0.5, qPrintable(QString::number(column / mass)));
}

void TestDrawingPad::explanationViewShowsOneTilePerMap() {
    ExplanationView view;
    QImage picture(28, 28, QImage::Format_Grayscale8);
    picture.fill(128);
    const Tensor map = Tensor::full(Shape{28, 28}, 1.0);
    view.setExplanation(picture, "why 'Sneaker'",
                        {{"Saliency", "gradient", map}, {"Occlusion", "patches", map}});
    QCOMPARE(view.shownTitles(), (QStringList{"Input", "Saliency", "Occlusion"}));
    QCOMPARE(view.tileImage(1).size(), QSize(28, 28));
    view.setMessage("nothing yet");
    QVERIFY(view.shownTitles().isEmpty());
}

void TestDrawingPad::heatmapIsHotWhereTheMapIsStrong() {
    QImage picture(4, 1, QImage::Format_Grayscale8);
    picture.fill(100);
    const Tensor map = Tensor::fromVector(Shape{1, 4}, std::vector<float>{0, 0.2f, 0.6f, 1});
    const QImage overlay = heatmapOverlay(picture, map);
    QCOMPARE(overlay.pixelColor(3, 0), QColor(255, 255, 0));  // the strongest: yellow
    QVERIFY(overlay.pixelColor(0, 0).red() < 60);             // nothing: the picture, darkened
    QVERIFY(overlay.pixelColor(2, 0).red() > overlay.pixelColor(1, 0).red());
}

QTEST_MAIN(TestDrawingPad)
#include "TestDrawingPad.moc"
