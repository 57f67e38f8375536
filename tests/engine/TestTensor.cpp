// Tensor on the host: construction, views that share storage (reshape, slice) against copies
// that do not (clone, to), copyFrom's element-type conversion and size check, the storage
// freed once its last view goes, and errors that name the shapes.

#include "support/Expect.h"

#include <loom/Error.h>
#include <loom/Tensor.h>

#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

using namespace loom;
using loom::testing::messageOf;

namespace {

/// 0, 1, 2, ... in a tensor of this shape.
Tensor iota(const Shape& shape, DType dtype = DType::F32) {
    Tensor t = Tensor::empty(shape, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, static_cast<double>(i));
    }
    return t;
}

}  // namespace

class TestTensor : public QObject {
    Q_OBJECT

private slots:
    void factoriesFillAsTheySay() {
        const Tensor z = Tensor::zeros(Shape{2, 3});
        QVERIFY(z.defined());
        QCOMPARE(z.shape(), (Shape{2, 3}));
        QCOMPARE(z.numel(), int64_t{6});
        QCOMPARE(z.dtype(), DType::F32);
        QCOMPARE(z.bytes(), size_t{24});
        QVERIFY(z.device() == Device::cpu());
        QCOMPARE(z.toVector(), std::vector<float>(6, 0.0f));

        const Tensor f = Tensor::full(Shape{4}, 2.5, DType::F64);
        QCOMPARE(f.dtype(), DType::F64);
        QCOMPARE(f.bytes(), size_t{32});
        QCOMPARE(f.data<double>()[3], 2.5);

        const Tensor v = Tensor::fromVector(Shape{2, 2}, std::vector<float>{1, 2, 3, 4});
        QCOMPARE(v.at(0), 1.0);
        QCOMPARE(v.at(3), 4.0);
        const Tensor d = Tensor::fromVector(Shape{2}, std::vector<double>{0.1, 0.2});
        QCOMPARE(d.dtype(), DType::F64);
        QCOMPARE(d.at(1), 0.2);  // no rounding through float32

        QVERIFY(!Tensor().defined());
        QCOMPARE(Tensor::zeros(Shape{0, 3}).bytes(), size_t{0});
    }

    void badShapesAreRefusedNamingThem() {
        QString message = messageOf<ShapeError>([] {
            Tensor::fromVector(Shape{2, 3}, std::vector<float>{1, 2, 3});
        });
        QVERIFY2(message.contains("3 values") && message.contains("(2, 3)"), qPrintable(message));
        message = messageOf<ShapeError>([] { Tensor::zeros(Shape{2, -1}); });
        QVERIFY2(message.contains("(2, -1)") && message.contains("negative"), qPrintable(message));
    }

    void reshapeIsAViewOfTheSameStorage() {
        Tensor t = iota(Shape{2, 3});
        Tensor r = t.reshape(Shape{3, 2});
        QCOMPARE(r.shape(), (Shape{3, 2}));
        QCOMPARE(t.shape(), (Shape{2, 3}));  // the original keeps its shape
        QVERIFY(r.sharesStorageWith(t));
        QCOMPARE(r.toVector(), t.toVector());  // same row-major order
        r.set(5, -1.0);
        QCOMPARE(t.at(5), -1.0);  // a write through the view is seen by the original

        const QString message = messageOf<ShapeError>([&] { t.reshape(Shape{4, 2}); });
        QVERIFY2(message.contains("(2, 3)") && message.contains("(4, 2)") &&
                     message.contains("6 elements") && message.contains("8 elements"),
                 qPrintable(message));
    }

    void sliceViewsRowsOfTheFirstAxis() {
        Tensor t = iota(Shape{4, 3});
        Tensor rows = t.slice(1, 3);
        QCOMPARE(rows.shape(), (Shape{2, 3}));
        QVERIFY(rows.sharesStorageWith(t));
        QCOMPARE(rows.toVector(), (std::vector<float>{3, 4, 5, 6, 7, 8}));
        rows.set(0, 100.0);
        QCOMPARE(t.at(3), 100.0);
        QCOMPARE(t.slice(2, 2).numel(), int64_t{0});
        // A reshape of a slice keeps the slice's offset.
        QCOMPARE(rows.reshape(Shape{6}).at(5), 8.0);

        const std::vector<std::pair<int64_t, int64_t>> outside = {{-1, 2}, {3, 2}, {0, 5}};
        for (const auto& range : outside) {
            const QString message =
                messageOf<ShapeError>([&] { t.slice(range.first, range.second); });
            QVERIFY2(message.contains("(4, 3)"), qPrintable(message));
        }
        QVERIFY(
            messageOf<ShapeError>([] { Tensor::zeros(Shape{}).slice(0, 0); }).contains("outside"));
    }

