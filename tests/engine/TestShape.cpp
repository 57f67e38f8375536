// Shape: extents outermost first, the element count, adding and dropping the batch axis, and
// the Keras-style text that summaries and error messages show.

#include "support/Expect.h"

#include <loom/Error.h>
#include <loom/Shape.h>

#include <QtTest>

#include <stdexcept>

using namespace loom;
using loom::testing::messageOf;

class TestShape : public QObject {
    Q_OBJECT

private slots:
    void extentsAndCount() {
        const Shape s{2, 3, 4};
        QCOMPARE(s.rank(), size_t{3});
        QCOMPARE(s[0], int64_t{2});
        QCOMPARE(s[2], int64_t{4});
        QCOMPARE(s.dims(), (std::vector<int64_t>{2, 3, 4}));
        QCOMPARE(s.numel(), int64_t{24});
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, s[3]);
    }

    void aScalarHasOneElementAndAnEmptyAxisNone() {
        const Shape scalar;
        QCOMPARE(scalar.rank(), size_t{0});
        QCOMPARE(scalar.numel(), int64_t{1});
        QCOMPARE((Shape{0, 5}).numel(), int64_t{0});
        QCOMPARE((Shape{5, 0, 2}).numel(), int64_t{0});
    }

    void equalityComparesEveryExtentInOrder() {
        QCOMPARE(Shape(std::vector<int64_t>{1, 28, 28}), (Shape{1, 28, 28}));
        QVERIFY(!(Shape{2, 3} == Shape{3, 2}));
        QVERIFY(!(Shape{6} == Shape{2, 3}));
        QVERIFY(!(Shape{} == Shape{1}));
    }

    void withBatchPutsTheBatchAxisInFront() {
        const Shape sample{1, 28, 28};
        QCOMPARE(sample.withBatch(32), (Shape{32, 1, 28, 28}));
        QCOMPARE(sample, (Shape{1, 28, 28}));  // unchanged
        QCOMPARE(Shape{784}.withBatch(1), (Shape{1, 784}));
        QCOMPARE(Shape{}.withBatch(7), (Shape{7}));
        QCOMPARE(sample.withBatch(0).numel(), int64_t{0});
    }

    void withoutBatchDropsTheFirstAxis() {
        const Shape batch{32, 1, 28, 28};
        QCOMPARE(batch.withoutBatch(), (Shape{1, 28, 28}));
        QCOMPARE(batch.withoutBatch().withBatch(32), batch);
        QCOMPARE(Shape{5}.withoutBatch(), Shape{});
        const QString message = messageOf<ShapeError>([] { Shape{}.withoutBatch(); });
        QVERIFY2(message.contains("rank-0"), qPrintable(message));
    }

    void textIsPythonTupleLike() {
        QCOMPARE(QString::fromStdString((Shape{1, 28, 28}).str()), QString("(1, 28, 28)"));
        QCOMPARE(QString::fromStdString(Shape{784}.str()), QString("(784,)"));  // a 1-tuple
        QCOMPARE(QString::fromStdString(Shape{}.str()), QString("()"));
        QCOMPARE(QString::fromStdString((Shape{1, 28, 28}).str("None")),
                 QString("(None, 1, 28, 28)"));
        QCOMPARE(QString::fromStdString(Shape{784}.str("None")), QString("(None, 784)"));
        QCOMPARE(QString::fromStdString(Shape{}.str("None")), QString("(None)"));
    }
};

QTEST_APPLESS_MAIN(TestShape)
#include "TestShape.moc"
