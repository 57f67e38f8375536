// Deep dream and style transfer (engine/art): the gradients with respect to the picture
// checked by central differences in float64 on a small convolutional network, L-BFGS on
// Rosenbrock's function and an ill-conditioned quadratic, and, on scikit-image's photos with
// the real InceptionV3 (skipped, naming the fetch command, when it is not there): the dream
// objective rises, style transfer's loss falls tenfold in 100 L-BFGS iterations, L-BFGS beats
// Adam for the same number of evaluations, and a stop request ends a run at once.
//
// Environment: LOOM_PRETRAINED_DIR (see README "Pretrained networks"), LOOM_PHOTOS_DIR (default
// Debian python3-skimage's data folder). The style picture is scikit-image's ihc.png
// (immunohistochemistry staining of colonic glands, Center for Microscopy And Molecular
// Imaging; "no known copyright restrictions"), looked up there too.

#include "support/Expect.h"
#include "support/GradientCheck.h"

#include <loom/ArtImage.h>
#include <loom/DeepDream.h>
#include <loom/Error.h>
#include <loom/ImageFolder.h>
#include <loom/ImageLosses.h>
#include <loom/PixelPreprocessing.h>
#include <loom/StyleTransfer.h>

#include <QtTest>

#include <cmath>
#include <filesystem>
#include <optional>

using namespace loom;
using namespace loom::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSkimagePhotos = "/usr/lib/python3/dist-packages/skimage/data";

/// Input [3, 10, 10] -> conv (tanh) -> batch norm -> conv "middle" (tanh) -> average pool ->
/// conv "deep": smooth everywhere, so central differences need no kink handling, and the
/// batch normalisation runs backward in inference mode as it does in a pretrained network.
Graph smallNetwork() {
    Graph g;
    g.add("Input", "image", {{"shape", {3, 10, 10}}});
    g.add("Conv2D", "first",
          {{"filters", 4}, {"kernel_size", {3, 3}}, {"padding", "same"}, {"activation", "tanh"}},
          {"image"});
    g.add("BatchNormalization", "norm", {}, {"first"});
    g.add("Conv2D", "middle",
          {{"filters", 5}, {"kernel_size", {3, 3}}, {"padding", "same"}, {"activation", "tanh"}},
          {"norm"});
    g.add("AveragePool2D", "pool", {{"pool_size", {2, 2}}}, {"middle"});
    g.add("Conv2D", "deep", {{"filters", 3}, {"kernel_size", {3, 3}}, {"padding", "same"}},
          {"pool"});
    g.add("Flatten", "flat", {}, {"deep"});
    g.add("Dense", "head", {{"units", 2}}, {"flat"});
    g.build(7, DType::F64);
    Layer& norm = g.layer("norm");
    fillUniform(norm.findParameter("moving_mean")->value, 3, -0.2, 0.2);
    fillUniform(norm.findParameter("moving_variance")->value, 4, 0.5, 2.0);
    fillUniform(norm.findParameter("gamma")->value, 5, 0.5, 1.5);
    return g;
}

/// A random input [1, 3, 12, 14]: another size than the network was built for.
Tensor randomInput(uint64_t seed) {
    Tensor x = Tensor::empty(Shape{1, 3, 12, 14}, DType::F64);
    fillUniform(x, seed);
    return x;
}

void expectGradient(const std::string& what, Tensor& x, const Tensor& analytic,
                    const std::function<double()>& objective) {
    GradientCheckResult r = checkGradient(what, x, analytic, objective, 60, 1e-5, 1e-6);
    QVERIFY2(r.failure.empty(), r.failure.c_str());
    QVERIFY2(r.checked >= 40, (what + ": too few coordinates checked").c_str());
}

