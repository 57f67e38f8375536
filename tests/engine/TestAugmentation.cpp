// Augmentation: each transform against known values (flips of a gradient, a rotated bright
// pixel, shifts with every fill mode, zoom, shear and crop at hand-computed pixels, brightness
// and channel shift through both normalizations), seeded reproducibility independent of batch
// and thread split, the data section's options and their errors, and training with it on.

#include "support/Expect.h"

#include <loom/Augmentation.h>
#include <loom/BatchLoader.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Initializer.h>
#include <loom/Trainer.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

using namespace loom;
using loom::testing::messageOf;

namespace {

// One picture [channels, height, width] with pixel (c, x, y) = value(c, x, y).
std::vector<float> picture(int64_t channels, int64_t height, int64_t width,
                           const std::function<float(int64_t, int64_t, int64_t)>& value) {
    std::vector<float> p;
    for (int64_t c = 0; c < channels; ++c) {
        for (int64_t y = 0; y < height; ++y) {
            for (int64_t x = 0; x < width; ++x) {
                p.push_back(value(c, x, y));
            }
        }
    }
    return p;
}

// x + 10 y: bilinear interpolation reproduces it exactly between pixels.
std::vector<float> gradient(int64_t height, int64_t width) {
    return picture(1, height, width,
                   [](int64_t, int64_t x, int64_t y) { return static_cast<float>(x + 10 * y); });
}

std::vector<float> transformed(std::vector<float> pixels, int64_t channels, int64_t height,
                               int64_t width, const SampleTransform& t,
                               const AugmentationOptions& options = {},
                               const Normalization& normalization = {}) {
    Augmenter(options, normalization).transform(pixels.data(), channels, height, width, t);
    return pixels;
}

AugmentationOptions everything(uint64_t seed) {
    AugmentationOptions o;
    o.horizontalFlip = o.verticalFlip = true;
    o.rotationRange = 20;
    o.widthShiftRange = o.heightShiftRange = 0.1;
    o.zoomLow = 0.9;
    o.zoomHigh = 1.1;
    o.shearRange = 10;
    o.brightnessLow = 0.8;
    o.brightnessHigh = 1.2;
    o.channelShiftRange = 20;
    o.cropAreaLow = 0.6;
    o.fillMode = FillMode::Reflect;
    o.seed = seed;
    return o;
}

// n pictures [3, 8, 8] of seeded noise.
Tensor noisePictures(int64_t n) {
    std::vector<float> values(static_cast<size_t>(n * 3 * 8 * 8));
    Rng rng(7);
    for (float& v : values) {
        v = static_cast<float>(rng.next() % 1000) / 1000.0f;
    }
    return Tensor::fromVector(Shape{n, 3, 8, 8}, values);
}

Tensor augmented(const Augmenter& augmenter, Tensor samples, std::vector<int64_t> indices,
                 int64_t epoch) {
    augmenter.apply(samples, indices, epoch);
    return samples;
}

std::vector<float> sampleOf(const Tensor& batch, int64_t i) {
    const std::vector<float> all = batch.toVector();
    const int64_t size = batch.shape().withoutBatch().numel();
    return {all.begin() + i * size, all.begin() + (i + 1) * size};
}

// Two classes of 8x8 pictures: the top half bright, or the bottom half; left-right flips,
// small shifts and rotations keep the class.
Dataset halves(int64_t n, uint64_t seed) {
    Dataset d;
    std::vector<float> values, labels;
    Rng rng(seed);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t label = i % 2;
        std::vector<float> p = picture(1, 8, 8, [&](int64_t, int64_t, int64_t y) {
            const float noise = static_cast<float>(rng.next() % 100) / 250.0f;
            return ((y < 4) == (label == 0) ? 0.8f : 0.2f) + noise;
        });
        values.insert(values.end(), p.begin(), p.end());
        labels.push_back(static_cast<float>(label));
    }
    d.samples = Tensor::fromVector(Shape{n, 1, 8, 8}, values);
    d.targets = Tensor::fromVector(Shape{n}, labels);
    d.classNames = {"top", "bottom"};
    return d;
}

Graph picturesClassifier() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, 8, 8}}});
    g.add("Flatten", "flatten", {}, {"input"});
    g.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"flatten"});
    return g;
}

