// Explanations of one prediction. Known answers: a network wired to see only the top-left
// quadrant of its input must put (nearly) all saliency, occlusion and Grad-CAM mass there.
// Real data: W4 trained on Fashion-MNIST looks at the garment, not the background.

#include <loom/Explanations.h>
#include <loom/Idx.h>
#include <loom/Initializer.h>
#include <loom/ModelFile.h>
#include <loom/Trainer.h>

#include <QtTest>

#include <cmath>

using namespace loom;

namespace {

const char* const kFashionMnist = "/usr/share/datasets/fashion-mnist";
constexpr int64_t kSide = 8;

// Input [1, 8, 8] -> Flatten -> Dense(64, relu) that copies the top-left 4x4 pixels and zeroes
// the rest -> Reshape [1, 8, 8] -> Conv2D(2 filters, 1x1, relu) -> Flatten -> Dense(2,
// softmax) whose class 0 adds up every feature and class 1 ignores them.
Graph topLeftNetwork() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, kSide, kSide}}});
    g.add("Flatten", "flatten", {}, {"input"});
    g.add("Dense", "mask", {{"units", kSide * kSide}, {"activation", "relu"}}, {"flatten"});
    g.add("Reshape", "maps", {{"target_shape", {1, kSide, kSide}}}, {"mask"});
    g.add("Conv2D", "conv", {{"filters", 2}, {"kernel_size", {1, 1}}, {"activation", "relu"}},
          {"maps"});
    g.add("Flatten", "features", {}, {"conv"});
    g.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"features"});
    g.build(1);
    const int64_t pixels = kSide * kSide;
    std::vector<float> mask(size_t(pixels * pixels), 0);
    for (int64_t p = 0; p < pixels; ++p) {
        if (p / kSide < kSide / 2 && p % kSide < kSide / 2) {
            mask[size_t(p * pixels + p)] = 1;
        }
    }
    g.layer("mask").parameters()[0].value = Tensor::fromVector(Shape{pixels, pixels}, mask);
    g.layer("mask").parameters()[1].value = Tensor::zeros(Shape{pixels});
    g.layer("conv").parameters()[0].value =
        Tensor::fromVector(Shape{2, 1, 1, 1}, std::vector<float>{1.0f, 0.5f});
    g.layer("conv").parameters()[1].value = Tensor::zeros(Shape{2});
    std::vector<float> out(size_t(2 * pixels * 2), 0);
    for (int64_t f = 0; f < 2 * pixels; ++f) {
        out[size_t(f * 2)] = 0.1f;  // class 0's weight for feature f
    }
    g.layer("out").parameters()[0].value = Tensor::fromVector(Shape{2 * pixels, 2}, out);
    g.layer("out").parameters()[1].value = Tensor::zeros(Shape{2});
    return g;
}

Tensor topLeftMask() {
    Tensor mask = Tensor::zeros(Shape{kSide, kSide});
    for (int64_t p = 0; p < kSide * kSide; ++p) {
        mask.data<float>()[p] = p / kSide < kSide / 2 && p % kSide < kSide / 2 ? 1.0f : 0.0f;
    }
    return mask;
}

// Every pixel in [0.2, 1): the network sees something everywhere.
Tensor brightSample(uint64_t seed) {
    Rng rng(seed);
    Tensor x = Tensor::empty(Shape{1, 1, kSide, kSide});
    for (int64_t i = 0; i < x.numel(); ++i) {
        x.data<float>()[i] = float(rng.uniform(0.2, 1.0));
    }
    return x;
}

// The mask grown by one pixel in every direction (a 3x3 maximum).
Tensor grown(const Tensor& mask) {
    const int64_t height = mask.dim(0), width = mask.dim(1);
    Tensor out = Tensor::zeros(mask.shape());
    for (int64_t y = 0; y < height; ++y) {
        for (int64_t x = 0; x < width; ++x) {
            for (int64_t dy = -1; dy <= 1; ++dy) {
                for (int64_t dx = -1; dx <= 1; ++dx) {
                    const int64_t yy = y + dy, xx = x + dx;
                    if (yy >= 0 && xx >= 0 && yy < height && xx < width &&
                        mask.data<float>()[yy * width + xx] > 0) {
                        out.data<float>()[y * width + x] = 1;
                    }
                }
            }
        }
    }
    return out;
}

void requireMass(const Tensor& map, const Tensor& mask, double least, const char* what) {
    const double share = massFraction(map, mask);
    qInfo("%s: %.4f of the mass in the region", what, share);
    QVERIFY2(share > least, what);
}

}  // namespace

