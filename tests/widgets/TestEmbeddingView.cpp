#include "EmbeddingView.h"
#include "RunColors.h"

#include <loom/Error.h>

#include <qcustomplot.h>

#include <QElapsedTimer>
#include <QMouseEvent>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace loom;

/// The embedding view as its users rely on it: each class its own coloured series, the dot
/// under the pointer found in pixels and chosen by a click, classes hidden from the legend
/// leave hit-testing too, a layout in progress moves without rebuilding anything, the tooltip
/// shows the sample's picture, and ten thousand points stay quick to draw.
class TestEmbeddingView : public QObject {
    Q_OBJECT

private slots:
    void makesOneSeriesPerClassWithItsSamples();
    void findsTheNearestDotInPixels();
    void clickingADotChoosesItsSample();
    void hidingAClassFromTheLegendTakesItOutOfHitTesting();
    void updatePositionsMovesDotsAndFollowsTheLayout();
    void keepsTheZoomOnlyWhenAsked();
    void tooltipShowsThePictureAndThePrediction();
    void ringsTheMistakesOfVisibleClasses();
    void drawsSomethingVisible();
    void drawsTenThousandPointsQuickly();

private:
    /// Three classes in well separated clusters, `perClass` points each on a small grid,
    /// labelled 0, 1, 2 in turn.
    static void clusters(int perClass, QVector<QPointF>& points, QVector<int>& labels);
    /// The view shown at a fixed size and drawn, so that pixel positions are final.
    static void showAndDraw(EmbeddingView& view);
    static const QStringList kClasses;
};

const QStringList TestEmbeddingView::kClasses = {QStringLiteral("T-shirt/top"),
                                                 QStringLiteral("Coat"), QStringLiteral("Shirt")};

void TestEmbeddingView::clusters(int perClass, QVector<QPointF>& points, QVector<int>& labels) {
    const QPointF centres[] = {{0, 0}, {100, 0}, {50, 80}};
    for (int i = 0; i < 3 * perClass; ++i) {
        const int cls = i % 3, k = i / 3;
        points.push_back(centres[cls] + QPointF((k % 5) * 4.0, (k / 5) * 4.0));
        labels.push_back(cls);
    }
}

void TestEmbeddingView::showAndDraw(EmbeddingView& view) {
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.redraw();
}

void TestEmbeddingView::makesOneSeriesPerClassWithItsSamples() {
    EmbeddingView view;
    // 5 T-shirts, 3 coats, no shirt, 2 unknown (-1) and one labelled past the names.
    const QVector<int> labels{0, 0, 1, 0, 1, -1, 0, 1, 0, 7, -1};
    QVector<QPointF> points;
    for (int i = 0; i < labels.size(); ++i) {
        points.push_back(QPointF(i, i % 3));
    }
    view.setPoints(points, labels, kClasses, QStringLiteral("t-SNE of 'dense_1'"));
    QCOMPARE(view.pointCount(), 11);
    QCOMPARE(view.classCount(), 3);
    QCOMPARE(view.classGraph(0)->dataCount(), 5);
    QCOMPARE(view.classGraph(1)->dataCount(), 3);
    QCOMPARE(view.classGraph(2)->dataCount(), 0);
    QCOMPARE(view.classGraph(-1)->dataCount(), 3);
    QCOMPARE(view.classGraph(1)->name(), QStringLiteral("Coat"));
    QCOMPARE(view.classGraph(0)->lineStyle(), QCPGraph::lsNone);
    // Classes have colours of their own; every class is in the legend, and so are the unknown.
    QCOMPARE(view.classGraph(0)->scatterStyle().brush().color().rgb(), runColor(0).rgb());
    QVERIFY(view.classGraph(0)->scatterStyle().brush() !=
            view.classGraph(1)->scatterStyle().brush());
    QCOMPARE(view.plot()->legend->itemCount(), 4);
    QCOMPARE(view.title(), QStringLiteral("t-SNE of 'dense_1'"));

    // New points replace the series rather than adding to them; without unknowns, no entry.
    const int graphs = view.plot()->graphCount();
    view.setPoints({{0, 0}, {1, 1}}, {2, 2}, kClasses, QString());
    QCOMPARE(view.plot()->graphCount(), graphs);
    QCOMPARE(view.classGraph(2)->dataCount(), 2);
    QCOMPARE(view.classGraph(0)->dataCount(), 0);
    QCOMPARE(view.plot()->legend->itemCount(), 3);
    QVERIFY_THROWS_EXCEPTION(ShapeError, view.setPoints({{0, 0}}, {0, 1}, kClasses, QString()));
    QVERIFY_THROWS_EXCEPTION(ShapeError, view.setPredictions({0, 1, 2}));

    view.setCaption(QStringLiteral("t-SNE of 'dense_1' — 2 test images — iteration 350 / 1000"));
    QCOMPARE(view.caption(),
             QStringLiteral("t-SNE of 'dense_1' — 2 test images — iteration 350 / 1000"));
}