/// The style objective's gradient for one set of weights, checked over the pixels.
void checkStyleGradient(const std::string& what, double content, double style, double tv) {
    Graph g = smallNetwork();
    StyleSettings settings;
    settings.contentLayer = "deep";
    settings.styleLayers = {{"first", 1.0}, {"middle", 0.5}, {"deep", 2.0}};
    settings.contentWeight = content;
    settings.styleWeight = style;
    settings.tvWeight = tv;
    FeatureExtractor features(g, styleLayerNames(settings), cpuBackend());
    StyleObjective objective(features, settings, PixelScaling::MinusOneToOne, randomInput(11),
                             randomInput(12));
    Tensor x = randomInput(13);
    auto vector = [&] {
        return std::vector<double>(x.data<double>(), x.data<double>() + x.numel());
    };
    std::vector<double> gradient;
    const double loss = objective(vector(), gradient);
    QVERIFY(loss > 0);
    const Tensor analytic = Tensor::fromVector(x.shape(), gradient);
    std::vector<double> unused;
    expectGradient(what, x, analytic, [&] { return objective(vector(), unused); });
}

struct Quadratic {
    std::vector<double> diagonal, target;
    double operator()(const std::vector<double>& x, std::vector<double>& g) const {
        g.resize(x.size());
        double f = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            const double d = x[i] - target[i];
            f += 0.5 * diagonal[i] * d * d;
            g[i] = diagonal[i] * d;
        }
        return f;
    }
};

double rosenbrock(const std::vector<double>& x, std::vector<double>& g) {
    g.assign(x.size(), 0.0);
    double f = 0;
    for (size_t i = 0; i + 1 < x.size(); ++i) {
        const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        f += 100 * a * a + b * b;
        g[i] += -400 * x[i] * a - 2 * b;
        g[i + 1] += 200 * a;
    }
    return f;
}

/// Collects a run's events; asks for a stop after `stopAfter` pictures when given.
class Recorder : public ProgressSink {
public:
    explicit Recorder(RunControl* control = nullptr, int stopAfter = 0)
        : m_control(control), m_stopAfter(stopAfter) {}
    void report(const ProgressEvent& event) override {
        if (const auto* p = std::get_if<ImageProgress>(&event)) {
            losses.push_back(p->loss);
            lastImage = p->image;
            if (m_control && static_cast<int>(losses.size()) == m_stopAfter) {
                m_control->requestStop();
            }
        } else if (const auto* f = std::get_if<RunFinished>(&event)) {
            finished = *f;
        }
    }
    std::vector<double> losses;
    Tensor lastImage;
    std::optional<RunFinished> finished;

private:
    RunControl* m_control;
    int m_stopAfter;
};

std::string photo(const std::string& name) {
    const char* folder = std::getenv("LOOM_PHOTOS_DIR");
    for (const std::string& dir :
         {folder && *folder ? std::string(folder) : "", std::string(kSkimagePhotos)}) {
        if (!dir.empty() && fs::exists(dir + "/" + name)) {
            return dir + "/" + name;
        }
    }
    return "";
}

}  // namespace

class TestArt : public QObject {
    Q_OBJECT

private:
    std::optional<Graph> m_inception;
    std::string m_skipReason;
    Tensor m_chelsea, m_style;

    /// Skips the calling test unless the real network and photos are here.
    bool realDataMissing() {
        if (!m_skipReason.empty()) {
            return true;
        }
        return false;
    }

private slots:
    void initTestCase() {
        setCpuThreads(2);
        if (!imageFilesAvailable()) {
            m_skipReason = "this build reads no image files (no OpenCV)";
        } else if (photo("chelsea.png").empty() || photo("ihc.png").empty()) {
            m_skipReason = "no scikit-image photos (chelsea.png, ihc.png) in LOOM_PHOTOS_DIR or " +
                           std::string(kSkimagePhotos) + ": scripts/fetch-test-data.sh";
        } else {
            try {
                m_inception = loadPretrainedModel("inception_v3");
                m_chelsea = readRgbImage(photo("chelsea.png"));
                m_style = readRgbImage(photo("ihc.png"));
            } catch (const IoError& e) {
                m_skipReason = e.what();
            }
        }
    }

    // ---- the graph and the pictures ------------------------------------------------------