class TestExplanations : public QObject {
    Q_OBJECT

private slots:
    void topLeftNetworkIsExplainedByTheTopLeft();
    void classVisualisationRaisesTheScore();
    void outputsOfChosenLayers();
    void defaultGradCamLayerIsTheLastConvolution();
    void badRequestsAreRefused();
    void w4LooksAtTheGarment();
};

void TestExplanations::topLeftNetworkIsExplainedByTheTopLeft() {
    Graph g = topLeftNetwork();
    Explainer explainer(g, cpuBackend());
    const Tensor x = brightSample(3), mask = topLeftMask();
    QVERIFY(explainer.probabilities(x).data<float>()[0] > 0.5f);
    requireMass(explainer.saliency(x, 0), mask, 0.9, "saliency");
    SaliencyOptions smooth;
    smooth.smoothGradSamples = 16;
    requireMass(explainer.saliency(x, 0, smooth), mask, 0.9, "SmoothGrad");
    OcclusionOptions patches;
    patches.patch = 2;
    patches.stride = 2;
    requireMass(explainer.occlusion(x, 0, patches), mask, 0.9, "occlusion");
    const Tensor cam = explainer.gradCam(x, 0, "conv");
    QCOMPARE(cam.shape(), (Shape{kSide, kSide}));
    requireMass(cam, mask, 0.9, "Grad-CAM");
    // The explainer works on its own frozen copy: the model's weights have no gradients.
    QVERIFY(!g.layer("out").parameters()[0].grad.defined() ||
            g.layer("out").parameters()[0].grad.toVector() ==
                std::vector<float>(size_t(2 * kSide * kSide * 2), 0.0f));
}

void TestExplanations::classVisualisationRaisesTheScore() {
    Graph g = topLeftNetwork();
    Explainer explainer(g, cpuBackend());
    ClassVisualisationOptions options;
    options.steps = 30;
    const Tensor start = [&] {
        ClassVisualisationOptions none = options;
        none.steps = 0;
        return explainer.visualiseClass(0, none);
    }();
    const Tensor picture = explainer.visualiseClass(0, options);
    const float before = explainer.probabilities(start).data<float>()[0];
    const float after = explainer.probabilities(picture).data<float>()[0];
    qInfo("class 0: probability %.3f from noise, %.3f after 30 steps", before, after);
    QVERIFY(after > before + 0.1f);
    // Only the top-left pixels have a gradient: they brighten while the rest decay towards 0.
    double inside = 0, outside = 0;
    for (int64_t p = 0; p < kSide * kSide; ++p) {
        const double v = picture.data<float>()[p] - start.data<float>()[p];
        (topLeftMask().data<float>()[p] > 0 ? inside : outside) += v;
    }
    qInfo("mean change: %.3f in the top-left quadrant, %.3f elsewhere", inside / 16, outside / 48);
    QVERIFY(inside / 16 > 0.2 && outside / 48 < 0);
}

void TestExplanations::outputsOfChosenLayers() {
    Graph g = topLeftNetwork();
    Explainer explainer(g, cpuBackend());
    Tensor two = Tensor::empty(Shape{2, 1, kSide, kSide});
    for (int64_t i = 0; i < two.numel(); ++i) {
        two.data<float>()[i] = float(i % 7) / 7.0f;
    }
    const auto outputs = explainer.outputsOf(two, {"conv", "out"});
    QCOMPARE(outputs.at("conv").shape(), (Shape{2, 2, kSide, kSide}));
    QCOMPARE(outputs.at("out").shape(), (Shape{2, 2}));
    // Filter 1 is half of filter 0 (weights 1 and 0.5, no bias).
    const float* conv = outputs.at("conv").data<float>();
    for (int64_t p = 0; p < kSide * kSide; ++p) {
        QCOMPARE(conv[kSide * kSide + p], conv[p] * 0.5f);
    }
}

void TestExplanations::defaultGradCamLayerIsTheLastConvolution() {
    const QString examples = qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/";
    ModelFile w4 = readModelFile((examples + "w4_cnn.json").toStdString());
    w4.graph.validate();
    QCOMPARE(defaultGradCamLayer(w4.graph), std::string("conv2d_1"));
    ModelFile w2 = readModelFile((examples + "w2_mlp_fashion.json").toStdString());
    w2.graph.validate();
    QCOMPARE(defaultGradCamLayer(w2.graph), std::string());
}

