// Convolution on the CPU as im2col + GEMM, one image at a time:
//   forward          y[n]  (K x PQ)   = W (K x CRS) * col(x[n]) (CRS x PQ)
//   backward data    dx[n]            = col2im(W^T (CRS x K) * dy[n] (K x PQ))
//   backward filter  dW    (K x CRS)  = sum_n dy[n] (K x PQ) * col(x[n])^T (PQ x CRS)
// A grouped convolution is G independent convolutions of C/G channels into K/G channels. Group
// g of image n holds consecutive channel planes, so (image, group) pairs are the tasks below:
// pair t = n*G + g reads input planes from t*(C/G), writes output planes from t*(K/G) and uses
// filter rows from g*(K/G). With G = 1 a task is an image, exactly as without groups.
// An image's column matrix is built one band of output rows at a time (CRS x rows*Q, at most
// kBandBytes), so that it stays in cache between the im2col that writes it and the GEMM that
// reads it: a whole 512x512 image's would take 600 MB (64 channels, 3x3 taps). Small images are
// one band. The band buffer is the calling thread's scratch (threadScratch), allocated once
// rather than mapped and faulted in afresh on every call. With at
// least as many images as cores, each OpenMP thread takes whole images and runs single-threaded
// GEMMs; with fewer (one image in style transfer), images go one by one and each im2col and
// GEMM is split over the cores instead. Either way only OpenMP's threads run (see
// parallelGemm in CpuSupport.h).

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace loom {

using namespace cpu;

namespace {

/// The most bytes of column matrix built at once: a few output rows of a large image, enough
/// columns for an efficient GEMM yet small enough to stay in the core's cache.
constexpr int64_t kBandBytes = int64_t(4) << 20;

// c and k count the channels of one group.
struct ConvDims {
    int64_t n, c, h, w, k, r, s, p, q;
    Conv2DGeometry g;

    int64_t colRows() const { return c * r * s; }
    int64_t colCols() const { return p * q; }
    /// (image, group) pairs: the unit of work.
    int64_t tasks() const { return n * g.groups; }
    double flops() const {
        return 2.0 * double(tasks()) * double(k) * double(colRows() * colCols());
    }
    // A 1x1 filter with unit stride and no padding reads x itself as its column matrix.
    bool pointwise() const {
        return r == 1 && s == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
               g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0;
    }
    /// Output rows per band: as many as fit kBandBytes of column matrix, at least one; all of
    /// them for a pointwise filter, which reads x in place and needs no buffer.
    int64_t bandRows(size_t elementSize) const {
        if (pointwise()) {
            return p;
        }
        const int64_t rowBytes = colRows() * q * static_cast<int64_t>(elementSize);
        return std::clamp<int64_t>(kBandBytes / rowBytes, 1, p);
    }
};

/// Output rows [begin, end) of one image: its columns [begin*Q, end*Q) of the column matrix.
struct Band {
    int64_t begin, end;

    int64_t columns(const ConvDims& d) const { return (end - begin) * d.q; }
    int64_t offset(const ConvDims& d) const { return begin * d.q; }
};

/// Calls f(band) for consecutive bands of `rows` output rows covering the image.
template <typename F>
void forEachBand(const ConvDims& d, int64_t rows, F&& f) {
    for (int64_t begin = 0; begin < d.p; begin += rows) {
        f(Band{begin, std::min(d.p, begin + rows)});
    }
}

// The dimensions of a checked convolution: x [N,C,H,W], w [K,C/G,R,S], output [N,K,P,Q]. BLAS
// indexes with int, so a larger column matrix (one image's) is refused rather than wrapped.
ConvDims convDims(const char* op, const char* xName, const Tensor& x, const char* wName,
                  const Tensor& w, const Conv2DGeometry& g) {
    const Shape& xs = x.shape();
    const Shape& ws = w.shape();
    const Shape out = g.outputShape(xs, ws);
    ConvDims d{.n = xs[0],
               .c = ws[1],
               .h = xs[2],
               .w = xs[3],
               .k = ws[0] / g.groups,
               .r = ws[2],
               .s = ws[3],
               .p = out[2],
               .q = out[3],
               .g = g};
    if (d.colRows() > INT_MAX || d.colCols() > INT_MAX || d.k > INT_MAX) {
        throw ShapeError(std::string(op) + ": " + xName + " " + xs.str() + " and " + wName + " " +
                         ws.str() + " are too large for one image's GEMM");
    }
    return d;
}

int64_t floorDiv(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// The output columns q whose input column q*stride + offset lies inside [0, width).
std::pair<int64_t, int64_t> validColumns(const ConvDims& d, int64_t offset) {
    int64_t first = std::max<int64_t>(0, floorDiv(-offset + d.g.strideW - 1, d.g.strideW));
    int64_t last = std::min<int64_t>(d.q, floorDiv(d.w - 1 - offset, d.g.strideW) + 1);
    return {first, std::max(first, last)};
}

// Writes rows [rowBegin, rowEnd) of one band of an image's column matrix; row (c, r, s) holds
// the input cell each output position of the band sees through filter tap (r, s) of channel
// c, 0 in the padding.
template <typename T>
void im2col(const T* x, const ConvDims& d, const Band& band, T* col, int64_t rowBegin,
            int64_t rowEnd) {
    const int64_t sh = d.g.strideH, sw = d.g.strideW;
    for (int64_t row = rowBegin; row < rowEnd; ++row) {
        int64_t c = row / (d.r * d.s), r = row / d.s % d.r, s = row % d.s;
        const T* plane = x + c * d.h * d.w;
        int64_t rowOffset = r * d.g.dilationH - d.g.padTop;
        int64_t colOffset = s * d.g.dilationW - d.g.padLeft;
        auto [q0, q1] = validColumns(d, colOffset);
        for (int64_t p = band.begin; p < band.end; ++p) {
            T* out = col + (row * (band.end - band.begin) + p - band.begin) * d.q;
            int64_t h = p * sh + rowOffset;
            if (h < 0 || h >= d.h) {
                std::fill(out, out + d.q, T(0));
                continue;
            }
            const T* in = plane + h * d.w;
            std::fill(out, out + q0, T(0));
            if (sw == 1) {  // an inline loop: rows are short, a memmove call per row costs more
                for (int64_t q = q0; q < q1; ++q) {
                    out[q] = in[q + colOffset];
                }
            } else {
                for (int64_t q = q0; q < q1; ++q) {
                    out[q] = in[q * sw + colOffset];
                }
            }
            std::fill(out + q1, out + d.q, T(0));
        }
    }
}

// Adds one band's column-matrix gradient onto dx for channels [cBegin, cEnd) (dx zeroed before
// the first band): the adjoint of im2col. Channels are independent, so they can run in
// parallel.
template <typename T>
void col2im(const T* col, const ConvDims& d, const Band& band, T* dx, int64_t cBegin,
            int64_t cEnd) {
    const int64_t sh = d.g.strideH, sw = d.g.strideW;
    for (int64_t c = cBegin; c < cEnd; ++c) {
        T* plane = dx + c * d.h * d.w;
        for (int64_t r = 0; r < d.r; ++r) {
            for (int64_t s = 0; s < d.s; ++s) {
                int64_t row = (c * d.r + r) * d.s + s;
                int64_t rowOffset = r * d.g.dilationH - d.g.padTop;
                int64_t colOffset = s * d.g.dilationW - d.g.padLeft;
                auto [q0, q1] = validColumns(d, colOffset);
                for (int64_t p = band.begin; p < band.end; ++p) {
                    int64_t h = p * sh + rowOffset;
                    if (h < 0 || h >= d.h) {
                        continue;
                    }
                    const T* in = col + (row * (band.end - band.begin) + p - band.begin) * d.q;
                    T* out = plane + h * d.w;
                    if (sw == 1) {  // contiguous: vectorises, the strided loop does not
                        for (int64_t q = q0; q < q1; ++q) {
                            out[q + colOffset] += in[q];
                        }
                    } else {
                        for (int64_t q = q0; q < q1; ++q) {
                            out[q * sw + colOffset] += in[q];
                        }
                    }
                }
            }
        }
    }
}

// Fills one band of image x's column matrix into col: in parallel over rows when this thread
// is the only one working (one image at a time), serially inside a per-image parallel loop.
template <typename T>
void fillColumns(const T* x, const ConvDims& d, const Band& band, T* col, bool parallel) {
    if (!parallel) {
        im2col(x, d, band, col, 0, d.colRows());
        return;
    }
    parallelFor(d.colRows(), band.columns(d),
                [&](int64_t row) { im2col(x, d, band, col, row, row + 1); });
}

// Adds one band's column gradient onto image dx: in parallel over channels when this thread is
// the only one working.
template <typename T>
void foldColumns(const T* col, const ConvDims& d, const Band& band, T* dx, bool parallel) {
    if (!parallel) {
        col2im(col, d, band, dx, 0, d.c);
        return;
    }
    parallelFor(d.c, d.colRows() / d.c * band.columns(d),
                [&](int64_t c) { col2im(col, d, band, dx, c, c + 1); });
}

// Runs body(task, scratch, parallel) for every task (an image, or a group of images): in
// parallel over tasks when there are at least as many as cores and the whole op (`flops`) is
// worth a fork, else one by one with parallel true, telling the body that it has every core to
// itself. scratch is a per-thread buffer of scratchSize elements, carved from the calling
// thread's threadScratch. Tasks are dealt out one at a
// time, so a core that another process delays holds up only the task it is on rather than a
// fixed half of the batch.
template <typename T, typename Body>
void forEachTask(int64_t tasks, double flops, int64_t scratchSize, Body&& body) {
    int threads = maxThreads();
    if (threads > 1 && tasks >= threads && !inParallel() && flops >= kParallelGemmFlops) {
        T* scratch = threadScratch<T>(scratchSize * threads);
        SingleThreadedBlas guard;
#pragma omp parallel num_threads(threads)
        {
            T* own = scratch + scratchSize * omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
            for (int64_t i = 0; i < tasks; ++i) {
                body(i, own, false);
            }
        }
        return;
    }
    T* scratch = threadScratch<T>(scratchSize);
    for (int64_t i = 0; i < tasks; ++i) {
        body(i, scratch, true);
    }
}

// C = op(A) * op(B) + beta * C for one image: on every core when images run one by one, on
// this thread's core when they run in parallel.
template <typename T>
void imageGemm(bool parallel, bool transA, bool transB, int64_t m, int64_t n, int64_t k, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    if (parallel) {
        parallelGemm(transA, transB, m, n, k, T(1), a, lda, b, ldb, beta, c, ldc);
    } else {
        blasGemm(transA, transB, int(m), int(n), int(k), T(1), a, int(lda), b, int(ldb), beta, c,
                 int(ldc));
    }
}

template <typename T>
void convForward(const Tensor& xt, const Tensor& wt, const ConvDims& d, Tensor& yt) {
    const T* x = xt.data<T>();
    const T* w = wt.data<T>();
    T* y = yt.data<T>();
    const int64_t rows = d.colRows(), cols = d.colCols(), bandRows = d.bandRows(sizeof(T));
    const bool direct = d.pointwise();
    forEachTask<T>(d.tasks(), d.flops(), direct ? 0 : rows * bandRows * d.q,
                   [&](int64_t t, T* col, bool parallel) {
                       const T* xt = x + t * d.c * d.h * d.w;
                       forEachBand(d, bandRows, [&](const Band& band) {
                           if (!direct) {
                               fillColumns(xt, d, band, col, parallel);
                           }
                           imageGemm(parallel, false, false, d.k, band.columns(d), rows,
                                     w + t % d.g.groups * d.k * rows, rows, direct ? xt : col,
                                     direct ? cols : band.columns(d), T(0),
                                     y + t * d.k * cols + band.offset(d), cols);
                       });
                   });
}

template <typename T>
void convBackwardData(const Tensor& dyt, const Tensor& wt, const ConvDims& d, Tensor& dxt) {
    const T* dy = dyt.data<T>();
    const T* w = wt.data<T>();
    T* dx = dxt.data<T>();
    const int64_t rows = d.colRows(), cols = d.colCols(), planes = d.c * d.h * d.w;
    const int64_t bandRows = d.bandRows(sizeof(T));
    const bool direct = d.pointwise();
    forEachTask<T>(d.tasks(), d.flops(), direct ? 0 : rows * bandRows * d.q,
                   [&](int64_t t, T* col, bool parallel) {
                       T* dxt = dx + t * planes;
                       const T* wg = w + t % d.g.groups * d.k * rows;
                       // A pointwise filter's column gradient is dx itself (one band); otherwise
                       // GEMM each band into the column buffer and fold it back with col2im.
                       if (direct) {
                           imageGemm(parallel, true, false, rows, cols, d.k, wg, rows,
                                     dy + t * d.k * cols, cols, T(0), dxt, cols);
                           return;
                       }
                       std::fill(dxt, dxt + planes, T(0));
                       forEachBand(d, bandRows, [&](const Band& band) {
                           imageGemm(parallel, true, false, rows, band.columns(d), d.k, wg, rows,
                                     dy + t * d.k * cols + band.offset(d), cols, T(0), col,
                                     band.columns(d));
                           foldColumns(col, d, band, dxt, parallel);
                       });
                   });
}

// Adds image t's filter gradient, band by band, onto out (its group's K x CRS block).
template <typename T>
void addFilterGradient(const T* x, const T* dy, const ConvDims& d, int64_t t, T* col, bool parallel,
                       T* out) {
    const int64_t rows = d.colRows(), cols = d.colCols();
    const T* xt = x + t * d.c * d.h * d.w;
    const bool direct = d.pointwise();
    forEachBand(d, d.bandRows(sizeof(T)), [&](const Band& band) {
        if (!direct) {
            fillColumns(xt, d, band, col, parallel);
        }
        imageGemm(parallel, false, true, d.k, rows, band.columns(d),
                  dy + t * d.k * cols + band.offset(d), cols, direct ? xt : col,
                  direct ? cols : band.columns(d), T(1), out, rows);
    });
}

template <typename T>
void convBackwardFilter(const Tensor& xt, const Tensor& dyt, const ConvDims& d, Tensor& dwt) {
    const T* x = xt.data<T>();
    const T* dy = dyt.data<T>();
    const int64_t rows = d.colRows(), groups = d.g.groups;
    const int64_t groupFilter = d.k * rows, filterSize = groups * groupFilter;
    // The batch is cut into a fixed number of chunks of consecutive images; each chunk sums
    // its images' filter gradients into its own buffer (the first chunk into dw itself) and
    // the buffers are added up in chunk order, so the result does not depend on which thread
    // ran which chunk. A task is one chunk's share of one convolution group.
    const int64_t chunks = std::min<int64_t>(d.n, std::max(8, 2 * maxThreads()));
    std::unique_ptr<T[]> partial(new T[static_cast<size_t>(filterSize * (chunks - 1) + 1)]);
    auto sink = [&](int64_t chunk) {
        return chunk == 0 ? dwt.data<T>() : partial.get() + filterSize * (chunk - 1);
    };
    forEachTask<T>(chunks * groups, d.flops(),
                   d.pointwise() ? 0 : rows * d.bandRows(sizeof(T)) * d.q,
                   [&](int64_t task, T* col, bool parallel) {
                       const int64_t chunk = task / groups, group = task % groups;
                       T* out = sink(chunk) + group * groupFilter;
                       std::fill(out, out + groupFilter, T(0));
                       for (int64_t i = d.n * chunk / chunks; i < d.n * (chunk + 1) / chunks; ++i) {
                           addFilterGradient(x, dy, d, i * groups + group, col, parallel, out);
                       }
                   });
    T* dw = dwt.data<T>();
    for (int64_t chunk = 1; chunk < chunks; ++chunk) {
        const T* p = sink(chunk);
        for (int64_t j = 0; j < filterSize; ++j) {
            dw[j] += p[j];
        }
    }
}

}  // namespace

void CpuBackend::conv2dForwardImpl(const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                                   Tensor& y) {
    ConvDims d = convDims("conv2dForward", "x", x, "w", w, g);
    dispatch(x.dtype(), [&](auto tag) { convForward<decltype(tag)>(x, w, d, y); });
}

void CpuBackend::conv2dBackwardDataImpl(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                                        Tensor& dx) {
    ConvDims d = convDims("conv2dBackwardData", "dx", dx, "w", w, g);
    dispatch(dx.dtype(), [&](auto tag) { convBackwardData<decltype(tag)>(dy, w, d, dx); });
}

void CpuBackend::conv2dBackwardFilterImpl(const Tensor& x, const Tensor& dy,
                                          const Conv2DGeometry& g, Tensor& dw) {
    ConvDims d = convDims("conv2dBackwardFilter", "x", x, "dw", dw, g);
    dispatch(x.dtype(), [&](auto tag) { convBackwardFilter<decltype(tag)>(x, dy, d, dw); });
}

}  // namespace loom
