// Layer statistics and the health rules read from them: known answers on hand-built networks,
// agreement with a float64 reference, the trainer's sampling, and the round trip through the
// project file.

#include <loom/Dataset.h>
#include <loom/Idx.h>
#include <loom/LayerHealth.h>
#include <loom/ModelFile.h>
#include <loom/Project.h>
#include <loom/Trainer.h>

#include <QtTest>

#include <cmath>

using namespace loom;

namespace {

const char* const kFashionMnist = "/usr/share/datasets/fashion-mnist";

// Samples uniform in [0, 1) with random labels: enough to have gradients to measure.
Dataset randomData(int64_t n, int64_t features, int64_t classes, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> x(static_cast<size_t>(n * features)), y(static_cast<size_t>(n));
    for (float& v : x) {
        v = float(rng.uniform());
    }
    for (float& v : y) {
        v = float(rng.next() % uint64_t(classes));
    }
    Dataset d;
    d.samples = Tensor::fromVector(Shape{n, features}, x);
    d.targets = Tensor::fromVector(Shape{n}, y);
    for (int64_t c = 0; c < classes; ++c) {
        d.classNames.push_back(std::to_string(c));
    }
    return d;
}

TrainingConfig sampledEvery(int64_t every, const std::string& optimizer, double rate,
                            int64_t batch) {
    TrainingConfig c;
    c.optimizer = optimizer;
    c.optimizerParams = {{"learning_rate", rate}};
    c.batchSize = batch;
    c.epochs = 1;
    c.seed = 7;
    c.shuffle = false;
    c.statistics.every = every;
    return c;
}

const LayerStatistics& layerOf(const StatisticsSample& sample, const std::string& name) {
    for (const LayerStatistics& s : sample.layers) {
        if (s.layer == name) {
            return s;
        }
    }
    throw std::runtime_error("no statistics for layer " + name);
}

bool warns(const std::vector<LayerWarning>& warnings, const std::string& layer,
           LayerProblem problem) {
    return std::any_of(warnings.begin(), warnings.end(), [&](const LayerWarning& w) {
        return w.layer == layer && w.problem == problem;
    });
}

// An MLP of `depth` hidden Dense layers named hidden_0.. with one activation.
Graph deepMlp(int depth, const std::string& activation) {
    Graph g;
    g.add("Input", "input", {{"shape", {64}}});
    std::string last = "input";
    for (int i = 0; i < depth; ++i) {
        const std::string name = "hidden_" + std::to_string(i);
        g.add("Dense", name, {{"units", 64}, {"activation", activation}}, {last});
        last = name;
    }
    g.add("Dense", "output", {{"units", 10}, {"activation", "softmax"}}, {last});
    g.build(3);
    return g;
}

StatisticsSample firstSample(Graph& g, const TrainingConfig& config, const Dataset& data) {
    Trainer trainer(g, config);
    TrainingHistory h = trainer.fit(data, nullptr);
    if (h.statistics.empty()) {
        throw std::runtime_error("no statistics sample was taken");
    }
    return h.statistics.front();
}

void compareClose(double actual, double expected, double tolerance, const char* what) {
    QVERIFY2(std::abs(actual - expected) <= tolerance * std::max(1.0, std::abs(expected)),
             qPrintable(QString("%1: %2, expected %3").arg(what).arg(actual).arg(expected)));
}

}  // namespace

class TestLayerStatistics : public QObject {
    Q_OBJECT

private slots:
    void histogramBinsAndPercentiles();
    void statisticsAgreeWithFloat64Reference();
    void trainerSamplesAsConfigured();
    void reluWithLargeNegativeBiasIsAllDead();
    void deepSigmoidMlpHasVanishingGradients();
    void w4AtLearningRate1HasLargeUpdates();
    void statisticsRoundTripThroughProjectFile();
    void statisticsConfigIsChecked();
};