void TestExplanations::badRequestsAreRefused() {
    Graph g = topLeftNetwork();
    Explainer explainer(g, cpuBackend());
    const Tensor x = brightSample(1);
    QVERIFY_THROWS_EXCEPTION(ConfigError, explainer.saliency(x, 2));
    QVERIFY_THROWS_EXCEPTION(ConfigError, explainer.gradCam(x, 0, "features"));
    QVERIFY_THROWS_EXCEPTION(ConfigError, explainer.gradCam(x, 0, "nothing"));
    QVERIFY_THROWS_EXCEPTION(GraphError, explainer.outputsOf(x, {"nothing"}));
    Graph flat;
    flat.add("Input", "input", {{"shape", {10}}});
    flat.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"input"});
    flat.build(1);
    QVERIFY_THROWS_EXCEPTION(ShapeError, Explainer(flat, cpuBackend()));
    QVERIFY_THROWS_EXCEPTION(ShapeError, Explainer(flat, cpuBackend(), Shape{1, 3, 4}));
    Explainer asPicture(flat, cpuBackend(), Shape{1, 2, 5});
    QCOMPARE(asPicture.saliency(Tensor::full(Shape{1, 10}, 0.5), 1).shape(), (Shape{2, 5}));
}

void TestExplanations::w4LooksAtTheGarment() {
    if (!QFile::exists(QString(kFashionMnist) + "/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    Dataset train = loadFashionMnist(kFashionMnist, false).subset(shuffledIndices(60000, 1));
    Dataset test = loadFashionMnist(kFashionMnist, true).subset(shuffledIndices(10000, 2));
    Normalization::divideBy(255.0).apply(train);
    Normalization::divideBy(255.0).apply(test);
    const QString examples = qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/w4_cnn.json";
    ModelFile w4 = readModelFile(examples.toStdString());
    ensureBuilt(w4);
    const Tensor initialFilters = w4.graph.layer("conv2d").parameters()[0].value.clone();
    w4.training.epochs = 1;
    Trainer trainer(w4.graph, w4.training);
    trainer.fit(train.subset(shuffledIndices(12000, 3)), nullptr);
    const EvaluationResult result = trainer.evaluate(test.subset(shuffledIndices(1000, 4)));
    qInfo("W4 after one epoch of 12,000 images: test accuracy %.3f",
          result.metrics ? result.metrics->accuracy() : NAN);

    // How far training moved the first layer's filters, relative to where they started.
    const std::vector<float> before = initialFilters.toVector(),
                             after = w4.graph.layer("conv2d").parameters()[0].value.toVector();
    double change = 0, size = 0;
    for (size_t i = 0; i < before.size(); ++i) {
        change += (after[i] - before[i]) * double(after[i] - before[i]);
        size += double(before[i]) * before[i];
    }
    qInfo("conv2d's filters moved by %.3f of their initial norm", std::sqrt(change / size));
    QVERIFY(std::sqrt(change / size) > 0.1);

    // Saliency and occlusion of the predicted class on 100 test images, as shares of their
    // mass on the garment (the pixels above zero) and on the garment with the one-pixel ring
    // around it, its outline: W4 reads the silhouette, and the pixels just outside it, where
    // ink would change the shape, carry much of the gradient.
    Explainer explainer(w4.graph, cpuBackend());
    const int64_t images = 100;
    double area = 0, onGarment = 0, withOutline = 0, occluded = 0;
    OcclusionOptions patches;
    patches.patch = 4;
    patches.stride = 2;
    for (int64_t i = 0; i < images; ++i) {
        const Tensor x = test.samples.slice(i, i + 1);
        const Tensor p = explainer.probabilities(x);
        const float* row = p.data<float>();
        const auto predicted = int64_t(std::max_element(row, row + 10) - row);
        const Tensor garment = x.reshape(Shape{28, 28});
        const Tensor outline = grown(garment);
        const std::vector<float> pixels = garment.toVector();
        area += double(std::count_if(pixels.begin(), pixels.end(), [](float v) { return v > 0; })) /
                784.0 / double(images);
        const Tensor saliency = explainer.saliency(x, predicted);
        onGarment += massFraction(saliency, garment) / double(images);
        withOutline += massFraction(saliency, outline) / double(images);
        occluded +=
            massFraction(explainer.occlusion(x, predicted, patches), garment) / double(images);
    }
    qInfo(
        "garment: %.3f of the pixels; saliency mass %.3f on it, %.3f on it with its outline; "
        "occlusion mass %.3f on it",
        area, onGarment, withOutline, occluded);
    QVERIFY(onGarment > area);
    QVERIFY(withOutline >= 0.8);
    QVERIFY(occluded >= 0.8);
}

QTEST_GUILESS_MAIN(TestExplanations)
#include "TestExplanations.moc"