TrainingConfig adam(int epochs) {
    TrainingConfig c;
    c.optimizer = "adam";
    c.optimizerParams = {{"learning_rate", 0.01}};
    c.batchSize = 32;
    c.epochs = epochs;
    c.seed = 5;
    return c;
}

}  // namespace

class TestAugmentation : public QObject {
    Q_OBJECT

private slots:
    void optionsReadKerasNames();
    void badOptionsNameTheKey_data();
    void badOptionsNameTheKey();
    void flipsOfAGradient();
    void rotationOfABrightPixel();
    void shiftWithEachFillMode_data();
    void shiftWithEachFillMode();
    void zoomShearAndCropAtHandComputedPixels();
    void brightnessAndChannelShiftInRawUnits_data();
    void brightnessAndChannelShiftInRawUnits();
    void drawsStayInTheirRanges();
    void sameSeedSameImages();
    void independentOfBatchSplitAndThreads();
    void batchLoaderAugmentsAndPassesOnErrors();
    void loadDataReadsTheSection();
    void trainingWithAugmentationLearns();
};

void TestAugmentation::optionsReadKerasNames() {
    const auto json = nlohmann::json::parse(R"({
        "horizontal_flip": true, "vertical_flip": true, "rotation_range": 15,
        "width_shift_range": 0.1, "height_shift_range": 3, "zoom_range": 0.2,
        "shear_range": 12, "brightness_range": [0.5, 1.5], "channel_shift_range": 30,
        "fill_mode": "wrap", "cval": 128, "random_crop": [0.5, 0.9], "seed": 42})");
    const AugmentationOptions o = AugmentationOptions::fromJson(json);
    QVERIFY(o.horizontalFlip && o.verticalFlip);
    QCOMPARE(o.rotationRange, 15.0);
    QCOMPARE(o.widthShiftRange, 0.1);
    QCOMPARE(o.heightShiftRange, 3.0);
    QCOMPARE(o.zoomLow, 0.8);
    QCOMPARE(o.zoomHigh, 1.2);
    QCOMPARE(o.shearRange, 12.0);
    QCOMPARE(o.brightnessHigh, 1.5);
    QCOMPARE(o.channelShiftRange, 30.0);
    QCOMPARE(o.fillMode, FillMode::Wrap);
    QCOMPARE(o.cval, 128.0);
    QCOMPARE(o.cropAreaLow, 0.5);
    QCOMPARE(o.seed, uint64_t{42});
    QVERIFY(o.enabled());
    const AugmentationOptions back = AugmentationOptions::fromJson(o.toJson());
    QCOMPARE(back.toJson(), o.toJson());
    QCOMPARE(back.zoomHigh, 1.2);
    QCOMPARE(AugmentationOptions::fromJson(nlohmann::json::parse(R"({"zoom_range": [0.5, 2]})"))
                 .zoomHigh,
             2.0);
    QVERIFY(!AugmentationOptions::fromJson(nlohmann::json::object()).enabled());
    QVERIFY(!AugmentationOptions::fromJson(nullptr).enabled());
    QCOMPARE(AugmentationOptions{}.toJson(), nlohmann::json::object());
}

void TestAugmentation::badOptionsNameTheKey_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("rotation not a number")
        << R"({"rotation_range": "abc"})"
        << QStringList{
               "the data section's augmentation.rotation_range must be a number of "
               "degrees between 0 and 180, not \"abc\""};
    QTest::newRow("rotation too large")
        << R"({"rotation_range": 270})" << QStringList{"rotation_range", "not 270"};
    QTest::newRow("zoom 1 or more")
        << R"({"zoom_range": 1.5})" << QStringList{"zoom_range", "[1 - z, 1 + z]", "1.5"};
    QTest::newRow("zoom reversed")
        << R"({"zoom_range": [2, 1]})" << QStringList{"zoom_range", "not [2,1]"};
    QTest::newRow("brightness not a pair")
        << R"({"brightness_range": 2})" << QStringList{"brightness_range", "[low, high]"};
    QTest::newRow("fill mode") << R"({"fill_mode": "mirror"})"
                               << QStringList{"fill_mode", "\"reflect\"", "\"mirror\""};
    QTest::newRow("crop of nothing")
        << R"({"random_crop": [0, 0.5]})" << QStringList{"random_crop", "0 < min <= max <= 1"};
    QTest::newRow("flip not a boolean")
        << R"({"horizontal_flip": "yes"})" << QStringList{"horizontal_flip", "true or false"};
    QTest::newRow("negative seed") << R"({"seed": -1})" << QStringList{"seed", "whole number"};
    QTest::newRow("shear of 90") << R"({"shear_range": 90})" << QStringList{"shear_range", "90"};
    QTest::newRow("unknown key") << R"({"rotation": 10})"
                                 << QStringList{"no setting 'rotation'", "rotation_range",
                                                "random_crop", "fill_mode"};
    QTest::newRow("not an object")
        << R"([1, 2])" << QStringList{"augmentation must be an object", "[1,2]"};
}