void TestLayerStatistics::histogramBinsAndPercentiles() {
    std::vector<float> values;
    for (int i = 0; i < 128; ++i) {
        values.push_back(float(i));
    }
    values.push_back(NAN);
    values.push_back(INFINITY);
    const Histogram h = Histogram::of(values.data(), int64_t(values.size()));
    QCOMPARE(h.low, 0.0);
    QCOMPARE(h.high, 127.0);
    QCOMPARE(h.total(), 128.0);  // NaN and Inf are not binned
    for (double count : h.counts) {
        QCOMPARE(count, 2.0);
    }
    compareClose(h.percentile(0.5), 63.5, 0.02, "median");
    compareClose(h.percentile(0.0), 0.0, 0.0, "minimum");
    compareClose(h.percentile(1.0), 127.0, 0.0, "maximum");
    const float same[3] = {2, 2, 2};
    const Histogram flat = Histogram::of(same, 3);
    QCOMPARE(flat.counts[0], 3.0);
    QCOMPARE(flat.percentile(0.5), 2.0);
    QCOMPARE(Histogram::of(values.data() + 128, 2).total(), 0.0);
}

void TestLayerStatistics::statisticsAgreeWithFloat64Reference() {
    // One SGD step of Input(6) -> Dense(5, tanh) -> Dense(3, softmax) on 8 samples, sampled,
    // against the same step worked out here in float64 from the weights before it.
    Graph g;
    g.add("Input", "input", {{"shape", {6}}});
    g.add("Dense", "hidden", {{"units", 5}, {"activation", "tanh"}}, {"input"});
    g.add("Dense", "out", {{"units", 3}, {"activation", "softmax"}}, {"hidden"});
    g.build(11);
    const int64_t n = 8, in = 6, mid = 5, classes = 3;
    const Dataset data = randomData(n, in, classes, 5);
    const std::vector<float> w1 = g.layer("hidden").parameters()[0].value.toVector();
    const std::vector<float> b1 = g.layer("hidden").parameters()[1].value.toVector();
    const std::vector<float> w2 = g.layer("out").parameters()[0].value.toVector();
    const std::vector<float> b2 = g.layer("out").parameters()[1].value.toVector();
    const double rate = 0.1;
    const StatisticsSample sample = firstSample(g, sampledEvery(1, "sgd", rate, n), data);
    QCOMPARE(sample.step, int64_t{1});
    QCOMPARE(sample.epoch, 1);
    QCOMPARE(sample.layers.size(), size_t(2));

    const std::vector<float> x = data.samples.toVector(), labels = data.targets.toVector();
    std::vector<double> h(size_t(n * mid)), d2(size_t(n * classes)), dz1(size_t(n * mid), 0);
    for (int64_t s = 0; s < n; ++s) {
        for (int64_t j = 0; j < mid; ++j) {
            double z = b1[size_t(j)];
            for (int64_t i = 0; i < in; ++i) {
                z += double(x[size_t(s * in + i)]) * w1[size_t(i * mid + j)];
            }
            h[size_t(s * mid + j)] = std::tanh(z);
        }
        std::vector<double> logits(static_cast<size_t>(classes));
        double largest = -INFINITY, sum = 0;
        for (int64_t c = 0; c < classes; ++c) {
            double z = b2[size_t(c)];
            for (int64_t j = 0; j < mid; ++j) {
                z += h[size_t(s * mid + j)] * w2[size_t(j * classes + c)];
            }
            logits[size_t(c)] = z;
            largest = std::max(largest, z);
        }
        for (double& z : logits) {
            z = std::exp(z - largest);
            sum += z;
        }
        for (int64_t c = 0; c < classes; ++c) {
            const double target = c == int64_t(labels[size_t(s)]) ? 1 : 0;
            d2[size_t(s * classes + c)] = (logits[size_t(c)] / sum - target) / double(n);
        }
        for (int64_t j = 0; j < mid; ++j) {
            double dh = 0;
            for (int64_t c = 0; c < classes; ++c) {
                dh += d2[size_t(s * classes + c)] * w2[size_t(j * classes + c)];
            }
            const double hv = h[size_t(s * mid + j)];
            dz1[size_t(s * mid + j)] = dh * (1 - hv * hv);
        }
    }
    // Squared norms of each layer's weights and of their gradients (x^T dz, summed dz).
    const auto layerNorms = [&](const std::vector<double>& input, int64_t inputs,
                                const std::vector<double>& dz, int64_t units,
                                const std::vector<float>& kernel, const std::vector<float>& bias) {
        double weights = 0, grads = 0;
        for (float v : kernel) {
            weights += double(v) * v;
        }
        for (float v : bias) {
            weights += double(v) * v;
        }
        for (int64_t u = 0; u < units; ++u) {
            double gb = 0;
            for (int64_t s = 0; s < n; ++s) {
                gb += dz[size_t(s * units + u)];
            }
            grads += gb * gb;
            for (int64_t i = 0; i < inputs; ++i) {
                double gk = 0;
                for (int64_t s = 0; s < n; ++s) {
                    gk += input[size_t(s * inputs + i)] * dz[size_t(s * units + u)];
                }
                grads += gk * gk;
            }
        }
        return std::pair{std::sqrt(weights), std::sqrt(grads)};
    };
    const std::vector<double> xd(x.begin(), x.end());
    const auto [hiddenWeights, hiddenGrads] = layerNorms(xd, in, dz1, mid, w1, b1);
    const auto [outWeights, outGrads] = layerNorms(h, mid, d2, classes, w2, b2);

    double mean = 0, saturated = 0;
    for (double v : h) {
        mean += v / double(h.size());
        saturated += std::abs(v) > 0.98 ? 1 : 0;
    }
    double variance = 0;
    for (double v : h) {
        variance += (v - mean) * (v - mean) / double(h.size());
    }
    const LayerStatistics& hidden = layerOf(sample, "hidden");
    compareClose(hidden.activationMean, mean, 1e-5, "activation mean");
    compareClose(hidden.activationStd, std::sqrt(variance), 1e-5, "activation std");
    compareClose(hidden.saturatedFraction, saturated / double(h.size()), 0, "saturated");
    QCOMPARE(hidden.deadFraction, 0.0);
    QCOMPARE(hidden.zeroFraction, 0.0);
    QCOMPARE(hidden.weightCount, in * mid + mid);
    compareClose(hidden.weightNorm, hiddenWeights, 1e-5, "hidden weight norm");
    compareClose(hidden.gradientNorm, hiddenGrads, 1e-4, "hidden gradient norm");
    // Plain SGD moves the weights by rate * gradient.
    compareClose(hidden.updateRatio, rate * hiddenGrads / hiddenWeights, 1e-4, "hidden update");
    const LayerStatistics& out = layerOf(sample, "out");
    compareClose(out.weightNorm, outWeights, 1e-5, "output weight norm");
    compareClose(out.gradientNorm, outGrads, 1e-4, "output gradient norm");
    compareClose(out.updateRatio, rate * outGrads / outWeights, 1e-4, "output update");
    QVERIFY(std::isnan(out.saturatedFraction));  // softmax: not a saturating unit here
    QCOMPARE(hidden.activations.total(), double(n * mid));
    QCOMPARE(hidden.weights.total(), double(in * mid + mid));
    QCOMPARE(hidden.gradients.total(), double(in * mid + mid));
    QCOMPARE(hidden.nonFinite, int64_t{0});
}