    void subgraphResizesAndSharesWeights() {
        Graph g = smallNetwork();
        Graph part = g.subgraph({"middle"}, {{"image", Shape{3, 12, 14}}});
        QCOMPARE(part.outputNames(), std::vector<std::string>{"middle"});
        QVERIFY(!part.contains("deep"));
        QCOMPARE(part.node("middle").outputShape, (Shape{5, 12, 14}));
        QVERIFY(part.layer("first").findParameter("kernel")->value.sharesStorageWith(
            g.layer("first").findParameter("kernel")->value));
        QString message = messageOf<ShapeError>([&] {
            g.subgraph({"head"}, {{"image", Shape{3, 12, 14}}});
        });
        QVERIFY2(message.contains("dense") || message.contains("head"), qPrintable(message));
        QVERIFY2(message.contains("choose layers before it"), qPrintable(message));
    }

    void resizeKeepsConstantsAndEdges() {
        Tensor flat = Tensor::full(Shape{3, 5, 7}, 42.0);
        Tensor resized = resizeImage(flat, 9, 4);
        QCOMPARE(resized.shape(), (Shape{3, 9, 4}));
        for (int64_t i = 0; i < resized.numel(); ++i) {
            QCOMPARE(resized.at(i), 42.0);
        }
        // A horizontal ramp stays a ramp, monotone, within the original's range.
        Tensor ramp = Tensor::empty(Shape{1, 1, 4});
        for (int64_t i = 0; i < 4; ++i) {
            ramp.set(i, double(i) * 10);
        }
        Tensor wide = resizeImage(ramp, 1, 8);
        QCOMPARE(wide.at(0), 0.0);
        QCOMPARE(wide.at(7), 30.0);
        for (int64_t i = 1; i < 8; ++i) {
            QVERIFY(wide.at(i) >= wide.at(i - 1));
        }
    }

    void preprocessingRoundTrips() {
        Tensor rgb = Tensor::empty(Shape{3, 2, 3});
        fillUniform(rgb, 9, 0.0, 255.0);
        for (PixelScaling scaling : {PixelScaling::MinusOneToOne, PixelScaling::CaffeBgr}) {
            Tensor input = toNetworkInput(rgb, scaling);
            QCOMPARE(input.shape(), (Shape{1, 3, 2, 3}));
            Tensor back = toRgbImage(input, scaling);
            for (int64_t i = 0; i < rgb.numel(); ++i) {
                QVERIFY(std::abs(back.at(i) - rgb.at(i)) < 1e-3);
            }
        }
        // Caffe: blue first, minus the ImageNet mean.
        QVERIFY(std::abs(toNetworkInput(rgb, PixelScaling::CaffeBgr).at(0) -
                         (rgb.at(12) - 103.939)) < 1e-3);
        QVERIFY(std::abs(toNetworkInput(rgb, PixelScaling::MinusOneToOne).at(0) -
                         (rgb.at(0) / 127.5 - 1)) < 1e-6);
    }

    void picturesAndSettingsAreSaved() {
        if (!imageFilesAvailable()) {
            QString message = messageOf<DataError>([] { readRgbImage("x.png"); });
            QVERIFY2(message.contains("unavailable in this build"), qPrintable(message));
            return;
        }
        Tensor rgb = Tensor::empty(Shape{3, 6, 9});
        fillUniform(rgb, 21, 0.0, 255.0);
        const std::string path = QDir::tempPath().toStdString() + "/loom-art-test.png";
        saveArtImage(rgb, path, {{"kind", "test"}});
        Tensor back = readRgbImage(path);
        QCOMPARE(back.shape(), rgb.shape());
        for (int64_t i = 0; i < rgb.numel(); ++i) {
            QVERIFY(std::abs(back.at(i) - std::round(rgb.at(i))) < 0.5);
        }
        QVERIFY(fs::exists(QDir::tempPath().toStdString() + "/loom-art-test.json"));
    }

    void missingModelNamesTheFetchCommand() {
        const QByteArray saved = qgetenv("LOOM_PRETRAINED_DIR");
        qputenv("LOOM_PRETRAINED_DIR", QDir::tempPath().toUtf8() + "/loom-no-such-folder");
        QString message = messageOf<IoError>([] { loadPretrainedModel("inception_v3"); });
        qputenv("LOOM_PRETRAINED_DIR", saved);
        QVERIFY2(message.contains("node examples/fetch_pretrained.js"), qPrintable(message));
        QVERIFY2(message.contains("inception_v3"), qPrintable(message));
    }