void TestAugmentation::badOptionsNameTheKey() {
    QFETCH(QString, json);
    QFETCH(QStringList, expected);
    const QString message = messageOf<DataError>(
        [&] { AugmentationOptions::fromJson(nlohmann::json::parse(json.toStdString())); });
    for (const QString& part : expected) {
        QVERIFY2(message.contains(part), qPrintable(message));
    }
}

void TestAugmentation::flipsOfAGradient() {
    const std::vector<float> image = gradient(4, 5);
    SampleTransform horizontal;
    horizontal.flipHorizontal = true;
    QCOMPARE(transformed(image, 1, 4, 5, horizontal),
             picture(1, 4, 5, [](int64_t, int64_t x, int64_t y) {
                 return static_cast<float>((4 - x) + 10 * y);
             }));
    SampleTransform vertical;
    vertical.flipVertical = true;
    QCOMPARE(transformed(image, 1, 4, 5, vertical),
             picture(1, 4, 5, [](int64_t, int64_t x, int64_t y) {
                 return static_cast<float>(x + 10 * (3 - y));
             }));
}

void TestAugmentation::rotationOfABrightPixel() {
    // One pixel above the centre of a 5x5 picture.
    const std::vector<float> image = picture(
        1, 5, 5, [](int64_t, int64_t x, int64_t y) { return x == 2 && y == 0 ? 1.0f : 0.0f; });
    auto brightAt = [](int64_t bx, int64_t by) {
        return picture(1, 5, 5, [&](int64_t, int64_t x, int64_t y) {
            return x == bx && y == by ? 1.0f : 0.0f;
        });
    };
    SampleTransform t;
    t.rotation = 90;  // counter-clockwise: above the centre goes left of it
    QCOMPARE(transformed(image, 1, 5, 5, t), brightAt(0, 2));
    t.rotation = -90;
    QCOMPARE(transformed(image, 1, 5, 5, t), brightAt(4, 2));
    t.rotation = 180;
    QCOMPARE(transformed(image, 1, 5, 5, t), brightAt(2, 4));
}

void TestAugmentation::shiftWithEachFillMode_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<QList<float>>("row");
    // Rows 1..6 shifted two pixels right; the two left pixels come from outside.
    QTest::newRow("nearest") << int(FillMode::Nearest) << QList<float>{1, 1, 1, 2, 3, 4};
    QTest::newRow("reflect") << int(FillMode::Reflect) << QList<float>{2, 1, 1, 2, 3, 4};
    QTest::newRow("wrap") << int(FillMode::Wrap) << QList<float>{5, 6, 1, 2, 3, 4};
    QTest::newRow("constant") << int(FillMode::Constant) << QList<float>{51, 51, 1, 2, 3, 4};
}

void TestAugmentation::shiftWithEachFillMode() {
    QFETCH(int, mode);
    QFETCH(QList<float>, row);
    // Pixel values divided by 255, as the data section's divide_255 does; cval is raw.
    const Normalization divide = Normalization::divideBy(255);
    const std::vector<float> image = picture(
        1, 3, 6, [](int64_t, int64_t x, int64_t) { return static_cast<float>(x + 1) / 255; });
    AugmentationOptions options;
    options.fillMode = static_cast<FillMode>(mode);
    options.cval = 51;
    SampleTransform t;
    t.shiftX = 2;
    const std::vector<float> out = transformed(image, 1, 3, 6, t, options, divide);
    for (int64_t y = 0; y < 3; ++y) {
        for (int64_t x = 0; x < 6; ++x) {
            const float value = out[static_cast<size_t>(y * 6 + x)];
            QVERIFY2(std::abs(value * 255 - row[x]) < 1e-4,
                     qPrintable(QString("pixel (%1, %2): %3").arg(x).arg(y).arg(value * 255)));
        }
    }
}

