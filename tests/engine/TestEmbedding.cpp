// 2-D maps of points. Known answers: PCA finds the axes and variances of a Gaussian with a known
// covariance, and its Gram path (D > N) gives the covariance path's axes; Barnes-Hut with theta
// 0 is the exact t-SNE gradient. Behaviour: t-SNE separates clusters that PCA's map mixes, on
// synthetic clusters and on Fashion-MNIST images; it is reproducible; it stops and pauses when
// told; bad input is refused with a reason.

#include <loom/Embedding.h>
#include <loom/Error.h>
#include <loom/Idx.h>
#include <loom/Initializer.h>
#include <loom/Progress.h>

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

using namespace loom;

namespace {

const char* const kFashionMnist = "/usr/share/datasets/fashion-mnist";

// d orthonormal rows: Gram-Schmidt on Gaussian vectors, so a random rotation of R^d.
std::vector<std::vector<double>> randomRotation(int64_t d, Rng& rng) {
    std::vector<std::vector<double>> rows;
    while (int64_t(rows.size()) < d) {
        std::vector<double> v(static_cast<size_t>(d));
        for (double& x : v) {
            x = rng.normal(0, 1);
        }
        for (const auto& r : rows) {
            double dot = 0;
            for (int64_t i = 0; i < d; ++i) {
                dot += v[size_t(i)] * r[size_t(i)];
            }
            for (int64_t i = 0; i < d; ++i) {
                v[size_t(i)] -= dot * r[size_t(i)];
            }
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        for (double& x : v) {
            x /= std::sqrt(norm);
        }
        rows.push_back(v);
    }
    return rows;
}

// Points along the first directions of `axes` with these standard deviations, plus isotropic
// noise and an offset: their covariance is known.
Tensor gaussianAlong(const std::vector<std::vector<double>>& axes,
                     const std::vector<double>& deviations, double noise, int64_t n, Rng& rng) {
    const auto d = int64_t(axes.front().size());
    Tensor x = Tensor::empty(Shape{n, d});
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < d; ++j) {
            x.data<float>()[i * d + j] = float(j + 1 + rng.normal(0, noise));
        }
        for (size_t k = 0; k < deviations.size(); ++k) {
            const double z = rng.normal(0, deviations[k]);
            for (int64_t j = 0; j < d; ++j) {
                x.data<float>()[i * d + j] += float(z * axes[k][size_t(j)]);
            }
        }
    }
    return x;
}

// Five clusters of 100 points in 50-D, with noise of standard deviation 1 everywhere. Cluster c
// is shifted by 3 along its own 9 dimensions (2 + 9c ...), so that in 50-D its points are each
// other's nearest neighbours; all of them also spread with deviation 7 along dimensions 0 and
// 1, the largest variance there is, so PCA's 2-D map shows that spread and mixes the clusters.
Tensor clusters(std::vector<int>& labels, int64_t perCluster = 100, uint64_t seed = 5) {
    constexpr int64_t kClusters = 5, kD = 50;
    Rng rng(seed);
    Tensor x = Tensor::empty(Shape{kClusters * perCluster, kD});
    labels.clear();
    for (int64_t i = 0; i < x.dim(0); ++i) {
        const auto c = int(i % kClusters);
        labels.push_back(c);
        for (int64_t j = 0; j < kD; ++j) {
            const bool own = j >= 2 + 9 * c && j < 2 + 9 * (c + 1);
            x.data<float>()[i * kD + j] = float(rng.normal(own ? 3 : 0, j < 2 ? 7 : 1));
        }
    }
    return x;
}

struct Agreement {
    double vote;   ///< points whose 10 nearest neighbours' majority class is their own
    double share;  ///< the mean share of a point's 10 nearest neighbours in its class
};