void TestLayerStatistics::trainerSamplesAsConfigured() {
    const Dataset data = randomData(40, 64, 10, 2);
    Graph g = deepMlp(1, "relu");
    ProgressQueue queue;
    Trainer trainer(g, sampledEvery(3, "sgd", 0.01, 4));
    TrainingHistory h = trainer.fit(data, nullptr, &queue);
    QCOMPARE(h.statistics.size(), size_t(4));  // steps 1, 3, 6 and 9 of 10
    QCOMPARE(h.statistics[0].step, int64_t{1});
    QCOMPARE(h.statistics[3].step, int64_t{9});
    int reported = 0;
    for (const ProgressEvent& e : queue.drain()) {
        reported += std::holds_alternative<StatisticsSample>(e) ? 1 : 0;
    }
    QCOMPARE(reported, 4);

    TrainingConfig off = sampledEvery(3, "sgd", 0.01, 4);
    off.statistics.enabled = false;
    Trainer quiet(g, off);
    QVERIFY(quiet.fit(data, nullptr).statistics.empty());
    // About 20 samples an epoch when not set.
    QCOMPARE(StatisticsConfig{}.interval(1875), int64_t{93});
    QCOMPARE(StatisticsConfig{}.interval(5), int64_t{1});
}

void TestLayerStatistics::reluWithLargeNegativeBiasIsAllDead() {
    Graph g;
    g.add("Input", "input", {{"shape", {64}}});
    g.add("Dense", "dead", {{"units", 16}, {"activation", "relu"}}, {"input"});
    g.add("Dense", "out", {{"units", 10}, {"activation", "softmax"}}, {"dead"});
    g.build(1);
    g.layer("dead").parameters()[1].value = Tensor::full(Shape{16}, -100.0);
    const StatisticsSample sample =
        firstSample(g, sampledEvery(1, "sgd", 0.01, 8), randomData(16, 64, 10, 4));
    const LayerStatistics& dead = layerOf(sample, "dead");
    QCOMPARE(dead.deadFraction, 1.0);
    QCOMPARE(dead.zeroFraction, 1.0);
    const std::vector<LayerWarning> warnings = assessHealth(sample);
    QVERIFY(warns(warnings, "dead", LayerProblem::DeadUnits));
    QVERIFY(!warns(warnings, "out", LayerProblem::DeadUnits));
    for (const LayerWarning& w : warnings) {
        qInfo("%s: %s: %s", w.layer.c_str(), problemName(w.problem), w.reason.c_str());
    }
}