void TestEmbeddingView::findsTheNearestDotInPixels() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(10, points, labels);
    view.setPoints(points, labels, kClasses, QString());
    showAndDraw(view);
    for (int i : {0, 1, 2, 13, 29}) {
        const QPointF at = view.pixelPosition(i);
        QVERIFY(view.plot()->axisRect()->rect().contains(at.toPoint()));
        QCOMPARE(view.sampleAt(at), i);
        QCOMPARE(view.sampleAt(at + QPointF(2, -2)), i);  // near enough
    }
    // Dots 4 units apart are more than 12 pixels apart here: half way is no one's within 6 px,
    // and 6 px past the cluster's last dot is nobody's.
    const QPointF first = view.pixelPosition(0), next = view.pixelPosition(3);
    QVERIFY(std::abs(next.x() - first.x()) > 12);
    QCOMPARE(view.sampleAt((first + next) / 2), -1);
    QCOMPARE(view.sampleAt((first + next) / 2, 20), 0);  // a wider radius reaches both; 0 first
    QCOMPARE(view.sampleAt(first - QPointF(7, 0)), -1);
    // Far from every cluster, and outside the plot (on the legend): nothing.
    const QPointF between = (view.pixelPosition(0) + view.pixelPosition(1)) / 2;
    QCOMPARE(view.sampleAt(between), -1);
    QCOMPARE(view.sampleAt(QPointF(view.plot()->width() - 5, 10)), -1);
}

void TestEmbeddingView::clickingADotChoosesItsSample() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(10, points, labels);
    view.setPoints(points, labels, kClasses, QString());
    showAndDraw(view);
    QSignalSpy chosen(&view, &EmbeddingView::sampleChosen);
    QTest::mouseClick(view.plot(), Qt::LeftButton, {}, view.pixelPosition(17).toPoint());
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.at(0).at(0).toInt(), 17);
    // A click on empty space chooses nothing.
    QTest::mouseClick(view.plot(), Qt::LeftButton, {},
                      ((view.pixelPosition(0) + view.pixelPosition(1)) / 2).toPoint());
    QCOMPARE(chosen.count(), 1);
    // Pressing on a dot and letting go elsewhere is a pan, not a choice.
    const QPoint from = view.pixelPosition(17).toPoint();
    QTest::mousePress(view.plot(), Qt::LeftButton, {}, from);
    QTest::mouseMove(view.plot(), from + QPoint(15, 0));
    QTest::mouseMove(view.plot(), from + QPoint(30, 0));
    QTest::mouseRelease(view.plot(), Qt::LeftButton, {}, from + QPoint(30, 0));
    QCOMPARE(chosen.count(), 1);
    QVERIFY(!view.followsLayout());
}