// Over the map's points (any number of columns), leaving each point out of its own neighbours.
// A tied vote goes to the tied class of the nearest neighbour.
Agreement neighbourAgreement(const Tensor& map, const std::vector<int>& labels) {
    constexpr int kK = 10;
    const int64_t n = map.dim(0), d = map.dim(1);
    const float* p = map.data<float>();
    Agreement total{0, 0};
    for (int64_t i = 0; i < n; ++i) {
        std::vector<std::pair<double, int64_t>> near;
        for (int64_t j = 0; j < n; ++j) {
            double d2 = 0;
            for (int64_t c = 0; c < d && j != i; ++c) {
                d2 += (p[i * d + c] - p[j * d + c]) * (p[i * d + c] - p[j * d + c]);
            }
            if (j != i) {
                near.emplace_back(d2, j);
            }
        }
        std::partial_sort(near.begin(), near.begin() + kK, near.end());
        std::vector<int> votes(size_t(*std::max_element(labels.begin(), labels.end()) + 1), 0);
        for (int t = 0; t < kK; ++t) {
            votes[size_t(labels[size_t(near[size_t(t)].second)])] += 1;
        }
        int best = -1;
        for (int t = 0; t < kK; ++t) {
            const int c = labels[size_t(near[size_t(t)].second)];
            if (best < 0 || votes[size_t(c)] > votes[size_t(best)]) {
                best = c;
            }
        }
        total.vote += best == labels[size_t(i)] ? 1.0 / double(n) : 0.0;
        total.share += votes[size_t(labels[size_t(i)])] / double(kK * n);
    }
    return total;
}

bool allFinite(const Tensor& t) {
    const std::vector<float> v = t.toVector();
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

template <typename E, typename F>
QString errorOf(F&& call) {
    try {
        call();
    } catch (const E& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// The t-SNE gradient and KL divergence summed over every pair, straight from the formulas.
std::vector<double> exactGradient(const detail::TsneAffinities& p, const std::vector<double>& y,
                                  double exaggeration, double& kl) {
    const auto n = int64_t(y.size() / 2);
    std::vector<double> dense(size_t(n * n), 0.0), w(size_t(n * n), 0.0), gradient(y.size(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t e = p.rowStart[size_t(i)]; e < p.rowStart[size_t(i + 1)]; ++e) {
            dense[size_t(i * n + p.column[size_t(e)])] = p.value[size_t(e)];
        }
    }
    double z = 0;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            const double dx = y[size_t(2 * i)] - y[size_t(2 * j)];
            const double dy = y[size_t(2 * i + 1)] - y[size_t(2 * j + 1)];
            w[size_t(i * n + j)] = i == j ? 0 : 1 / (1 + dx * dx + dy * dy);
            z += w[size_t(i * n + j)];
        }
    }
    kl = 0;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            const double pij = dense[size_t(i * n + j)], wij = w[size_t(i * n + j)];
            const double factor = 4 * (exaggeration * pij - wij / z) * wij;
            gradient[size_t(2 * i)] += factor * (y[size_t(2 * i)] - y[size_t(2 * j)]);
            gradient[size_t(2 * i + 1)] += factor * (y[size_t(2 * i + 1)] - y[size_t(2 * j + 1)]);
            kl += pij > 0 ? pij * std::log(pij / (wij / z)) : 0;
        }
    }
    return gradient;
}

}  // namespace

class TestEmbedding : public QObject {
    Q_OBJECT

private slots:
    void pcaRecoversKnownAxes();
    void pcaGramPathMatchesCovariancePath();
    void affinitiesAreSymmetricAndNormalised();
    void barnesHutWithThetaZeroIsExact();
    void tsneSeparatesClustersThatPcaMixes();
    void tsneSeparatesFashionMnistClasses();
    void tsneIsReproducible();
    void tsneStopsAndPausesWhenTold();
    void badInputIsRefusedWithAReason();
};