void TestAugmentation::zoomShearAndCropAtHandComputedPixels() {
    auto at = [](const std::vector<float>& p, int64_t width, int64_t x, int64_t y) {
        return p[static_cast<size_t>(y * width + x)];
    };
    const std::vector<float> image = gradient(5, 5);
    // Zoom 0.5 magnifies about the centre (2, 2): output p reads input 2 + (p - 2) / 2.
    SampleTransform zoom;
    zoom.zoomX = zoom.zoomY = 0.5;
    const std::vector<float> zoomed = transformed(image, 1, 5, 5, zoom);
    QCOMPARE(at(zoomed, 5, 2, 2), 22.0f);
    QCOMPARE(at(zoomed, 5, 4, 4), 33.0f);
    QCOMPARE(at(zoomed, 5, 3, 2), 22.5f);
    QCOMPARE(at(zoomed, 5, 1, 4), 31.5f);
    // Keras 2's shear of 30 degrees: input x = 2 + cos 30 (x - 2), y = y - sin 30 (x - 2).
    // OpenCV places the input to 1/32 of a pixel: within 0.02 of x + 10 y.
    SampleTransform shear;
    shear.shear = 30;
    const std::vector<float> sheared = transformed(image, 1, 5, 5, shear);
    const double c = std::cos(M_PI / 6);
    QVERIFY(std::abs(at(sheared, 5, 4, 2) - (2 + 2 * c + 10 * 1)) < 0.02);
    QVERIFY(std::abs(at(sheared, 5, 0, 2) - (2 - 2 * c + 10 * 3)) < 0.02);
    QVERIFY(std::abs(at(sheared, 5, 3, 3) - (2 + c + 10 * 2.5)) < 0.02);
    QCOMPARE(at(sheared, 5, 2, 1), 12.0f);  // the centre column stays
    // A crop of half the side at (1, 2) of an 8x8 picture, resized back: output p reads input
    // corner + (p + 0.5) / 2 - 0.5.
    SampleTransform crop;
    crop.cropScale = 0.5;
    crop.cropX = 1;
    crop.cropY = 2;
    const std::vector<float> cropped = transformed(gradient(8, 8), 1, 8, 8, crop);
    QCOMPARE(at(cropped, 8, 0, 0), 0.75f + 17.5f);
    QCOMPARE(at(cropped, 8, 2, 2), 1.75f + 27.5f);
    QCOMPARE(at(cropped, 8, 7, 7), 4.25f + 52.5f);
}

void TestAugmentation::brightnessAndChannelShiftInRawUnits_data() {
    QTest::addColumn<bool>("meanStd");
    QTest::newRow("divide_255") << false;
    QTest::newRow("mean_std") << true;
}

void TestAugmentation::brightnessAndChannelShiftInRawUnits() {
    QFETCH(bool, meanStd);
    Normalization n = Normalization::divideBy(255);
    if (meanStd) {
        n.kind = Normalization::Kind::MeanStd;
        n.mean = {50, 100, 150};
        n.stddev = {20, 40, 60};
    }
    auto normalized = [&](int64_t c, double raw) {
        return static_cast<float>(meanStd ? (raw - n.mean[static_cast<size_t>(c)]) /
                                                n.stddev[static_cast<size_t>(c)]
                                          : raw / 255);
    };
    // Three channels of two pixels, raw 0 and 200.
    auto raw = [](int64_t, int64_t x, int64_t) { return x == 0 ? 0.0 : 200.0; };
    const std::vector<float> image = picture(
        3, 1, 2, [&](int64_t c, int64_t x, int64_t y) { return normalized(c, raw(c, x, y)); });
    SampleTransform t;
    t.brightness = 1.5;
    t.channelShift = 10;
    const std::vector<float> out = transformed(image, 3, 1, 2, t, {}, n);
    const std::vector<float> expected = picture(3, 1, 2, [&](int64_t c, int64_t x, int64_t y) {
        return normalized(c, 1.5 * (raw(c, x, y) + 10));
    });
    for (size_t i = 0; i < out.size(); ++i) {
        QVERIFY2(std::abs(out[i] - expected[i]) < 1e-5,
                 qPrintable(QString("%1: %2, not %3").arg(i).arg(out[i]).arg(expected[i])));
    }
}

