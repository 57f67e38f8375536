// PCA on the host, in float64, reproducibly: OpenBLAS runs single-threaded here, since its
// results change in the last bits with its thread count. The eigenvectors come from subspace
// iteration with Jacobi rotations (Loom links OpenBLAS for BLAS only, not LAPACK).

#include "EmbeddingMath.h"

#include <loom/Embedding.h>
#include <loom/Error.h>
#include <loom/Initializer.h>

#include "backend/cpu/CpuSupport.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace loom {

using namespace embedding;

namespace {

constexpr uint64_t kEigenSeed = 0x5eed;  // subspace iteration's start: fixed, so PCA is too
constexpr int kStepsPerRound = 4;        // power steps between Rayleigh-Ritz steps
constexpr int kMaxRounds = 60;
constexpr double kEigenTolerance = 1e-9;  // residual, relative to the largest eigenvalue

// Cyclic Jacobi rotations on the symmetric m x m matrix a: all eigenvalues, descending, and
// their eigenvectors as the rows of `vectors`. O(m^3) a sweep, exact to rounding.
void jacobiEigen(std::vector<double> matrix, int64_t m, std::vector<double>& values,
                 std::vector<double>& vectors) {
    double* a = matrix.data();
    std::vector<double> rows(size_t(m * m), 0.0);  // the eigenvectors, as rows
    double* v = rows.data();
    for (int64_t i = 0; i < m; ++i) {
        v[i * m + i] = 1;
    }
    for (int sweep = 0; sweep < 60; ++sweep) {
        double off = 0, all = 0;
        for (int64_t e = 0; e < m * m; ++e) {
            all += a[e] * a[e];
            off += e / m != e % m ? a[e] * a[e] : 0;
        }
        if (off <= 1e-30 * all) {
            break;
        }
        for (int64_t p = 0; p < m; ++p) {
            for (int64_t q = p + 1; q < m; ++q) {
                if (a[p * m + q] == 0) {
                    continue;
                }
                // The rotation J that zeroes a[p][q], by its smaller angle: a <- J^T a J on
                // rows then columns p and q, and the eigenvectors' rows alike.
                const double theta = (a[q * m + q] - a[p * m + p]) / (2 * a[p * m + q]);
                const double t = (theta >= 0 ? 1 : -1) / (std::abs(theta) + std::hypot(theta, 1.0));
                const double c = 1 / std::sqrt(t * t + 1), s = t * c;
                const auto rotate = [c, s](double& x, double& y) {
                    const double u = x;
                    x = c * u - s * y;
                    y = s * u + c * y;
                };
                for (int64_t r = 0; r < m; ++r) {
                    rotate(a[p * m + r], a[q * m + r]);
                    rotate(v[p * m + r], v[q * m + r]);
                }
                for (int64_t r = 0; r < m; ++r) {
                    rotate(a[r * m + p], a[r * m + q]);
                }
                a[p * m + q] = a[q * m + p] = 0;
            }
        }
    }
    std::vector<int64_t> order(static_cast<size_t>(m));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t i, int64_t j) { return a[i * m + i] > a[j * m + j]; });
    values.clear();
    vectors.clear();
    for (const int64_t i : order) {
        values.push_back(a[i * m + i]);
        vectors.insert(vectors.end(), v + i * m, v + (i + 1) * m);
    }
}

// Modified Gram-Schmidt (two passes, for accuracy) on p rows of length m. A row that vanishes,
// where the rows have lower rank, is replaced by a seeded random one.
void orthonormalise(std::vector<double>& rows, int64_t p, int64_t m, Rng& rng) {
    for (int64_t i = 0; i < p; ++i) {
        double* q = rows.data() + i * m;
        while (true) {
            const double before = std::sqrt(std::inner_product(q, q + m, q, 0.0));
            for (int64_t j = 0; j < 2 * i; ++j) {  // twice over the rows before it
                const double* other = rows.data() + (j % i) * m;
                const double dot = std::inner_product(q, q + m, other, 0.0);
                std::transform(q, q + m, other, q,
                               [dot](double u, double o) { return u - dot * o; });
            }
            const double after = std::sqrt(std::inner_product(q, q + m, q, 0.0));
            if (after > 1e-8 * before && after > 0) {
                std::transform(q, q + m, q, [after](double u) { return u / after; });
                break;
            }
            std::generate(q, q + m, [&rng] { return rng.normal(0, 1); });
        }
    }
}

// The k largest eigenpairs of the symmetric positive semi-definite m x m matrix a (vectors as k
// rows of m): subspace iteration on p = 2k + 10 vectors (all m when m is smaller), a
// Rayleigh-Ritz step after every few power steps, until the k residuals are tiny. Its start is
// fixed, so the result is the same every time.
void topEigen(const std::vector<double>& a, int64_t m, int64_t k, std::vector<double>& values,
              std::vector<double>& vectors) {
    const int64_t p = std::min(m, 2 * k + 10);
    Rng rng(kEigenSeed);
    std::vector<double> q(size_t(p * m)), z(q.size()), b(size_t(p * p)), w, v(q.size()),
        av(q.size());
    std::generate(q.begin(), q.end(), [&rng] { return rng.normal(0, 1); });
    orthonormalise(q, p, m, rng);
    for (int round = 1;; ++round) {
        for (int step = 0; step < kStepsPerRound; ++step) {
            gemm(false, false, p, m, m, q.data(), a.data(), z.data());
            q.swap(z);
            orthonormalise(q, p, m, rng);
        }
        gemm(false, false, p, m, m, q.data(), a.data(), z.data());
        gemm(false, true, p, p, m, z.data(), q.data(), b.data());
        jacobiEigen(b, p, values, w);
        gemm(false, false, p, m, p, w.data(), q.data(), v.data());   // the Ritz vectors
        gemm(false, false, p, m, p, w.data(), z.data(), av.data());  // a times them
        bool converged = true;
        for (int64_t i = 0; i < k && converged; ++i) {
            double residual = 0;
            for (int64_t r = i * m; r < (i + 1) * m; ++r) {
                residual += (av[size_t(r)] - values[size_t(i)] * v[size_t(r)]) *
                            (av[size_t(r)] - values[size_t(i)] * v[size_t(r)]);
            }
            converged = std::sqrt(residual) <= kEigenTolerance * std::max(values[0], 1e-300);
        }
        if (converged || round == kMaxRounds) {
            values.resize(size_t(k));
            vectors.assign(v.begin(), v.begin() + k * m);
            return;
        }
        q.swap(av);
        orthonormalise(q, p, m, rng);
    }
}

}  // namespace