void TestEmbedding::pcaRecoversKnownAxes() {
    Rng rng(7);
    const std::vector<std::vector<double>> rotation = randomRotation(5, rng);
    const std::vector<double> deviations{3, 2, 1, 0.5, 0.25};
    const Tensor x = gaussianAlong(rotation, deviations, 0, 4000, rng);
    const PrincipalComponents pc = principalComponents(x, 3);
    QCOMPARE(pc.axes.shape(), (Shape{3, 5}));
    QVERIFY(std::abs(pc.totalVariance - 14.3125) < 0.1 * 14.3125);
    for (int64_t j = 0; j < 5; ++j) {
        QVERIFY(std::abs(pc.mean[size_t(j)] - double(j + 1)) < 0.2);
    }
    for (int k = 0; k < 3; ++k) {
        const float* axis = pc.axes.data<float>() + k * 5;
        double cosine = 0;
        for (int j = 0; j < 5; ++j) {
            cosine += axis[j] * rotation[size_t(k)][size_t(j)];
        }
        const double variance = deviations[size_t(k)] * deviations[size_t(k)];
        qInfo("axis %d: |cos| %.5f to the true axis, variance %.3f (true %.3f)", k,
              std::abs(cosine), pc.variances[size_t(k)], variance);
        QVERIFY(std::abs(cosine) > 0.99);
        QVERIFY(std::abs(pc.variances[size_t(k)] - variance) < 0.1 * variance);
        // The sign rule: the largest-magnitude loading is positive.
        QVERIFY(*std::max_element(axis, axis + 5,
                                  [](float a, float b) { return std::abs(a) < std::abs(b); }) > 0);
        for (int other = 0; other <= k; ++other) {
            double dot = 0;
            for (int j = 0; j < 5; ++j) {
                dot += axis[j] * pc.axes.data<float>()[other * 5 + j];
            }
            QVERIFY(std::abs(dot - (other == k ? 1 : 0)) < 1e-6);
        }
    }
    // The projection is the centred points on those axes, with those variances.
    const Tensor map = pcaProjection(x, 3);
    QCOMPARE(map.shape(), (Shape{4000, 3}));
    for (int k = 0; k < 3; ++k) {
        double sumSquares = 0, worst = 0;
        for (int64_t i = 0; i < 4000; ++i) {
            double expected = 0;
            for (int j = 0; j < 5; ++j) {
                expected += (x.data<float>()[i * 5 + j] - pc.mean[size_t(j)]) *
                            pc.axes.data<float>()[k * 5 + j];
            }
            const double value = map.data<float>()[i * 3 + k];
            worst = std::max(worst, std::abs(value - expected));
            sumSquares += value * value;
        }
        QVERIFY(worst < 1e-4);
        QVERIFY(std::abs(sumSquares / 3999 - pc.variances[size_t(k)]) <
                1e-5 * pc.variances[size_t(k)]);
    }
}

// 120 points in 200-D go the Gram way (D > N); the same points twice (240 rows) the covariance
// way, with the same mean, the same axes, and variances scaled by 2 (N - 1) / (2N - 1).
void TestEmbedding::pcaGramPathMatchesCovariancePath() {
    Rng rng(11);
    const std::vector<std::vector<double>> basis = randomRotation(200, rng);
    const Tensor x = gaussianAlong(basis, {5, 3, 2}, 0.05, 120, rng);
    Tensor twice = Tensor::empty(Shape{240, 200});
    std::copy_n(x.data<float>(), x.numel(), twice.data<float>());
    std::copy_n(x.data<float>(), x.numel(), twice.data<float>() + x.numel());
    const PrincipalComponents gram = principalComponents(x, 3);
    const PrincipalComponents covariance = principalComponents(twice, 3);
    double axes = 0;
    for (int64_t i = 0; i < gram.axes.numel(); ++i) {
        axes = std::max(axes, std::abs(gram.axes.at(i) - covariance.axes.at(i)));
    }
    qInfo("largest axis difference %.3g", axes);
    QVERIFY(axes < 1e-5);
    for (int k = 0; k < 3; ++k) {
        const double scaled = covariance.variances[size_t(k)] * 239 / 2 / 119;
        QVERIFY(std::abs(gram.variances[size_t(k)] - scaled) < 1e-6 * scaled);
        QVERIFY(gram.variances[size_t(k)] > 3);  // the planted directions, not the noise
    }
    const Tensor a = pcaProjection(x, 3), b = pcaProjection(twice, 3);
    double worst = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        worst = std::max(worst, std::abs(a.at(i) - b.at(i)));
    }
    QVERIFY(worst < 1e-3);
}

