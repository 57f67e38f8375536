// The layer inspector's pictures and numbers: feature maps share one scale (a dead channel is
// black), filters show in colour for a first layer and per input channel deeper, a first Dense
// layer's units show as pictures, and the statistics follow the time slider.

#include "LayerInspector.h"
#include "TensorTiles.h"
#include "TileGrid.h"

#include <QSlider>
#include <QTest>

using namespace loom;

namespace {

Tensor filled(const Shape& shape, const std::function<float(int64_t)>& value) {
    Tensor t = Tensor::empty(shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.data<float>()[i] = value(i);
    }
    return t;
}

StatisticsSample sampleAt(int64_t step, double dead) {
    LayerStatistics s;
    s.layer = "conv";
    s.deadFraction = dead;
    s.activationMean = 0.5;
    std::vector<float> values(100);
    for (size_t i = 0; i < values.size(); ++i) {
        values[i] = float(i) / 100.0f * float(step);
    }
    s.activations = Histogram::of(values.data(), int64_t(values.size()));
    return {step, 1, {s}};
}

}  // namespace

class TestLayerInspector : public QObject {
    Q_OBJECT

private slots:
    void featureMapsShareOneScale() {
        // Channel 0 peaks at 4, channel 1 is dead, channel 2 is 2 everywhere.
        const Tensor output = filled({3, 2, 2}, [](int64_t i) {
            const int64_t c = i / 4;
            return c == 0 ? (i == 0 ? 4.0f : 0.0f) : c == 1 ? 0.0f : 2.0f;
        });
        const QList<Tile> tiles = featureMapTiles(output);
        QCOMPARE(tiles.size(), 3);
        QCOMPARE(tiles[0].image.size(), QSize(2, 2));
        QCOMPARE(qGray(tiles[0].image.pixel(0, 0)), 255);
        QCOMPARE(qGray(tiles[1].image.pixel(1, 1)), 0);
        QVERIFY(qAbs(qGray(tiles[2].image.pixel(0, 1)) - 128) <= 1);  // half the largest
        QCOMPARE(tiles[1].caption, QStringLiteral("channel 1"));
    }

    void negativeOutputsUseTheDivergingRamp() {
        const Tensor output = filled({1, 1, 3}, [](int64_t i) { return float(i) - 1.0f; });
        const QImage image = featureMapTiles(output)[0].image;
        QCOMPARE(image.pixel(0, 0), toQRgb(divergingColour(-1)));
        QCOMPARE(image.pixel(1, 0), qRgb(255, 255, 255));
        QCOMPARE(image.pixel(2, 0), qRgb(255, 0, 0));
    }

    void flatOutputsFillANearSquare() {
        const QList<Tile> tiles = featureMapTiles(filled({10}, [](int64_t i) { return float(i); }));
        QCOMPARE(tiles.size(), 1);
        QCOMPARE(tiles[0].image.size(), QSize(4, 3));  // 10 values: 4 a row, 3 rows
    }

    void filtersShowInColourOrPerChannel() {
        // 2 filters over RGB: filter 1 is all red (+1 on channel 0, -1 elsewhere).
        const Tensor colour = filled({2, 3, 3, 3}, [](int64_t i) {
            const int64_t o = i / 27, c = (i / 9) % 3;
            return o == 1 ? (c == 0 ? 1.0f : -1.0f) : 0.0f;
        });
        const QList<Tile> rgb = filterTiles(colour, 0);
        QCOMPARE(rgb.size(), 2);
        QCOMPARE(rgb[0].image.pixel(1, 1), qRgb(128, 128, 128));
        QCOMPARE(rgb[1].image.pixel(1, 1), qRgb(255, 0, 0));
        // 1 filter over 2 channels: each channel its own picture.
        const Tensor deep = filled({1, 2, 1, 1}, [](int64_t i) { return i == 0 ? 1.0f : -1.0f; });
        QCOMPARE(filterTiles(deep, 0)[0].image.pixel(0, 0), qRgb(255, 0, 0));
        QCOMPARE(filterTiles(deep, 1)[0].image.pixel(0, 0), qRgb(0, 0, 255));
    }

    void firstDenseUnitsArePictures() {
        // Unit 1 of 2 weighs pixel (x 2, y 1) of a 1x3x4 picture positively, nothing else.
        const Tensor kernel =
            filled({12, 2}, [](int64_t i) { return i == (1 * 4 + 2) * 2 + 1 ? 1.0f : 0.0f; });
        const QList<Tile> units = unitWeightTiles(kernel, Shape{1, 3, 4});
        QCOMPARE(units.size(), 2);
        QCOMPARE(units[1].image.size(), QSize(4, 3));
        QCOMPARE(units[1].image.pixel(2, 1), qRgb(255, 0, 0));
        QCOMPARE(units[1].image.pixel(0, 0), qRgb(255, 255, 255));
        QVERIFY(unitWeightTiles(kernel, Shape{1, 2, 2}).isEmpty());  // not this picture's
    }

    void showsALayerAndFollowsTheSlider() {
        LayerInspector inspector;
        inspector.resize(900, 600);
        InspectedLayer layer;
        layer.name = QStringLiteral("conv");
        layer.type = QStringLiteral("Conv2D");
        layer.outputShape = Shape{4, 5, 5};
        layer.output = filled({4, 5, 5}, [](int64_t i) { return float(i % 7); });
        layer.kernel = filled({4, 1, 3, 3}, [](int64_t i) { return float(i % 3) - 1.0f; });
        layer.sampleName = QStringLiteral("test sample 1");
        inspector.setLayer(layer);
        QCOMPARE(inspector.layerName(), QStringLiteral("conv"));
        QCOMPARE(inspector.shownTiles(), 4);
        QCOMPARE(inspector.currentSampleIndex(), -1);
        QCOMPARE(inspector.statisticShown(QStringLiteral("dead units")), QStringLiteral("–"));

        inspector.setSamples({sampleAt(10, 0.25), sampleAt(20, 0.5)});
        QCOMPARE(inspector.currentSampleIndex(), 1);  // the newest
        QCOMPARE(inspector.statisticShown(QStringLiteral("dead units")), QStringLiteral("50.0 %"));
        auto* slider = inspector.findChild<QSlider*>();
        slider->setValue(0);
        QCOMPARE(inspector.statisticShown(QStringLiteral("dead units")), QStringLiteral("25.0 %"));
        // A live sample does not move a slider the user moved back.
        inspector.addSample(sampleAt(30, 0.75));
        QCOMPARE(inspector.currentSampleIndex(), 0);
        slider->setValue(2);
        inspector.addSample(sampleAt(40, 1.0));
        QCOMPARE(inspector.currentSampleIndex(), 3);
        QCOMPARE(inspector.statisticShown(QStringLiteral("dead units")), QStringLiteral("100.0 %"));
    }
};

QTEST_MAIN(TestLayerInspector)
#include "TestLayerInspector.moc"