namespace embedding {

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const double* a,
          const double* b, double* c) {
    const cpu::SingleThreadedBlas oneThread;
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0, a,
                int(transA ? m : k), b, int(transB ? k : n), 0.0, c, int(n));
}

Points readFeatures(const Tensor& features, const std::string& method) {
    if (features.rank() != 2 || features.dim(0) < 1 || features.dim(1) < 1) {
        throw ShapeError(method + " needs features [N, D], one row per point, not " +
                         features.shape().str());
    }
    const Tensor host = features.device().kind == DeviceKind::CPU ? features : features.toHost();
    const Tensor values = host.dtype() == DType::F64 ? host : host.to(DType::F64);
    Points x{host.dim(0), host.dim(1), {}};
    x.v.assign(values.data<double>(), values.data<double>() + values.numel());
    const auto bad =
        std::find_if(x.v.begin(), x.v.end(), [](double u) { return !std::isfinite(u); });
    if (bad != x.v.end()) {
        const int64_t at = bad - x.v.begin();
        throw DataError("row " + std::to_string(at / x.d) + " of the features (column " +
                        std::to_string(at % x.d) + ") is " +
                        (std::isnan(*bad) ? "NaN" : "infinite") + ": " + method +
                        " needs finite values; leave that sample out or fix it");
    }
    return x;
}

// The covariance matrix (D x D) when D <= N, else the Gram matrix of the centred points (N x N),
// whose eigenvectors u give the axes as X^T u: the same axes at the smaller matrix's cost.
Pca fitPca(const Points& x, int64_t k) {
    const int64_t n = x.n, d = x.d;
    Pca pca;
    pca.mean.assign(size_t(d), 0.0);
    for (size_t e = 0; e < x.v.size(); ++e) {
        pca.mean[e % size_t(d)] += x.v[e];
    }
    std::transform(pca.mean.begin(), pca.mean.end(), pca.mean.begin(),
                   [n](double u) { return u / double(n); });
    std::vector<double> c(x.v);
    for (size_t e = 0; e < c.size(); ++e) {
        c[e] -= pca.mean[e % size_t(d)];
        pca.total += c[e] * c[e] / double(n - 1);
    }
    const bool gram = d > n;
    const int64_t m = gram ? n : d;
    std::vector<double> a(size_t(m * m)), vectors;
    gemm(!gram, gram, m, m, gram ? d : n, c.data(), c.data(), a.data());
    std::transform(a.begin(), a.end(), a.begin(), [n](double u) { return u / double(n - 1); });
    topEigen(a, m, k, pca.variances, vectors);
    pca.axes.resize(size_t(k * d));
    if (gram) {
        gemm(false, false, k, d, n, vectors.data(), c.data(), pca.axes.data());
    } else {
        pca.axes = vectors;
    }
    for (int64_t i = 0; i < k; ++i) {
        double* axis = pca.axes.data() + i * d;
        const double norm = std::sqrt(std::inner_product(axis, axis + d, axis, 0.0));
        const double largest = *std::max_element(
            axis, axis + d, [](double u, double v) { return std::abs(u) < std::abs(v); });
        const double scale = norm > 0 ? (largest < 0 ? -1 : 1) / norm : 0;
        std::transform(axis, axis + d, axis, [scale](double u) { return u * scale; });
        pca.variances[size_t(i)] = std::max(pca.variances[size_t(i)], 0.0);
    }
    pca.projection.resize(size_t(n * k));
    gemm(false, true, n, k, d, c.data(), pca.axes.data(), pca.projection.data());
    return pca;
}

Pca checkedPca(const Tensor& features, int components) {
    const Points x = readFeatures(features, "PCA");
    const int64_t most = std::min(x.n - 1, x.d);  // centred points span at most N - 1 axes
    if (most < 1) {
        throw ConfigError("PCA needs at least 2 points, but the features are " +
                          features.shape().str());
    }
    if (components < 1 || components > most) {
        const std::string shape = features.shape().str();
        throw ConfigError("PCA of features " + shape + " has between 1 and " +
                          std::to_string(most) + " components (fewer than the points, at most " +
                          "the features), not " + std::to_string(components));
    }
    return fitPca(x, components);
}

Tensor matrixTensor(const std::vector<double>& values, int64_t rows, int64_t columns) {
    Tensor t = Tensor::empty(Shape{rows, columns});
    std::copy(values.begin(), values.end(), t.data<float>());
    return t;
}

}  // namespace embedding

PrincipalComponents principalComponents(const Tensor& features, int components) {
    Pca pca = checkedPca(features, components);
    return {std::move(pca.mean), matrixTensor(pca.axes, components, features.dim(1)),
            std::move(pca.variances), pca.total};
}

Tensor pcaProjection(const Tensor& features, int components) {
    return matrixTensor(checkedPca(features, components).projection, features.dim(0), components);
}

}  // namespace loom