void TestEmbedding::affinitiesAreSymmetricAndNormalised() {
    Rng rng(3);
    const int64_t n = 200, d = 8;
    std::vector<double> points(size_t(n * d));
    for (double& x : points) {
        x = rng.normal(0, 1);
    }
    const detail::TsneAffinities p = detail::tsneAffinities(points, n, d, 10);
    QCOMPARE(int64_t(p.rowStart.size()), n + 1);
    std::vector<double> dense(size_t(n * n), 0.0);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
        QVERIFY(p.rowStart[size_t(i + 1)] - p.rowStart[size_t(i)] >= 30);  // 3 x perplexity
        for (int64_t e = p.rowStart[size_t(i)]; e < p.rowStart[size_t(i + 1)]; ++e) {
            QVERIFY(p.column[size_t(e)] != i && p.value[size_t(e)] >= 0);
            dense[size_t(i * n + p.column[size_t(e)])] = p.value[size_t(e)];
            sum += p.value[size_t(e)];
        }
    }
    QVERIFY(std::abs(sum - 1) < 1e-12);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < i; ++j) {
            QCOMPARE(dense[size_t(i * n + j)], dense[size_t(j * n + i)]);
        }
    }
}

void TestEmbedding::barnesHutWithThetaZeroIsExact() {
    Rng rng(4);
    const int64_t n = 300, d = 6;
    std::vector<double> points(size_t(n * d));
    for (int64_t i = 0; i < n * d; ++i) {
        points[size_t(i)] = rng.normal(i / d % 2 ? 4 : 0, 1);
    }
    const detail::TsneAffinities p = detail::tsneAffinities(points, n, d, 10);
    std::vector<double> y(size_t(2 * n));
    for (int64_t i = 0; i < n; ++i) {
        y[size_t(2 * i)] = rng.normal(i % 3 * 5, 2);
        y[size_t(2 * i + 1)] = rng.normal(0, 2);
    }
    // Two points at one place, and two closer than the quadtree's deepest cells.
    y[2] = y[0];
    y[3] = y[1];
    y[6] = y[4] + 1e-12;
    y[7] = y[5];
    double exactKl = 0, kl = 0;
    const std::vector<double> exact = exactGradient(p, y, 3, exactKl);
    const std::vector<double> all = detail::tsneGradient(p, y, 0, 3, &kl);
    const std::vector<double> approximate = detail::tsneGradient(p, y, 0.5, 3);
    double largest = 0, error = 0, approximationError = 0, norm = 0;
    for (size_t c = 0; c < y.size(); ++c) {
        largest = std::max(largest, std::abs(exact[c]));
        error = std::max(error, std::abs(all[c] - exact[c]));
        approximationError += (approximate[c] - exact[c]) * (approximate[c] - exact[c]);
        norm += exact[c] * exact[c];
    }
    approximationError = std::sqrt(approximationError / norm);
    qInfo(
        "theta 0: largest error %.3g of %.3g, KL %.12f (exact %.12f); theta 0.5: relative "
        "error %.4f",
        error, largest, kl, exactKl, approximationError);
    QVERIFY(error < 1e-10 * largest);
    QVERIFY(std::abs(kl - exactKl) < 1e-10);
    // Barnes-Hut proper approximates, and does summarise cells.
    QVERIFY(approximationError < 0.05);
    QVERIFY(approximationError > 0);
}