void TestAugmentation::drawsStayInTheirRanges() {
    const Augmenter a(everything(3), {});
    int flips = 0;
    for (int64_t i = 0; i < 1000; ++i) {
        const SampleTransform t = a.draw(0, i, 20, 40);
        flips += t.flipHorizontal ? 1 : 0;
        QVERIFY(std::abs(t.rotation) <= 20 && std::abs(t.shear) <= 10);
        QVERIFY(std::abs(t.shiftX) <= 4 && std::abs(t.shiftY) <= 2);
        QVERIFY(t.zoomX >= 0.9 && t.zoomX <= 1.1 && t.zoomY >= 0.9 && t.zoomY <= 1.1);
        QVERIFY(t.brightness >= 0.8 && t.brightness <= 1.2 && std::abs(t.channelShift) <= 20);
        QVERIFY(t.cropScale >= std::sqrt(0.6) && t.cropScale <= 1);
        QVERIFY(t.cropX >= 0 && t.cropX + 40 * t.cropScale <= 40);
        QVERIFY(t.cropY >= 0 && t.cropY + 20 * t.cropScale <= 20);
    }
    QVERIFY2(flips > 430 && flips < 570, qPrintable(QString::number(flips)));
    // Shift ranges from 1 on are pixels.
    AugmentationOptions pixels;
    pixels.widthShiftRange = 3;
    const Augmenter p(pixels, {});
    double largest = 0;
    for (int64_t i = 0; i < 200; ++i) {
        largest = std::max(largest, std::abs(p.draw(0, i, 20, 40).shiftX));
    }
    QVERIFY(largest > 2.5 && largest <= 3);
}

void TestAugmentation::sameSeedSameImages() {
    const Tensor input = noisePictures(16);
    std::vector<int64_t> indices(16);
    std::iota(indices.begin(), indices.end(), int64_t{0});
    const Tensor first = augmented(Augmenter(everything(1), {}), input.clone(), indices, 3);
    const Tensor again = augmented(Augmenter(everything(1), {}), input.clone(), indices, 3);
    QCOMPARE(std::memcmp(first.raw(), again.raw(), first.bytes()), 0);
    QVERIFY(first.toVector() != input.toVector());
    const Tensor otherSeed = augmented(Augmenter(everything(2), {}), input.clone(), indices, 3);
    const Tensor otherEpoch = augmented(Augmenter(everything(1), {}), input.clone(), indices, 4);
    for (int64_t i = 0; i < 16; ++i) {
        QVERIFY(sampleOf(otherSeed, i) != sampleOf(first, i));
        QVERIFY(sampleOf(otherEpoch, i) != sampleOf(first, i));
    }
}

void TestAugmentation::independentOfBatchSplitAndThreads() {
    const Tensor input = noisePictures(12);
    std::vector<int64_t> indices(12);
    std::iota(indices.begin(), indices.end(), int64_t{100});
    const Tensor whole = augmented(Augmenter(everything(9), {}, 2), input.clone(), indices, 1);
    // One at a time on one thread, and in reverse order on three.
    const Augmenter single(everything(9), {}, 1);
    for (int64_t i = 0; i < 12; ++i) {
        std::vector<float> one = sampleOf(input, i);
        const Tensor alone = augmented(single, Tensor::fromVector(Shape{1, 3, 8, 8}, one),
                                       {indices[static_cast<size_t>(i)]}, 1);
        QCOMPARE(alone.toVector(), sampleOf(whole, i));
    }
    std::vector<float> reversed;
    for (int64_t i = 11; i >= 0; --i) {
        const std::vector<float> s = sampleOf(input, i);
        reversed.insert(reversed.end(), s.begin(), s.end());
    }
    const Tensor backwards =
        augmented(Augmenter(everything(9), {}, 3), Tensor::fromVector(Shape{12, 3, 8, 8}, reversed),
                  std::vector<int64_t>(indices.rbegin(), indices.rend()), 1);
    for (int64_t i = 0; i < 12; ++i) {
        QCOMPARE(sampleOf(backwards, 11 - i), sampleOf(whole, i));
    }
}