    void cloneCopiesIntoNewStorage() {
        Tensor t = iota(Shape{4, 3}, DType::F64);
        const Tensor rows = t.slice(2, 4);
        Tensor c = rows.clone();
        QVERIFY(!c.sharesStorageWith(t));
        QCOMPARE(c.shape(), (Shape{2, 3}));
        QCOMPARE(c.dtype(), DType::F64);
        QCOMPARE(c.toVector(), (std::vector<float>{6, 7, 8, 9, 10, 11}));  // only the slice
        c.set(0, -5.0);
        QCOMPARE(t.at(6), 6.0);  // the original does not see writes to the copy
        t.set(7, -7.0);
        QCOMPARE(c.at(1), 7.0);  // nor the copy writes to the original
        QVERIFY(messageOf<Error>([] { Tensor().clone(); }).contains("undefined"));
    }

    void toConvertsTheElementType() {
        const Tensor d = Tensor::fromVector(Shape{3}, std::vector<double>{0.1, -2.5, 1e40});
        const Tensor f = d.to(DType::F32);
        QCOMPARE(f.dtype(), DType::F32);
        QVERIFY(!f.sharesStorageWith(d));
        QCOMPARE(f.data<float>()[0], 0.1f);
        QCOMPARE(f.data<float>()[1], -2.5f);
        QVERIFY(std::isinf(f.data<float>()[2]));  // beyond float32's range
        const QString message = messageOf<Error>([&] { f.data<double>(); });
        QVERIFY2(message.contains("float32") && message.contains("float64"), qPrintable(message));
    }

    void copyFromCopiesValuesInRowMajorOrder() {
        Tensor destination = Tensor::zeros(Shape{2, 3});
        const Tensor source = iota(Shape{3, 2}, DType::F64);
        destination.copyFrom(source);  // same size, other shape and element type
        QCOMPARE(destination.shape(), (Shape{2, 3}));
        QCOMPARE(destination.dtype(), DType::F32);
        QCOMPARE(destination.toVector(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
        QVERIFY(!destination.sharesStorageWith(source));

        // Into a slice: only its rows change.
        Tensor big = Tensor::zeros(Shape{4, 3});
        big.slice(1, 3).copyFrom(destination);
        QCOMPARE(big.toVector(), (std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0}));

        const QString message =
            messageOf<ShapeError>([&] { destination.copyFrom(Tensor::zeros(Shape{7})); });
        QVERIFY2(message.contains("(7,)") && message.contains("(2, 3)"), qPrintable(message));
        QVERIFY(messageOf<Error>([&] { destination.copyFrom(Tensor()); }).contains("undefined"));
    }

    void elementAccessIsBoundsChecked() {
        Tensor t = Tensor::zeros(Shape{2, 2});
        t.set(3, 9.0);
        QCOMPARE(t.at(3), 9.0);
        QString message = messageOf<ShapeError>([&] { t.at(4); });
        QVERIFY2(message.contains("index 4") && message.contains("(2, 2)"), qPrintable(message));
        message = messageOf<ShapeError>([&] { t.set(-1, 0.0); });
        QVERIFY2(message.contains("index -1"), qPrintable(message));
        QVERIFY(messageOf<Error>([] { Tensor().raw(); }).contains("undefined"));
    }

    void storageIsFreedWhenItsLastViewGoes() {
        static int freed = 0;
        freed = 0;
        const Storage::Deleter deleter = [](void* data, size_t, void*) {
            std::free(data);
            ++freed;
        };
        auto storage =
            std::make_shared<Storage>(std::malloc(64), 64, Device::cpu(), deleter, nullptr);
        auto view = std::make_unique<Tensor>(storage, Shape{4, 4}, DType::F32);
        storage.reset();
        auto slice = std::make_unique<Tensor>(view->slice(1, 2));
        auto reshaped = std::make_unique<Tensor>(slice->reshape(Shape{2, 2}));
        view.reset();
        slice.reset();
        QCOMPARE(freed, 0);  // reshaped still views it
        reshaped->set(3, 1.0);
        reshaped.reset();
        QCOMPARE(freed, 1);
    }

    void aViewMustFitItsStorage() {
        auto storage = std::make_shared<Storage>(
            std::malloc(16), 16, Device::cpu(), [](void* data, size_t, void*) { std::free(data); },
            nullptr);
        QCOMPARE(Tensor(storage, Shape{4}, DType::F32).numel(), int64_t{4});
        QString message = messageOf<ShapeError>([&] { Tensor(storage, Shape{2}, DType::F64, 1); });
        QVERIFY2(message.contains("does not fit"), qPrintable(message));
        message = messageOf<ShapeError>([&] { Tensor(storage, Shape{5}, DType::F32); });
        QVERIFY2(message.contains("(5,)"), qPrintable(message));
    }

    void checkSameShapeNamesThePlaceAndBothShapes() {
        checkSameShape(Tensor::zeros(Shape{2, 3}), Tensor::zeros(Shape{2, 3}), "add");
        const QString message = messageOf<ShapeError>([] {
            checkSameShape(Tensor::zeros(Shape{2, 3}), Tensor::zeros(Shape{3, 2}), "add");
        });
        QVERIFY2(
            message.startsWith("add:") && message.contains("(2, 3)") && message.contains("(3, 2)"),
            qPrintable(message));
    }
};

QTEST_APPLESS_MAIN(TestTensor)
#include "TestTensor.moc"