    // ---- gradients with respect to the picture ------------------------------------------

    void dreamGradientMatchesDifferences() {
        Graph g = smallNetwork();
        FeatureExtractor features(g, {"middle", "deep"}, cpuBackend());
        const std::vector<double> weights{0.7, 1.9};
        Tensor x = randomInput(1);
        Tensor analytic;
        dreamObjective(features, weights, x, &analytic);
        expectGradient("dream", x, analytic,
                       [&] { return dreamObjective(features, weights, x, nullptr); });
    }

    void contentGradientMatchesDifferences() { checkStyleGradient("content", 1.0, 0.0, 0.0); }
    void styleGradientMatchesDifferences() { checkStyleGradient("style", 0.0, 1.0, 0.0); }
    void totalVariationGradientMatchesDifferences() { checkStyleGradient("tv", 0.0, 0.0, 1.0); }
    void totalGradientMatchesDifferences() { checkStyleGradient("total", 0.025, 1.0, 1.0); }

    // ---- L-BFGS ----------------------------------------------------------------------------

    void lbfgsMinimisesRosenbrock_data() {
        QTest::addColumn<int>("search");
        QTest::addColumn<int>("maxIterations");
        QTest::newRow("strong Wolfe") << int(LineSearch::StrongWolfe) << 60;
        QTest::newRow("backtracking") << int(LineSearch::Backtracking) << 200;
    }

    void lbfgsMinimisesRosenbrock() {
        QFETCH(int, search);
        QFETCH(int, maxIterations);
        LbfgsOptions options;
        options.lineSearch = static_cast<LineSearch>(search);
        Lbfgs lbfgs(options);
        std::vector<double> x{-1.2, 1.0, -1.2, 1.0};
        double f = 0;
        int iterations = 0;
        while (iterations < maxIterations && !lbfgs.converged()) {
            f = lbfgs.step(rosenbrock, x);
            ++iterations;
        }
        for (double e : x) {
            QVERIFY2(std::abs(e - 1.0) < 1e-5,
                     qPrintable(QString("x = %1 after %2 iterations").arg(e).arg(iterations)));
        }
        QVERIFY(f < 1e-10);
    }