void TestLayerStatistics::deepSigmoidMlpHasVanishingGradients() {
    const Dataset data = randomData(64, 64, 10, 9);
    Graph sigmoid = deepMlp(8, "sigmoid");
    const StatisticsSample sick = firstSample(sigmoid, sampledEvery(1, "sgd", 0.01, 32), data);
    const std::vector<LayerWarning> warnings = assessHealth(sick);
    qInfo("sigmoid: hidden_0's gradient RMS is %.3g of the output layer's",
          layerOf(sick, "hidden_0").gradientRms() / layerOf(sick, "output").gradientRms());
    QVERIFY(warns(warnings, "hidden_0", LayerProblem::VanishingGradients));
    QVERIFY(!warns(warnings, "hidden_7", LayerProblem::VanishingGradients));
    // The same depth with ReLU keeps its gradients.
    Graph relu = deepMlp(8, "relu");
    const StatisticsSample healthy = firstSample(relu, sampledEvery(1, "sgd", 0.01, 32), data);
    qInfo("relu: hidden_0's gradient RMS is %.3g of the output layer's",
          layerOf(healthy, "hidden_0").gradientRms() / layerOf(healthy, "output").gradientRms());
    QVERIFY(!warns(assessHealth(healthy), "hidden_0", LayerProblem::VanishingGradients));
}

