// Element-wise ops, reductions, bias and dropout on the CPU. Outputs may alias inputs (each
// element is read before it is written). Reductions accumulate in double in fixed blocks, so
// their result does not depend on the number of threads.

#include "backend/CounterRandom.h"
#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <algorithm>
#include <cmath>

namespace loom {

using namespace cpu;

namespace {

// [N, C, inner...] as seen by the bias ops.
struct BiasDims {
    int64_t n, channels, inner;
};

BiasDims biasDims(const Tensor& t) {
    return {t.dim(0), t.dim(1), t.numel() / std::max<int64_t>(t.dim(0) * t.dim(1), 1)};
}

// db[c] = sum over rows of dy[n, c] for dense data [N, C]: blocks of columns keep a row's
// block and its accumulators in cache and vectorise along the row.
template <typename T>
void biasBackwardDense(const T* dy, const BiasDims& d, T* db) {
    constexpr int64_t kBlock = 64;
    int64_t blocks = (d.channels + kBlock - 1) / kBlock;
    parallelFor(blocks, d.n * kBlock, [&](int64_t block) {
        int64_t c0 = block * kBlock, c1 = std::min(d.channels, c0 + kBlock);
        double acc[kBlock] = {};
        for (int64_t n = 0; n < d.n; ++n) {
            const T* row = dy + n * d.channels;
            for (int64_t c = c0; c < c1; ++c) {
                acc[c - c0] += row[c];
            }
        }
        for (int64_t c = c0; c < c1; ++c) {
            db[c] = static_cast<T>(acc[c - c0]);
        }
    });
}

template <typename T>
void biasBackwardSpatial(const T* dy, const BiasDims& d, T* db) {
    parallelFor(d.channels, d.n * d.inner, [&](int64_t c) {
        double acc = 0.0;
        for (int64_t n = 0; n < d.n; ++n) {
            acc += sumOf(dy + (n * d.channels + c) * d.inner, d.inner);
        }
        db[c] = static_cast<T>(acc);
    });
}

}  // namespace

void CpuBackend::addBiasImpl(Tensor& y, const Tensor& bias) {
    BiasDims d = biasDims(y);
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* yp = y.data<T>();
        const T* b = bias.data<T>();
        if (d.inner == 1) {
            parallelFor(d.n, d.channels, [&](int64_t n) {
                T* row = yp + n * d.channels;
                for (int64_t c = 0; c < d.channels; ++c) {
                    row[c] += b[c];
                }
            });
            return;
        }
        parallelFor(d.n * d.channels, d.inner, [&](int64_t plane) {
            T* p = yp + plane * d.inner;
            const T v = b[plane % d.channels];
            for (int64_t j = 0; j < d.inner; ++j) {
                p[j] += v;
            }
        });
    });
}

void CpuBackend::biasBackwardImpl(const Tensor& dy, Tensor& db) {
    BiasDims d = biasDims(dy);
    dispatch(dy.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (d.inner == 1) {
            biasBackwardDense(dy.data<T>(), d, db.data<T>());
        } else {
            biasBackwardSpatial(dy.data<T>(), d, db.data<T>());
        }
    });
}

void CpuBackend::dropoutForwardImpl(const Tensor& x, double rate, uint64_t seed, uint64_t offset,
                                    Tensor& mask, Tensor& y) {
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        T *mp = mask.data<T>(), *yp = y.data<T>();
        // The mask holds the factor each element was multiplied by (0 or 1/(1-rate)), so the
        // backward pass is dx = dy * mask. A rate of 1 drops everything.
        const T scale = rate < 1.0 ? static_cast<T>(1.0 / (1.0 - rate)) : T(0);
        // Kept when uniform >= rate, i.e. bits * 2^-53 >= rate, i.e. bits >= ceil(rate * 2^53)
        // (exact: scaling by a power of two loses nothing), an integer compare.
        const int64_t threshold = static_cast<int64_t>(std::ceil(rate * 0x1.0p53));
        // The mask multiplies rather than branches: whether an element is kept is random, so
        // a branch would mispredict on every other element.
        parallelFor(x.numel(), 8, [&](int64_t i) {
            T m = scale * T(counterRandomBits(seed, offset + uint64_t(i)) >= threshold);
            mp[i] = m;
            yp[i] = xp[i] * m;
        });
    });
}

void CpuBackend::axpbyImpl(double alpha, const Tensor& x, double beta, Tensor& y) {
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        T* yp = y.data<T>();
        const T a = static_cast<T>(alpha), b = static_cast<T>(beta);
        if (beta == 0.0) {  // ignore what y held, NaN included
            parallelFor(x.numel(), 1, [&](int64_t i) { yp[i] = a * xp[i]; });
        } else {
            parallelFor(x.numel(), 1, [&](int64_t i) { yp[i] = a * xp[i] + b * yp[i]; });
        }
    });
}

void CpuBackend::addImpl(const Tensor& a, const Tensor& b, Tensor& y) {
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *ap = a.data<T>(), *bp = b.data<T>();
        T* yp = y.data<T>();
        parallelFor(a.numel(), 1, [&](int64_t i) { yp[i] = ap[i] + bp[i]; });
    });
}

void CpuBackend::multiplyImpl(const Tensor& a, const Tensor& b, Tensor& y) {
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *ap = a.data<T>(), *bp = b.data<T>();
        T* yp = y.data<T>();
        parallelFor(a.numel(), 1, [&](int64_t i) { yp[i] = ap[i] * bp[i]; });
    });
}

void CpuBackend::sumImpl(const Tensor& x, Tensor& result) {
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        result.data<T>()[0] =
            static_cast<T>(reduceSum(x.numel(), 1, [&](int64_t i) { return double(xp[i]); }));
    });
}

void CpuBackend::sumSquaresImpl(const Tensor& x, Tensor& result) {
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        result.data<T>()[0] = static_cast<T>(
            reduceSum(x.numel(), 1, [&](int64_t i) { return double(xp[i]) * double(xp[i]); }));
    });
}

int64_t CpuBackend::countNonFiniteImpl(const Tensor& x) {
    return dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        double count =
            reduceSum(x.numel(), 1, [&](int64_t i) { return std::isfinite(xp[i]) ? 0.0 : 1.0; });
        return static_cast<int64_t>(count);
    });
}

}  // namespace loom