void TestEmbeddingView::hidingAClassFromTheLegendTakesItOutOfHitTesting() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(10, points, labels);
    view.setPoints(points, labels, kClasses, QString());
    view.setPredictions(QVector<int>(labels.size(), 0));  // every coat and shirt is a mistake
    showAndDraw(view);
    QCOMPARE(view.mistakeGraph()->dataCount(), 20);
    QSignalSpy toggled(&view, &EmbeddingView::classVisibilityChanged);
    const QPointF coat = view.pixelPosition(1);
    QCOMPARE(view.sampleAt(coat), 1);

    // Clicking the legend entry "Coat" hides the coats: not drawn, not found, not ringed.
    const QCPPlottableLegendItem* entry =
        view.plot()->legend->itemWithPlottable(view.classGraph(1));
    QVERIFY(entry);
    QTest::mouseClick(view.plot(), Qt::LeftButton, {}, entry->rect().center());
    QVERIFY(!view.isClassVisible(1));
    QVERIFY(!view.classGraph(1)->visible());
    QCOMPARE(toggled.count(), 1);
    QCOMPARE(toggled.at(0).at(0).toInt(), 1);
    QCOMPARE(toggled.at(0).at(1).toBool(), false);
    QCOMPARE(view.sampleAt(coat), -1);
    QCOMPARE(view.sampleAt(view.pixelPosition(0)), 0);  // the others still are
    QCOMPARE(view.mistakeGraph()->dataCount(), 10);
    QCOMPARE(view.plot()->legend->itemCount(), 3);  // the entry stays, to bring the coats back

    view.setClassVisible(1, true);
    QCOMPARE(view.sampleAt(coat), 1);
    QCOMPARE(view.mistakeGraph()->dataCount(), 20);
    view.setClassVisible(0, false);
    QCOMPARE(view.sampleAt(view.pixelPosition(0)), -1);
    QCOMPARE(view.mistakeGraph()->dataCount(), 20);  // T-shirts were all right
    // A new projection of the same classes keeps them hidden.
    view.setPoints(points, labels, kClasses, QString());
    QVERIFY(!view.isClassVisible(0));
    QVERIFY(view.isClassVisible(1));
}

void TestEmbeddingView::updatePositionsMovesDotsAndFollowsTheLayout() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(10, points, labels);
    view.setPoints(points, labels, kClasses, QString());
    showAndDraw(view);
    const int graphs = view.plot()->graphCount();
    QVERIFY(view.followsLayout());

    // The layout spreads out ten times: same series, same counts, dots moved, view fitted.
    QVector<QPointF> moved = points;
    for (QPointF& p : moved) {
        p *= 10;
    }
    view.updatePositions(moved);
    QCOMPARE(view.plot()->graphCount(), graphs);
    for (int cls = 0; cls < 3; ++cls) {
        QCOMPARE(view.classGraph(cls)->dataCount(), 10);
    }
    QCOMPARE(view.classGraph(1)->data()->at(0)->key, 1000.0);
    QVERIFY(view.plot()->xAxis->range().contains(1160));
    QVERIFY(view.plot()->yAxis->range().contains(840));
    QCOMPARE(view.sampleAt(view.pixelPosition(4)), 4);
    // Replots are queued, not done at once: many updates in one pass cost one replot.
    QSignalSpy replots(view.plot(), &QCustomPlot::afterReplot);
    for (int i = 0; i < 5; ++i) {
        view.updatePositions(i % 2 ? moved : points);
    }
    QCOMPARE(replots.count(), 0);
    QTRY_VERIFY(replots.count() > 0);
    QCOMPARE(replots.count(), 1);
    QVERIFY_THROWS_EXCEPTION(ShapeError, view.updatePositions(moved.mid(1)));

    // Once the user zooms, the view stays where it is while the layout moves on; Fit follows.
    const QPointF centre = view.plot()->axisRect()->rect().center();
    QWheelEvent wheel(centre, view.plot()->mapToGlobal(centre), {}, {0, 120}, Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.plot(), &wheel);
    QVERIFY(!view.followsLayout());
    const QCPRange zoomed = view.plot()->xAxis->range();
    view.updatePositions(points);
    QCOMPARE(view.plot()->xAxis->range(), zoomed);
    view.fit();
    QVERIFY(view.followsLayout());
    QVERIFY(view.plot()->xAxis->range().upper < 200);
}

