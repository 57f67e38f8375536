// The misclassified gallery chooses a sample only when the user does: focus arriving by keyboard
// (which makes the first item current) chooses nothing; a click, or moving with the arrow keys,
// chooses the sample under it.

#include "MisclassifiedGallery.h"

#include <QSignalSpy>
#include <QTest>

using namespace loom;

namespace {

Mistake mistake(int64_t trueClass, int64_t predictedClass) {
    Mistake m;
    m.sample = Tensor::zeros(Shape{1, 1, 4, 4});
    m.trueClass = trueClass;
    m.predictedClass = predictedClass;
    m.confidence = 0.6;
    return m;
}

}  // namespace

class TestMisclassifiedGallery : public QObject {
    Q_OBJECT

private slots:
    void choosesOnlyWhatTheUserChooses() {
        MisclassifiedGallery gallery;
        gallery.setMistakes({mistake(0, 1), mistake(2, 1), mistake(1, 0)}, {"a", "b", "c"});
        gallery.resize(600, 300);
        QSignalSpy chosen(&gallery, &MisclassifiedGallery::mistakeChosen);
        // Shown and given focus (as when its tab opens): the first item becomes current.
        gallery.show();
        gallery.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&gallery));

        gallery.clearFocus();
        gallery.setFocus(Qt::TabFocusReason);
        QTRY_VERIFY(gallery.hasFocus());
        QCOMPARE(gallery.currentRow(), 0);
        QCOMPARE(chosen.count(), 0);

        const QRect second = gallery.visualItemRect(gallery.item(1));
        QTest::mouseClick(gallery.viewport(), Qt::LeftButton, {}, second.center());
        QCOMPARE(chosen.count(), 1);
        QCOMPARE(chosen.last().first().value<Mistake>().trueClass, int64_t(2));

        QTest::keyClick(&gallery, Qt::Key_Right);
        QCOMPARE(chosen.count(), 2);
        QCOMPARE(chosen.last().first().value<Mistake>().trueClass, int64_t(1));
    }
};

QTEST_MAIN(TestMisclassifiedGallery)
#include "TestMisclassifiedGallery.moc"