void TestLayerStatistics::w4AtLearningRate1HasLargeUpdates() {
    if (!QFile::exists(QString(kFashionMnist) + "/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    Dataset pictures = loadFashionMnist(kFashionMnist, true).subset(shuffledIndices(320, 3));
    Normalization::divideBy(255.0).apply(pictures);
    const QString examples = qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/w4_cnn.json";
    const auto statisticsAt = [&](double rate) {
        ModelFile w4 = readModelFile(examples.toStdString());
        ensureBuilt(w4);
        TrainingConfig config = w4.training;
        config.optimizerParams["learning_rate"] = rate;
        config.batchSize = 32;
        config.epochs = 1;
        config.statistics.every = 1;
        Trainer trainer(w4.graph, config);
        const TrainingHistory h = trainer.fit(pictures, nullptr);
        qInfo("learning rate %g: %s", rate, h.finished.message.c_str());
        return h.statistics;
    };
    const std::vector<StatisticsSample> wild = statisticsAt(1.0);
    QVERIFY(!wild.empty());
    const LayerStatistics& conv = layerOf(wild.back(), "conv2d");
    qInfo("learning rate 1.0: conv2d's update ratio %.3g at step %lld", conv.updateRatio,
          static_cast<long long>(wild.back().step));
    QVERIFY(warns(assessHealth(wild.back()), "conv2d", LayerProblem::LargeUpdates));
    const std::vector<StatisticsSample> calm = statisticsAt(0.001);
    const LayerStatistics& calmConv = layerOf(calm.back(), "conv2d");
    qInfo("learning rate 0.001: conv2d's update ratio %.3g at step %lld", calmConv.updateRatio,
          static_cast<long long>(calm.back().step));
    QVERIFY(calmConv.updateRatio < conv.updateRatio / 10);
}

void TestLayerStatistics::statisticsRoundTripThroughProjectFile() {
    Project project;
    project.graph = deepMlp(2, "tanh");
    Trainer trainer(project.graph, sampledEvery(2, "adam", 0.001, 8));
    const TrainingHistory h = trainer.fit(randomData(48, 64, 10, 6), nullptr);
    QCOMPARE(h.statistics.size(), size_t(4));  // steps 1, 2, 4 and 6
    project.runs.push_back(makeRunRecord(project, h, {}, "2026-12-04T00:00:00Z"));
    QTemporaryDir dir;
    const std::string path = dir.filePath("stats.loom").toStdString();
    saveProject(project, path);
    const Project loaded = loadProject(path);
    QCOMPARE(loaded.runs.size(), size_t(1));
    const std::vector<StatisticsSample>& back = loaded.runs[0].statistics;
    QCOMPARE(back.size(), h.statistics.size());
    const auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
    for (size_t i = 0; i < back.size(); ++i) {
        QCOMPARE(back[i].step, h.statistics[i].step);
        QCOMPARE(back[i].epoch, h.statistics[i].epoch);
        QCOMPARE(back[i].layers.size(), h.statistics[i].layers.size());
        for (size_t l = 0; l < back[i].layers.size(); ++l) {
            const LayerStatistics &a = back[i].layers[l], &b = h.statistics[i].layers[l];
            QCOMPARE(a.layer, b.layer);
            for (auto [x, y] : {std::pair{a.activationMean, b.activationMean},
                                {a.activationStd, b.activationStd},
                                {a.zeroFraction, b.zeroFraction},
                                {a.deadFraction, b.deadFraction},
                                {a.saturatedFraction, b.saturatedFraction},
                                {a.weightNorm, b.weightNorm},
                                {a.gradientNorm, b.gradientNorm},
                                {a.updateRatio, b.updateRatio}}) {
                QVERIFY2(same(x, y), qPrintable(QString("%1 vs %2").arg(x).arg(y)));
            }
            QCOMPARE(a.weightCount, b.weightCount);
            QCOMPARE(a.nonFinite, b.nonFinite);
            for (auto [p, q] : {std::pair{&a.activations, &b.activations},
                                {&a.weights, &b.weights},
                                {&a.gradients, &b.gradients}}) {
                QCOMPARE(p->counts, q->counts);
                QCOMPARE(p->low, double(float(q->low)));
                QCOMPARE(p->high, double(float(q->high)));
            }
        }
    }
}

void TestLayerStatistics::statisticsConfigIsChecked() {
    const TrainingConfig c = TrainingConfig::fromJson({{"statistics", {{"every", 7}}}});
    QCOMPARE(c.statistics.every, int64_t{7});
    QVERIFY(c.statistics.enabled);
    QCOMPARE(TrainingConfig::fromJson(c.toJson()).statistics.every, int64_t{7});
    QVERIFY_THROWS_EXCEPTION(ConfigError,
                             TrainingConfig::fromJson({{"statistics", {{"every", -1}}}}));
    QVERIFY_THROWS_EXCEPTION(ConfigError,
                             TrainingConfig::fromJson({{"statistics", {{"often", true}}}}));
}

QTEST_GUILESS_MAIN(TestLayerStatistics)
#include "TestLayerStatistics.moc"
