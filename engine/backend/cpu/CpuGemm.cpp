// GEMM on the CPU: shape checks, then OpenBLAS (sgemm or dgemm) on every core through
// parallelGemm (see CpuSupport.h for why OpenBLAS' own threads are not used).

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <climits>

namespace loom {

using namespace cpu;

namespace {

std::string opShape(const Tensor& t, bool transposed) {
    return t.shape().str() + (transposed ? "^T" : "");
}

// BLAS takes 32-bit extents; larger ones would silently wrap.
void checkBlasExtent(int64_t extent, const char* what) {
    if (extent > INT_MAX) {
        throw ShapeError(std::string("gemm: ") + what + " of " + std::to_string(extent) +
                         " exceeds what BLAS can index");
    }
}

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

void CpuBackend::gemm(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                      double beta, Tensor& c) {
    checkArgs("gemm", {{"a", &a}, {"b", &b}, {"c", &c}});
    checkRank("gemm", {"a", &a}, 2);
    checkRank("gemm", {"b", &b}, 2);
    checkRank("gemm", {"c", &c}, 2);
    int64_t m = transA ? a.dim(1) : a.dim(0);
    int64_t k = transA ? a.dim(0) : a.dim(1);
    int64_t kb = transB ? b.dim(1) : b.dim(0);
    int64_t n = transB ? b.dim(0) : b.dim(1);
    if (k != kb || c.dim(0) != m || c.dim(1) != n) {
        throw ShapeError("gemm: cannot multiply a " + opShape(a, transA) + " by b " +
                         opShape(b, transB) + " into c " + c.shape().str());
    }
    for (int64_t extent : {m, n, k, a.dim(1), b.dim(1)}) {
        checkBlasExtent(extent, "an extent");
    }
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
