// GEMM on the CPU: OpenBLAS (sgemm or dgemm) on every core through parallelGemm (see
// CpuSupport.h for why OpenBLAS' own threads are not used).

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

namespace loom {

using namespace cpu;

namespace {

// C = beta * C for an empty inner dimension, where BLAS would be handed a zero leading
// dimension. beta 0 overwrites (NaN included), as BLAS does.
template <typename T>
void scaleOnly(T beta, Tensor& c) {
    T* p = c.data<T>();
    for (int64_t i = 0; i < c.numel(); ++i) {
        p[i] = beta == T(0) ? T(0) : beta * p[i];
    }
}

}  // namespace

void CpuBackend::gemmImpl(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                          double beta, Tensor& c) {
    const int64_t m = c.dim(0), n = c.dim(1), k = transA ? a.dim(0) : a.dim(1);
    if (m == 0 || n == 0) {
        return;
    }
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (k == 0) {
            scaleOnly(static_cast<T>(beta), c);
            return;
        }
        parallelGemm(transA, transB, m, n, k, static_cast<T>(alpha), a.data<T>(), a.dim(1),
                     b.data<T>(), b.dim(1), static_cast<T>(beta), c.data<T>(), n);
    });
}

}  // namespace loom
