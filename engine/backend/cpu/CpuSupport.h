#pragma once
/// Helpers shared by the CPU kernels (whose arguments Backend's public ops have checked): dtype
/// dispatch to templated kernels, typed BLAS wrappers, OpenMP loops that stay serial when the
/// work is too small to pay for a fork, and reductions whose result does not depend on the
/// thread count.

#include <loom/Error.h>
#include <loom/Tensor.h>

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace loom::cpu {

/// Work (in elements touched) below which a loop stays on one thread: forking and joining the
/// OpenMP team costs a few microseconds, more than a small loop takes.
constexpr int64_t kParallelGrain = 1 << 15;

/// Calls f with a value of the element type of dtype (float or double).
template <typename F>
decltype(auto) dispatch(DType dtype, F&& f) {
    if (dtype == DType::F32) {
        return f(float{});
    }
    return f(double{});
}

/// Runs f(i) for i in [0, n), on every core when n * costPerItem reaches kParallelGrain.
template <typename F>
void parallelFor(int64_t n, int64_t costPerItem, F&& f) {
#pragma omp parallel for schedule(static) if (n > 1 && n * costPerItem >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) {
        f(i);
    }
}

/// Sum of f(i) for i in [begin, end) in double, in four interleaved partial sums: one running
/// sum waits for each add to finish (4 cycles), four keep the adder busy.
template <typename F>
double sumRange(int64_t begin, int64_t end, F&& f) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int64_t i = begin;
    for (; i + 4 <= end; i += 4) {
        s0 += f(i);
        s1 += f(i + 1);
        s2 += f(i + 2);
        s3 += f(i + 3);
    }
    for (; i < end; ++i) {
        s0 += f(i);
    }
    return (s0 + s1) + (s2 + s3);
}

/// Sum of p[0, n) in double.
template <typename T>
double sumOf(const T* p, int64_t n) {
    return sumRange(0, n, [p](int64_t i) { return double(p[i]); });
}

/// Sum of f(i) for i in [0, n) in double, on every core when n * costPerItem reaches
/// kParallelGrain. Blocks fixed by n and the cost alone, summed in order, make the result the
/// same whatever the number of threads, so losses and norms are reproducible run to run.
template <typename F>
double reduceSum(int64_t n, int64_t costPerItem, F&& f) {
    const int64_t block =
        std::max<int64_t>(1, (int64_t(1) << 13) / std::max<int64_t>(costPerItem, 1));
    const int64_t blocks = (n + block - 1) / block;
    std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
#pragma omp parallel for schedule(static) if (blocks > 1 && n * costPerItem >= kParallelGrain)
    for (int64_t b = 0; b < blocks; ++b) {
        partial[static_cast<size_t>(b)] = sumRange(b * block, std::min(n, (b + 1) * block), f);
    }
    double total = 0.0;
    for (double s : partial) {
        total += s;
    }
    return total;
}

/// Row-major C = alpha * op(A) * op(B) + beta * C through OpenBLAS.
inline void blasGemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a,
                     int lda, const float* b, int ldb, float beta, float* c, int ldc) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

inline void blasGemm(bool transA, bool transB, int m, int n, int k, double alpha, const double* a,
                     int lda, const double* b, int ldb, double beta, double* c, int ldc) {
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// While one is alive, OpenBLAS runs single-threaded, so that GEMMs called from inside our own
/// OpenMP threads do not start OpenBLAS' threads on top of them (2 x 2 threads on 2 cores
/// thrash). Guards may overlap, on one thread or several: the last one to end restores the
/// thread count the first one found.
class SingleThreadedBlas {
public:
    SingleThreadedBlas();
    ~SingleThreadedBlas();
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

/// This thread's scratch memory: at least `bytes`, 64-byte aligned, valid until the next call
/// on the same thread. It only grows and is freed when the thread ends, so an op that needs a
/// large temporary every call (a convolution's column buffer) gets memory that is already
/// mapped instead of a fresh mmap whose pages the kernel must fault in and zero each time.
/// Ops hold it for their own duration only and never call each other while holding it.
void* threadScratch(size_t bytes);

/// threadScratch as `count` elements of T.
template <typename T>
T* threadScratch(int64_t count) {
    return static_cast<T*>(threadScratch(static_cast<size_t>(count) * sizeof(T)));
}

/// The number of OpenMP threads a parallel region gets here.
int maxThreads();
/// True inside an OpenMP parallel region (where a nested team would only oversubscribe).
bool inParallel();

/// GEMMs smaller than this many flops run on one core: a fork costs more than it saves.
constexpr double kParallelGemmFlops = double(1 << 21);

/// C = alpha * op(A) * op(B) + beta * C on every core, all in OpenMP's team: C is cut into one
/// block of columns (or of rows, whichever extent is larger, so that the operand every block
/// re-reads is the smaller one) per thread, each block one single-threaded BLAS call. All the
/// backend's parallel work stays in one pool because two pools fight on few cores: OpenMP's
/// idle threads spin after a loop while OpenBLAS' threads want the same cores, and the other
/// way round (a threaded sgemm right after an OpenMP loop measured 4x slower on 2 cores).
template <typename T>
void parallelGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    SingleThreadedBlas guard;
    const int threads = maxThreads();
    if (threads == 1 || inParallel() ||
        2.0 * double(m) * double(n) * double(k) < kParallelGemmFlops) {
        blasGemm(transA, transB, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c,
                 int(ldc));
        return;
    }
    const bool splitColumns = n >= m;
    const int64_t extent = splitColumns ? n : m;
#pragma omp parallel num_threads(threads)
    {
        // Block edges on multiples of 16 elements keep threads off each other's cache lines.
        const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t begin = t == 0 ? 0 : extent * t / nt / 16 * 16;
        const int64_t end = t == nt - 1 ? extent : extent * (t + 1) / nt / 16 * 16;
        if (end > begin && splitColumns) {
            blasGemm(transA, transB, int(m), int(end - begin), int(k), alpha, a, int(lda),
                     transB ? b + begin * ldb : b + begin, int(ldb), beta, c + begin, int(ldc));
        } else if (end > begin) {
            blasGemm(transA, transB, int(end - begin), int(n), int(k), alpha,
                     transA ? a + begin : a + begin * lda, int(lda), b, int(ldb), beta,
                     c + begin * ldc, int(ldc));
        }
    }
}

}  // namespace loom::cpu
