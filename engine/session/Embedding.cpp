// t-SNE on the host, in float64. Reproducible whatever the thread count: the OpenMP loops only
// write per-point results, which are then summed in index order, and BLAS runs single-threaded
// (EmbeddingMath.h), since t-SNE grows differences in the last bits into another map.

#include "EmbeddingMath.h"

#include <loom/Embedding.h>
#include <loom/Error.h>
#include <loom/Initializer.h>
#include <loom/Progress.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>

namespace loom {

using namespace embedding;

namespace {

constexpr int kReportEvery = 10;
constexpr int kKlEvery = 50;
constexpr int kMaxDepth = 40;  // a quadtree cell 2^-40 of the map's width is not split further
constexpr double kStartDeviation = 1e-4;
// Fewer points run on one core: an iteration then takes a few milliseconds, and waking the
// OpenMP team every iteration can cost more than that where the cores are busy.
constexpr int64_t kParallelPoints = 2048;

std::string text(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

// Each point's k nearest neighbours (ties by index) and their squared distances. Candidates by
// |a|^2 + |b|^2 - 2 a.b, through BLAS on blocks of rows; the chosen ones' distances are then
// recomputed directly, as that form loses digits to cancellation for close points.
void nearestNeighbours(const Points& points, int64_t k, std::vector<int32_t>& index,
                       std::vector<double>& distance) {
    constexpr int64_t kBlock = 256;
    const int64_t n = points.n, d = points.d;
    const double* x = points.v.data();
    std::vector<double> norms, dots(size_t(std::min(kBlock, n) * n));
    for (int64_t i = 0; i < n; ++i) {
        norms.push_back(std::inner_product(x + i * d, x + (i + 1) * d, x + i * d, 0.0));
    }
    index.resize(size_t(n * k));
    distance.resize(size_t(n * k));
    for (int64_t begin = 0; begin < n; begin += kBlock) {
        const int64_t rows = std::min(kBlock, n - begin);
        gemm(false, true, rows, n, d, x + begin * d, x, dots.data());
#pragma omp parallel for schedule(static) if (n >= kParallelPoints)
        for (int64_t i = begin; i < begin + rows; ++i) {
            std::vector<std::pair<double, int32_t>> near;
            for (int64_t j = 0; j < n; ++j) {
                const double d2 =
                    norms[size_t(i)] + norms[size_t(j)] - 2 * dots[size_t((i - begin) * n + j)];
                if (j != i) {
                    near.emplace_back(std::max(d2, 0.0), int32_t(j));
                }
            }
            std::partial_sort(near.begin(), near.begin() + k, near.end());
            for (int64_t t = 0; t < k; ++t) {
                const int64_t j = near[size_t(t)].second;
                index[size_t(i * k + t)] = int32_t(j);
                distance[size_t(i * k + t)] =
                    std::transform_reduce(x + i * d, x + (i + 1) * d, x + j * d, 0.0, std::plus<>(),
                                          [](double u, double w) { return (u - w) * (u - w); });
            }
        }
    }
}

// p_{j|i} over point i's neighbours, its precision found by bisection so that the entropy is
// log(perplexity). Distances less the nearest one: the same distribution, but exp cannot
// underflow to all zeros; the search starts from 1 / their mean, so any scale of features works.
void conditionalAffinities(const std::vector<double>& distance, int64_t n, int64_t k,
                           double perplexity, std::vector<double>& p) {
    const double target = std::log(perplexity);
    p.resize(size_t(n * k));
#pragma omp parallel for schedule(static) if (n >= kParallelPoints)
    for (int64_t i = 0; i < n; ++i) {
        const double* di = distance.data() + i * k;
        double* pi = p.data() + i * k;
        const double nearest = *std::min_element(di, di + k);
        const double spread = std::accumulate(di, di + k, 0.0) / double(k) - nearest;
        double beta = spread > 0 ? 1 / spread : 1, low = 0;
        double high = std::numeric_limits<double>::infinity(), sum = 0;
        for (int step = 0; step < 200; ++step) {
            double weighted = 0;
            sum = 0;
            for (int64_t t = 0; t < k; ++t) {
                pi[t] = std::exp(-beta * (di[t] - nearest));
                sum += pi[t];
                weighted += (di[t] - nearest) * pi[t];
            }
            const double entropy = std::log(sum) + beta * weighted / sum;
            if (std::abs(entropy - target) < 1e-5) {
                break;
            }
            (entropy > target ? low : high) = beta;
            beta = std::isinf(high) ? beta * 2 : (low + high) / 2;
        }
        std::transform(pi, pi + k, pi, [sum](double u) { return u / sum; });
    }
}

// Barnes-Hut's quadtree over a layout, built top down by partitioning the points. A leaf holds
// one point, or several at one place (or in a cell at the depth limit), which still count one
// by one, so that with theta 0 every pair is summed exactly.
class QuadTree {
public:
    explicit QuadTree(const std::vector<double>& y);
    /// Adds sum_j w^2 (y_i - y_j) to force and sum_j w to sum, over j != i, where
    /// w = 1 / (1 + |y_i - y_j|^2); a cell far enough away counts as its centre of mass.
    void repulsion(int64_t i, double theta, std::vector<int32_t>& stack, double* force,
                   double& sum) const;

private:
    struct Node {
        double cx, cy, half;         // the cell
        double mx = 0, my = 0;       // its points' centre of mass
        int32_t begin = 0, end = 0;  // its points, in m_order
        bool leaf = true;
        int32_t child[4] = {-1, -1, -1, -1};
    };
    int32_t build(int32_t begin, int32_t end, double cx, double cy, double half, int depth);

    const double* m_y;
    std::vector<int32_t> m_order;  // point indices; each node's points lie in [begin, end)
    std::vector<Node> m_nodes;
};

QuadTree::QuadTree(const std::vector<double>& y) : m_y(y.data()), m_order(y.size() / 2) {
    std::iota(m_order.begin(), m_order.end(), 0);
    double low[2] = {y[0], y[1]}, high[2] = {y[0], y[1]};
    for (size_t c = 0; c < y.size(); ++c) {
        low[c % 2] = std::min(low[c % 2], y[c]);
        high[c % 2] = std::max(high[c % 2], y[c]);
    }
    build(0, int32_t(m_order.size()), (low[0] + high[0]) / 2, (low[1] + high[1]) / 2,
          std::max(high[0] - low[0], high[1] - low[1]) / 2, 0);
}

int32_t QuadTree::build(int32_t begin, int32_t end, double cx, double cy, double half, int depth) {
    const auto n = int32_t(m_nodes.size());
    Node node{cx, cy, half};
    node.begin = begin;
    node.end = end;
    bool together = true;
    for (int32_t e = begin; e < end; ++e) {
        const double* p = m_y + 2 * m_order[size_t(e)];
        node.mx += p[0] / (end - begin);
        node.my += p[1] / (end - begin);
        together = together && p[0] == m_y[2 * m_order[size_t(begin)]] &&
                   p[1] == m_y[2 * m_order[size_t(begin)] + 1];
    }
    node.leaf = together || depth == kMaxDepth;
    m_nodes.push_back(node);
    if (node.leaf) {
        return n;
    }
    // Quadrant q holds x >= cx when q & 1, y >= cy when q & 2: its points are [from[q], to[q]).
    const auto first = m_order.begin();
    const auto left = [this, cx](int32_t p) { return m_y[2 * p] < cx; };
    const auto low = [this, cy](int32_t p) { return m_y[2 * p + 1] < cy; };
    const auto right = int32_t(std::partition(first + begin, first + end, left) - first);
    const auto upLeft = int32_t(std::partition(first + begin, first + right, low) - first);
    const auto upRight = int32_t(std::partition(first + right, first + end, low) - first);
    const int32_t from[4] = {begin, right, upLeft, upRight}, to[4] = {upLeft, upRight, right, end};
    for (int q = 0; q < 4; ++q) {
        if (from[q] < to[q]) {
            const int32_t child = build(from[q], to[q], cx + (q & 1 ? half : -half) / 2,
                                        cy + (q & 2 ? half : -half) / 2, half / 2, depth + 1);
            m_nodes[size_t(n)].child[q] = child;
        }
    }
    return n;
}

void QuadTree::repulsion(int64_t i, double theta, std::vector<int32_t>& stack, double* force,
                         double& sum) const {
    const double x = m_y[2 * i], y = m_y[2 * i + 1];
    const auto add = [&](double dx, double dy, double count) {
        const double w = 1 / (1 + dx * dx + dy * dy);
        sum += count * w;
        force[0] += count * w * w * dx;
        force[1] += count * w * w * dy;
    };
    stack.assign(1, 0);
    while (!stack.empty()) {
        const Node& node = m_nodes[size_t(stack.back())];
        stack.pop_back();
        // A cell counts as one point when it looks small from here (width / distance < theta),
        // never when it holds point i itself.
        const double dx = x - node.mx, dy = y - node.my, width = 2 * node.half;
        if (!node.leaf && width * width < theta * theta * (dx * dx + dy * dy) &&
            (std::abs(x - node.cx) > node.half || std::abs(y - node.cy) > node.half)) {
            add(dx, dy, node.end - node.begin);
        } else if (node.leaf) {
            for (int32_t e = node.begin; e < node.end; ++e) {
                const int32_t j = m_order[size_t(e)];
                if (j != i) {
                    add(x - m_y[2 * j], y - m_y[2 * j + 1], 1);
                }
            }
        } else {
            std::copy_if(node.child, node.child + 4, std::back_inserter(stack),
                         [](int32_t c) { return c >= 0; });
        }
    }
}

void checkOptions(const TsneOptions& o, int64_t n) {
    const auto require = [](bool ok, const std::string& what) {
        if (!ok) {
            throw ConfigError("t-SNE: " + what);
        }
    };
    require(std::isfinite(o.perplexity) && o.perplexity >= 1,
            "the perplexity must be at least 1, not " + text(o.perplexity));
    require(o.iterations >= 0, "the number of iterations cannot be negative");
    require(std::isfinite(o.theta) && o.theta >= 0,
            "theta must be >= 0 (0: exact), not " + text(o.theta));
    require(std::isfinite(o.learningRate) && o.learningRate >= 0,
            "the learning rate must be >= 0 (0: automatic), not " + text(o.learningRate));
    require(std::isfinite(o.exaggeration) && o.exaggeration > 0,
            "the exaggeration must be > 0 (1: none), not " + text(o.exaggeration));
    require(o.exaggerationIterations >= 0, "the exaggeration iterations cannot be negative");
    require(o.pcaDimensions >= 0, "the PCA dimensions cannot be negative (0: no PCA)");
    const auto most = int64_t(double(n - 1) / 3);
    require(3 * o.perplexity <= double(n - 1),
            "perplexity " + text(o.perplexity) + " needs at least " +
                text(std::ceil(3 * o.perplexity) + 1) +
                " points (3 x perplexity + 1), but there are " + std::to_string(n) + ": " +
                (most >= 1 ? "lower the perplexity to at most " + std::to_string(most) +
                                 ", or map more points"
                           : "map at least 4 points"));
}

// The PCA map scaled to standard deviation 1e-4 along its first axis (openTSNE's start), or a
// seeded Gaussian one: for the Random start, and where PCA gives no 2-D map.
std::vector<double> startingLayout(const Points& x, const TsneOptions& o) {
    std::vector<double> y(size_t(2 * x.n));
    if (o.start == TsneStart::Pca && x.d >= 2) {
        const std::vector<double> pca = fitPca(x, 2).projection;
        double variance = 0;
        for (int64_t i = 0; i < x.n; ++i) {
            variance += pca[size_t(2 * i)] * pca[size_t(2 * i)] / double(x.n - 1);
        }
        if (variance > 0) {
            const double scale = kStartDeviation / std::sqrt(variance);
            std::transform(pca.begin(), pca.end(), y.begin(),
                           [scale](double u) { return u * scale; });
            return y;
        }
    }
    Rng rng(o.seed);
    std::generate(y.begin(), y.end(), [&rng] { return rng.normal(0, kStartDeviation); });
    return y;
}

int sign(double x) {
    return (x > 0) - (x < 0);
}

// Gradient descent with momentum and per-coordinate gains (delta-bar-delta), as van der Maaten's
// reference does it: exaggerated P and momentum 0.5 at first, then P and 0.8; the map is
// re-centred after every step.
Tensor optimise(const detail::TsneAffinities& p, std::vector<double> y, const TsneOptions& o,
                const std::function<void(const TsneProgress&)>& progress, RunControl* control) {
    const auto n = int64_t(y.size() / 2);
    const double rate = o.learningRate > 0
                            ? o.learningRate
                            : std::max(double(n) / std::max(o.exaggeration, 1.0) / 4, 50.0);
    std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0);
    for (int it = 0; it < o.iterations; ++it) {
        if (control && !control->checkpoint()) {
            break;
        }
        const bool early = it < o.exaggerationIterations, last = it + 1 == o.iterations;
        const bool report = progress && ((it + 1) % kReportEvery == 0 || last);
        double kl = std::numeric_limits<double>::quiet_NaN();
        const bool measure = report && ((it + 1) % kKlEvery == 0 || last);
        const std::vector<double> g = detail::tsneGradient(
            p, y, o.theta, early ? o.exaggeration : 1, measure ? &kl : nullptr);
        const double momentum = early ? 0.5 : 0.8;
        double centre[2] = {0, 0};
        for (size_t c = 0; c < y.size(); ++c) {
            gains[c] =
                sign(g[c]) != sign(update[c]) ? gains[c] + 0.2 : std::max(gains[c] * 0.8, 0.01);
            update[c] = momentum * update[c] - rate * gains[c] * g[c];
            y[c] += update[c];
            centre[c % 2] += y[c] / double(n);
        }
        for (size_t c = 0; c < y.size(); ++c) {
            y[c] -= centre[c % 2];
        }
        if (report) {
            progress(TsneProgress{it + 1, o.iterations, kl, matrixTensor(y, n, 2)});
        }
    }
    return matrixTensor(y, n, 2);
}

}  // namespace

Tensor tsneProjection(const Tensor& features, const TsneOptions& options,
                      const std::function<void(const TsneProgress&)>& progress,
                      RunControl* control) {
    Points x = readFeatures(features, "t-SNE");
    checkOptions(options, x.n);
    // PCA first (openTSNE and scikit-learn users do the same): it keeps the distances' large
    // structure, drops noise, and makes the neighbour search cheap. N points span N - 1
    // dimensions, so at most that many axes are needed to keep every distance.
    const int64_t reduced = std::min<int64_t>(options.pcaDimensions, x.n - 1);
    if (options.pcaDimensions > 0 && x.d > reduced) {
        x = Points{x.n, reduced, fitPca(x, reduced).projection};
    }
    const detail::TsneAffinities p = detail::tsneAffinities(x.v, x.n, x.d, options.perplexity);
    return optimise(p, startingLayout(x, options), options, progress, control);
}

namespace detail {

TsneAffinities tsneAffinities(const std::vector<double>& points, int64_t n, int64_t d,
                              double perplexity) {
    const int64_t k = std::min<int64_t>(int64_t(3 * perplexity), n - 1);
    std::vector<int32_t> index;
    std::vector<double> distance, conditional;
    nearestNeighbours(Points{n, d, points}, k, index, distance);
    conditionalAffinities(distance, n, k, perplexity, conditional);
    // P + P^T as (row, column, value) sorted by row and column; a pair that each point has
    // among its neighbours appears twice and is added up.
    std::vector<std::pair<std::pair<int32_t, int32_t>, double>> entries;
    entries.reserve(size_t(2 * n * k));
    for (int64_t e = 0; e < n * k; ++e) {
        const auto i = int32_t(e / k), j = index[size_t(e)];
        entries.push_back({{i, j}, conditional[size_t(e)]});
        entries.push_back({{j, i}, conditional[size_t(e)]});
    }
    std::sort(entries.begin(), entries.end());
    TsneAffinities p;
    p.rowStart.assign(size_t(n + 1), 0);
    double total = 0;
    for (size_t e = 0; e < entries.size(); ++e) {
        total += entries[e].second;
        if (e > 0 && entries[e].first == entries[e - 1].first) {
            p.value.back() += entries[e].second;
        } else {
            p.column.push_back(entries[e].first.second);
            p.value.push_back(entries[e].second);
            p.rowStart[size_t(entries[e].first.first + 1)] += 1;
        }
    }
    std::partial_sum(p.rowStart.begin(), p.rowStart.end(), p.rowStart.begin());
    std::transform(p.value.begin(), p.value.end(), p.value.begin(),
                   [total](double u) { return u / total; });
    return p;
}

std::vector<double> tsneGradient(const TsneAffinities& p, const std::vector<double>& layout,
                                 double theta, double exaggeration, double* klDivergence) {
    const auto n = int64_t(layout.size() / 2);
    const QuadTree tree(layout);
    const double* y = layout.data();
    // Per point: the attraction sum_j p_ij w_ij (y_i - y_j), the repulsion sum_j w_ij^2 (y_i -
    // y_j), sum_j w_ij and sum_j p_ij log(p_ij / w_ij); the totals over points come after, in
    // order.
    std::vector<double> attraction(layout.size()), repulsion(layout.size()),
        gradient(layout.size());
    std::vector<double> sums(static_cast<size_t>(n)), kl(static_cast<size_t>(n));
#pragma omp parallel if (n >= kParallelPoints)
    {
        std::vector<int32_t> stack;
#pragma omp for schedule(dynamic, 64)
        for (int64_t i = 0; i < n; ++i) {
            tree.repulsion(i, theta, stack, &repulsion[size_t(2 * i)], sums[size_t(i)]);
            for (int64_t e = p.rowStart[size_t(i)]; e < p.rowStart[size_t(i + 1)]; ++e) {
                const int64_t j = p.column[size_t(e)];
                const double pij = p.value[size_t(e)], dx = y[2 * i] - y[2 * j];
                const double dy = y[2 * i + 1] - y[2 * j + 1], w = 1 / (1 + dx * dx + dy * dy);
                attraction[size_t(2 * i)] += pij * w * dx;
                attraction[size_t(2 * i + 1)] += pij * w * dy;
                kl[size_t(i)] += klDivergence && pij > 0 ? pij * std::log(pij / w) : 0;
            }
        }
    }
    const double z = std::accumulate(sums.begin(), sums.end(), 0.0);
    for (size_t c = 0; c < layout.size(); ++c) {
        gradient[c] = 4 * (exaggeration * attraction[c] - repulsion[c] / z);
    }
    if (klDivergence) {
        const double mass = std::accumulate(p.value.begin(), p.value.end(), 0.0);
        *klDivergence = std::accumulate(kl.begin(), kl.end(), 0.0) + mass * std::log(z);
    }
    return gradient;
}

}  // namespace detail

}  // namespace loom