void TestEmbeddingView::keepsTheZoomOnlyWhenAsked() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(10, points, labels);
    view.setPoints(points, labels, kClasses, QString());
    showAndDraw(view);
    view.plot()->xAxis->setRange(10, 20);
    view.plot()->yAxis->setRange(0, 8);
    view.setPoints(points, labels, kClasses, QString(), EmbeddingView::Range::Keep);
    QCOMPARE(view.plot()->xAxis->range(), QCPRange(10, 20));
    QCOMPARE(view.plot()->yAxis->range(), QCPRange(0, 8));
    view.setPoints(points, labels, kClasses, QString());
    QVERIFY(view.plot()->xAxis->range().contains(0) && view.plot()->xAxis->range().contains(116));
    QVERIFY(view.plot()->yAxis->range().contains(0) && view.plot()->yAxis->range().contains(84));
    // One unit is as long across as up, and stays so when the window is resized.
    for (const QSize size : {QSize(700, 500), QSize(380, 640)}) {
        view.resize(size);
        view.redraw();
        const QRect rect = view.plot()->axisRect()->rect();
        QCOMPARE(qRound(view.plot()->xAxis->range().size() / rect.width() * 1e6),
                 qRound(view.plot()->yAxis->range().size() / rect.height() * 1e6));
        QVERIFY(view.plot()->xAxis->range().contains(0));
        QVERIFY(view.plot()->xAxis->range().contains(116));
    }
}

void TestEmbeddingView::tooltipShowsThePictureAndThePrediction() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(10, points, labels);
    view.setPoints(points, labels, kClasses, QString());
    std::vector<int> asked;
    view.setImageProvider([&asked](int index) {
        asked.push_back(index);
        QImage image(28, 28, QImage::Format_RGB32);
        image.fill(QColor(index * 8, 100, 200));
        image.setPixel(0, 0, qRgb(255, 255, 255));
        return image;
    });
    QString html = view.toolTipHtml(4);  // a coat
    QCOMPARE(asked, std::vector<int>{4});
    QVERIFY(html.contains(QStringLiteral("class: Coat")));
    QVERIFY(!html.contains(QStringLiteral("predicted")));
    const QRegularExpression inline_(QStringLiteral("data:image/png;base64,([A-Za-z0-9+/=]+)"));
    const QRegularExpressionMatch match = inline_.match(html);
    QVERIFY(match.hasMatch());
    const QImage picture = QImage::fromData(QByteArray::fromBase64(match.captured(1).toLatin1()));
    QCOMPARE(picture.size(), QSize(84, 84));  // 3 times, pixels kept sharp
    QCOMPARE(picture.pixel(2, 2), qRgb(255, 255, 255));
    QCOMPARE(picture.pixel(3, 3), qRgb(32, 100, 200));

    QVector<int> predictions = labels;
    predictions[4] = 2;
    view.setPredictions(predictions);
    QVERIFY(view.toolTipHtml(4).contains(QStringLiteral("class: Coat, predicted: <b")));
    QVERIFY(view.toolTipHtml(4).contains(QStringLiteral(">Shirt</b>")));
    QVERIFY(
        view.toolTipHtml(0).contains(QStringLiteral("class: T-shirt/top, predicted: "
                                                    "T-shirt/top")));

    // Hovering a dot shows that tooltip.
    showAndDraw(view);
    const QPointF at = view.pixelPosition(4);
    QMouseEvent move(QEvent::MouseMove, at, view.plot()->mapToGlobal(at), Qt::NoButton,
                     Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(view.plot(), &move);
    QTRY_VERIFY(QToolTip::isVisible());
    QCOMPARE(QToolTip::text(), view.toolTipHtml(4));
    view.setImageProvider({});
    QVERIFY(!view.toolTipHtml(4).contains(QStringLiteral("<img")));
}