    void lbfgsSolvesAnIllConditionedQuadratic() {
        Quadratic q;
        for (int i = 0; i < 200; ++i) {
            q.diagonal.push_back(std::pow(1000.0, i / 199.0));  // condition number 1000
            q.target.push_back(std::sin(i));
        }
        Lbfgs lbfgs;
        std::vector<double> x(200, 0.0);
        // scipy's fmin_l_bfgs_b (history 10) on this problem: f = 1.5e-3 after 100
        // iterations (107 evaluations), the largest error 8e-5 after 200.
        double f = 0;
        for (int i = 0; i < 100; ++i) {
            f = lbfgs.step(q, x);
        }
        QVERIFY2(f < 2e-3 && lbfgs.evaluations() <= 115,
                 qPrintable(QString("f %1 after %2 evaluations").arg(f).arg(lbfgs.evaluations())));
        for (int i = 100; i < 300 && !lbfgs.converged(); ++i) {
            lbfgs.step(q, x);
        }
        double worst = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            worst = std::max(worst, std::abs(x[i] - q.target[i]));
        }
        QVERIFY2(worst < 1e-5, qPrintable(QString("largest error %1").arg(worst)));
    }

    // ---- the real InceptionV3 on real photos ---------------------------------------------

    void dreamObjectiveRises() {
        if (realDataMissing()) {
            QSKIP(m_skipReason.c_str());
        }
        DreamSettings settings;
        settings.octaves = 1;
        settings.iterations = 8;
        settings.maxLoss = 0;
        Recorder recorder;
        Tensor small = resizeImage(m_chelsea, 120, 180);
        Tensor dreamt = deepDream(*m_inception, cpuBackend(), small, settings, &recorder);
        QCOMPARE(int(recorder.losses.size()), 8);
        for (size_t i = 1; i < recorder.losses.size(); ++i) {
            QVERIFY2(recorder.losses[i] > recorder.losses[i - 1],
                     qPrintable(QString("step %1: %2 after %3")
                                    .arg(i + 1)
                                    .arg(recorder.losses[i])
                                    .arg(recorder.losses[i - 1])));
        }
        QVERIFY2(recorder.losses.back() > 1.5 * recorder.losses.front(),
                 qPrintable(
                     QString("%1 -> %2").arg(recorder.losses.front()).arg(recorder.losses.back())));
        QCOMPARE(dreamt.shape(), small.shape());
        QVERIFY(recorder.finished && recorder.finished->reason == RunFinished::Reason::Completed);
    }

    void styleLossFallsTenfold() {
        if (realDataMissing()) {
            QSKIP(m_skipReason.c_str());
        }
        StyleSettings settings;
        settings.height = 96;
        settings.iterations = 100;
        Recorder recorder;
        styleTransfer(*m_inception, cpuBackend(), m_chelsea, m_style, settings, &recorder);
        QVERIFY(recorder.losses.size() >= 50);
        const double first = recorder.losses.front(), last = recorder.losses.back();
        qInfo("style transfer, 96 px, %zu L-BFGS iterations: loss %g -> %g (%.1fx)",
              recorder.losses.size(), first, last, first / last);
        QVERIFY2(last * 10 <= first, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
    }

    void lbfgsBeatsAdamForTheSameEvaluations() {
        if (realDataMissing()) {
            QSKIP(m_skipReason.c_str());
        }
        StyleSettings settings;
        settings.height = 48;
        const ArtModelDefaults defaults = artModelDefaults(*m_inception);
        settings.contentLayer = defaults.contentLayer;
        settings.styleLayers = defaults.styleLayers;
        FeatureExtractor features(*m_inception, styleLayerNames(settings), cpuBackend());
        const auto [h, w] = styleOutputSize(settings, m_chelsea.dim(1), m_chelsea.dim(2));
        const Tensor content = toNetworkInput(resizeImage(m_chelsea, h, w), defaults.scaling);
        const Tensor style = toNetworkInput(resizeImage(m_style, h, w), defaults.scaling);
        StyleObjective objective(features, settings, defaults.scaling, content, style);
        const Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
            return objective(x, g);
        };
        const std::vector<double> start(content.data<float>(),
                                        content.data<float>() + content.numel());
        auto finalLoss = [&](PixelOptimizer& optimizer, int64_t evaluations) {
            std::vector<double> x = start, g;
            while (optimizer.evaluations() < evaluations && !optimizer.converged()) {
                optimizer.step(f, x);
            }
            return std::make_pair(f(x, g), optimizer.evaluations());
        };
        settings.optimizer = PixelOptimizerKind::Lbfgs;
        auto lbfgs = makePixelOptimizer(settings, defaults.scaling);
        const auto [lbfgsLoss, evaluations] = finalLoss(*lbfgs, 40);
        settings.optimizer = PixelOptimizerKind::Adam;
        auto adam = makePixelOptimizer(settings, defaults.scaling);
        const auto [adamLoss, adamEvaluations] = finalLoss(*adam, evaluations);
        qInfo("after %lld evaluations: L-BFGS %g, Adam %g", static_cast<long long>(evaluations),
              lbfgsLoss, adamLoss);
        QCOMPARE(adamEvaluations, evaluations);
        QVERIFY2(lbfgsLoss < adamLoss,
                 qPrintable(QString("L-BFGS %1, Adam %2").arg(lbfgsLoss).arg(adamLoss)));
    }

    void stopEndsARunAtOnce() {
        if (realDataMissing()) {
            QSKIP(m_skipReason.c_str());
        }
        RunControl control;
        Recorder recorder(&control, 2);
        DreamSettings settings;
        settings.iterations = 20;
        Tensor small = resizeImage(m_chelsea, 160, 240);
        deepDream(*m_inception, cpuBackend(), small, settings, &recorder, &control);
        QCOMPARE(int(recorder.losses.size()), 2);
        QVERIFY(recorder.finished && recorder.finished->reason == RunFinished::Reason::Stopped);
        QCOMPARE(recorder.lastImage.dim(0), int64_t{3});
    }
};

QTEST_APPLESS_MAIN(TestArt)
#include "TestArt.moc"