void TestAugmentation::batchLoaderAugmentsAndPassesOnErrors() {
    Dataset d;
    d.samples = noisePictures(10);
    d.targets = Tensor::zeros(Shape{10});
    d.classNames = {"only"};
    const Augmenter augmenter(everything(4), {});
    std::vector<int64_t> order{3, 1, 4, 0, 5, 9, 2, 6, 8, 7};
    BatchLoader loader(d, order, 4, TargetForm::ClassIndex, &augmenter, 2);
    Batch batch;
    int64_t begin = 0;
    while (loader.next(batch)) {
        const int64_t size = batch.samples.dim(0);
        const std::vector<int64_t> rows(order.begin() + begin, order.begin() + begin + size);
        const Tensor expected = augmented(augmenter, d.subset(rows).samples, rows, 2);
        QCOMPARE(batch.samples.toVector(), expected.toVector());
        begin += size;
    }
    QCOMPARE(begin, int64_t{10});
    // Flat samples cannot be augmented: the loader thread's error reaches the caller.
    Dataset flat = d;
    flat.samples = d.samples.reshape(Shape{10, 192});
    BatchLoader failing(flat, order, 4, TargetForm::ClassIndex, &augmenter, 0);
    QVERIFY(messageOf<DataError>([&] { failing.next(batch); }).contains("needs pictures"));
    QVERIFY(!failing.next(batch));
}

void TestAugmentation::loadDataReadsTheSection() {
    QTemporaryDir dir;
    const std::string csv = (dir.path() + "/pictures.csv").toStdString();
    {
        QFile f(QString::fromStdString(csv));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("a,b,c,d,label\n0,50,100,150,x\n10,20,30,40,y\n200,0,0,0,x\n");
    }
    nlohmann::json section = {{"source", "csv:" + csv},
                              {"label_column", "label"},
                              {"normalization", "divide_255"},
                              {"augmentation", {{"horizontal_flip", true}, {"cval", 3}}}};
    const LoadedData data = loadData("", section, Shape{1, 2, 2});
    QVERIFY(data.augmentation.has_value());
    QVERIFY(data.augmentation->horizontalFlip);
    QCOMPARE(data.augmentation->cval, 3.0);

    section["augmentation"] = nlohmann::json::object();
    QVERIFY(!loadData("", section, Shape{1, 2, 2}).augmentation);
    section.erase("augmentation");
    QVERIFY(!loadData("", section, Shape{1, 2, 2}).augmentation);

    section["augmentation"] = {{"rotation_range", "abc"}};
    QVERIFY(messageOf<DataError>([&] {
                loadData("", section, Shape{1, 2, 2});
            }).contains("augmentation.rotation_range"));
    // A flat model input gets flat samples, which no picture transform fits.
    section["augmentation"] = {{"vertical_flip", true}};
    const QString flat = messageOf<DataError>([&] { loadData("", section, Shape{4}); });
    QVERIFY2(flat.contains("needs pictures") && flat.contains("(4,)"), qPrintable(flat));
}

void TestAugmentation::trainingWithAugmentationLearns() {
    const Dataset train = halves(256, 1), validation = halves(64, 2);
    AugmentationOptions options;
    options.horizontalFlip = true;
    options.rotationRange = 10;
    options.widthShiftRange = options.heightShiftRange = 0.1;
    options.zoomLow = 0.9;
    options.zoomHigh = 1.1;
    options.seed = 11;

    Graph plain = picturesClassifier();
    Trainer without(plain, adam(8));
    const TrainingHistory unaugmented = without.fit(train, &validation);

    Graph g = picturesClassifier();
    Trainer trainer(g, adam(8));
    const double before = trainer.evaluate(validation).loss;
    trainer.setAugmentation(options, {});
    // Evaluation is never augmented: the same weights give the same loss.
    QCOMPARE(trainer.evaluate(validation).loss, before);
    const TrainingHistory history = trainer.fit(train, &validation);
    QCOMPARE(history.finished.reason, RunFinished::Reason::Completed);
    const EpochProgress& last = history.epochs.back();
    QVERIFY2(last.validationAccuracy > 0.95, qPrintable(QString::number(last.validationAccuracy)));
    // Validation saw the samples as they are; training saw them changed.
    QCOMPARE(last.validationLoss, trainer.evaluate(validation).loss);
    QVERIFY(last.loss != unaugmented.epochs.back().loss);
}

QTEST_GUILESS_MAIN(TestAugmentation)
#include "TestAugmentation.moc"