void TestEmbeddingView::ringsTheMistakesOfVisibleClasses() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(4, points, labels);
    labels[11] = -1;  // unknown: neither right nor wrong
    view.setPoints(points, labels, kClasses, QString());
    QCOMPARE(view.mistakeGraph()->dataCount(), 0);
    QVector<int> predictions = labels;
    predictions[1] = 0;
    predictions[5] = 1;
    predictions[11] = 1;
    view.setPredictions(predictions);
    QVERIFY(view.mistakesMarked());
    QCOMPARE(view.mistakeGraph()->dataCount(), 2);
    // The series is sorted by x: the shirt (x 54) taken for a coat, then the coat (x 100).
    QCOMPARE(view.mistakeGraph()->data()->at(0)->key, points[5].x());
    QCOMPARE(view.mistakeGraph()->data()->at(1)->key, points[1].x());
    view.setMistakesMarked(false);
    QCOMPARE(view.mistakeGraph()->dataCount(), 0);
    view.setMistakesMarked(true);
    view.setPoints(points, labels, kClasses, QString());  // other samples: no predictions
    QCOMPARE(view.mistakeGraph()->dataCount(), 0);
}

void TestEmbeddingView::drawsSomethingVisible() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    clusters(25, points, labels);
    view.setPoints(points, labels, kClasses, QStringLiteral("t-SNE"));
    showAndDraw(view);
    const QImage shot = view.grab().toImage();
    QVERIFY(!shot.isNull());
    // Each class's hue is somewhere in the picture, in colour, not washed out.
    for (int cls = 0; cls < 3; ++cls) {
        const int hue = runColor(cls).hsvHue();
        bool found = false;
        for (int y = 0; y < shot.height() && !found; ++y) {
            for (int x = 0; x < shot.width() && !found; ++x) {
                const QColor c = shot.pixelColor(x, y);
                const int d = std::abs(c.hsvHue() - hue);
                found = c.hsvSaturation() > 80 && std::min(d, 360 - d) <= 8;
            }
        }
        QVERIFY2(found, qPrintable(kClasses[cls]));
    }
}

void TestEmbeddingView::drawsTenThousandPointsQuickly() {
    EmbeddingView view;
    QVector<QPointF> points;
    QVector<int> labels;
    QStringList names;
    for (int c = 0; c < 10; ++c) {
        names << QStringLiteral("class %1").arg(c);
    }
    for (int i = 0; i < 10000; ++i) {
        const int cls = i % 10;
        // A rough ring of blobs, deterministic: a cheap hash gives each point its spread.
        const double a = cls * 0.628, r = ((i * 7919) % 1000) / 100.0, t = (i * 104729) % 628;
        points.push_back({std::cos(a) * 40 + r * std::cos(t / 100.0),
                          std::sin(a) * 40 + r * std::sin(t / 100.0)});
        labels.push_back(cls);
    }
    view.setPoints(points, labels, names, QStringLiteral("10,000 points"));
    view.resize(900, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.redraw();
    QElapsedTimer timer;
    std::vector<double> ms;
    for (int i = 0; i < 7; ++i) {
        timer.start();
        view.redraw();
        ms.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    timer.start();
    view.updatePositions(points);
    const double update = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    timer.start();
    int found = 0;
    for (int i = 0; i < 1000; ++i) {
        found += view.sampleAt(view.pixelPosition(i * 10)) >= 0;
    }
    const double lookup = static_cast<double>(timer.nsecsElapsed()) / 1e3 / 1000;
    qInfo(
        "10,000 points at 900x700: replot median %.1f ms, slowest %.1f ms; updatePositions "
        "%.1f ms; nearest-dot lookup %.0f us",
        ms[3], ms.back(), update, lookup);
    QCOMPARE(found, 1000);
}

QTEST_MAIN(TestEmbeddingView)
#include "TestEmbeddingView.moc"