void TestEmbedding::tsneSeparatesClustersThatPcaMixes() {
    std::vector<int> labels;
    const Tensor x = clusters(labels);
    const Agreement pca = neighbourAgreement(pcaProjection(x), labels);
    const Tensor map = tsneProjection(x);
    QCOMPARE(map.shape(), (Shape{500, 2}));
    QVERIFY(allFinite(map));
    const Agreement tsne = neighbourAgreement(map, labels);
    const Agreement features = neighbourAgreement(x, labels);
    qInfo(
        "10-NN class agreement (vote / neighbour share): 50-D %.3f / %.3f, PCA 2-D %.3f / "
        "%.3f, t-SNE 2-D %.3f / %.3f",
        features.vote, features.share, pca.vote, pca.share, tsne.vote, tsne.share);
    QVERIFY(features.share >= 0.95);  // the clusters are there to be found
    QVERIFY(tsne.vote >= 0.95);
    QVERIFY(tsne.share >= 0.95);
    QVERIFY(pca.vote < 0.6);
    QVERIFY(pca.share < 0.6);
}

void TestEmbedding::tsneSeparatesFashionMnistClasses() {
    if (!QFile::exists(QString(kFashionMnist) + "/t10k-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    const Dataset test = loadFashionMnist(kFashionMnist, true);
    constexpr int64_t kN = 1000;
    Tensor x = Tensor::empty(Shape{kN, 784});
    std::vector<int> labels;
    for (int64_t i = 0; i < kN; ++i) {
        for (int64_t j = 0; j < 784; ++j) {
            x.data<float>()[i * 784 + j] = test.samples.data<float>()[i * 784 + j] / 255.0f;
        }
        labels.push_back(int(test.targets.at(i)));
    }
    const Agreement pixels = neighbourAgreement(x, labels);
    const Agreement pca = neighbourAgreement(pcaProjection(x), labels);
    const Agreement tsne = neighbourAgreement(tsneProjection(x), labels);
    qInfo(
        "1,000 Fashion-MNIST test images, 10-NN class agreement (vote / neighbour share): "
        "pixels %.3f / %.3f, PCA 2-D %.3f / %.3f, t-SNE 2-D %.3f / %.3f",
        pixels.vote, pixels.share, pca.vote, pca.share, tsne.vote, tsne.share);
    QVERIFY(tsne.vote >= 0.70);
    QVERIFY(tsne.vote > pca.vote + 0.1);
    QVERIFY(tsne.share > pca.share + 0.1);
}

void TestEmbedding::tsneIsReproducible() {
    std::vector<int> labels;
    const Tensor x = clusters(labels, 40);
    TsneOptions options;
    options.iterations = 300;
    options.seed = 1;
    const std::vector<float> first = tsneProjection(x, options).toVector();
    QCOMPARE(tsneProjection(x, options).toVector(), first);
    options.seed = 2;  // a PCA start has no use for the seed
    QCOMPARE(tsneProjection(x, options).toVector(), first);
    options.start = TsneStart::Random;
    const std::vector<float> random = tsneProjection(x, options).toVector();
    QCOMPARE(tsneProjection(x, options).toVector(), random);
    QVERIFY(random != first);
    options.seed = 3;
    QVERIFY(tsneProjection(x, options).toVector() != random);
    options.theta = 0;  // the exact gradient makes a map just as good
    options.start = TsneStart::Pca;
    options.iterations = 500;
    const double exact = neighbourAgreement(tsneProjection(x, options), labels).vote;
    qInfo("exact t-SNE (theta 0): 10-NN class agreement %.3f", exact);
    QVERIFY(exact >= 0.95);
}

void TestEmbedding::tsneStopsAndPausesWhenTold() {
    std::vector<int> labels;
    const Tensor x = clusters(labels, 40);
    RunControl stop;
    int calls = 0, lastIteration = 0;
    std::vector<float> lastLayout;
    const Tensor stopped = tsneProjection(
        x, {},
        [&](const TsneProgress& p) {
            ++calls;
            lastIteration = p.iteration;
            lastLayout = p.layout.toVector();
            QCOMPARE(p.iterations, 1000);
            QCOMPARE(std::isnan(p.klDivergence), p.iteration % 50 != 0);
            if (calls == 3) {
                stop.requestStop();
            }
        },
        &stop);
    QCOMPARE(calls, 3);
    QCOMPARE(lastIteration, 30);
    QCOMPARE(stopped.shape(), (Shape{200, 2}));
    QVERIFY(allFinite(stopped));
    // Stopped right after iteration 30: the map of a 30-iteration run, which is what it reported.
    TsneOptions thirty;
    thirty.iterations = 30;
    QCOMPARE(stopped.toVector(), tsneProjection(x, thirty).toVector());
    QCOMPARE(stopped.toVector(), lastLayout);

    // A pause holds the job in its checkpoint; resumed, it ends with the map it would have made.
    TsneOptions options;
    options.iterations = 100;
    RunControl pause;
    std::atomic<int> reports{0};
    Tensor paused;
    std::thread job([&] {
        paused = tsneProjection(
            x, options,
            [&](const TsneProgress&) {
                if (++reports == 2) {
                    pause.setPaused(true);
                }
            },
            &pause);
    });
    const bool held = pause.waitUntilHeld(std::chrono::seconds(60));
    const int reportsWhileHeld = reports;
    pause.setPaused(false);
    job.join();
    QVERIFY(held);
    QCOMPARE(reportsWhileHeld, 2);
    QCOMPARE(reports.load(), 10);
    QCOMPARE(paused.toVector(), tsneProjection(x, options).toVector());
}

void TestEmbedding::badInputIsRefusedWithAReason() {
    std::vector<int> labels;
    const Tensor x = clusters(labels, 10);  // 50 points
    QString message = errorOf<ConfigError>([&] { tsneProjection(x); });
    QVERIFY2(message.contains("perplexity 30") && message.contains("at most 16"),
             qPrintable(message));
    TsneOptions fits;
    fits.perplexity = 16;
    fits.iterations = 20;
    QCOMPARE(tsneProjection(x, fits).shape(), (Shape{50, 2}));

    Tensor broken = x.clone();
    broken.set(7 * 50 + 3, std::nan(""));
    message = errorOf<DataError>([&] { tsneProjection(broken, fits); });
    QVERIFY2(message.contains("row 7"), qPrintable(message));
    broken.set(7 * 50 + 3, 1);
    broken.set(12 * 50, INFINITY);
    message = errorOf<DataError>([&] { pcaProjection(broken); });
    QVERIFY2(message.contains("row 12") && message.contains("infinite"), qPrintable(message));

    const Tensor flat = Tensor::zeros(Shape{100});
    message = errorOf<ShapeError>([&] { tsneProjection(flat); });
    QVERIFY2(message.contains("[N, D]"), qPrintable(message));
    QVERIFY_THROWS_EXCEPTION(ShapeError, pcaProjection(flat));
    QVERIFY_THROWS_EXCEPTION(ShapeError, pcaProjection(Tensor::zeros(Shape{4, 3, 2})));

    message = errorOf<ConfigError>([&] { pcaProjection(x.slice(0, 3), 3); });
    QVERIFY2(message.contains("between 1 and 2"), qPrintable(message));
    TsneOptions badTheta = fits;
    badTheta.theta = -1;
    QVERIFY_THROWS_EXCEPTION(ConfigError, tsneProjection(x, badTheta));
}

QTEST_GUILESS_MAIN(TestEmbedding)
#include "TestEmbedding.moc"
