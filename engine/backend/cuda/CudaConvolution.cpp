// Convolution through cuDNN's (legacy) convolution API, NCHW, cross-correlation as Keras and
// the CPU backend compute it. Per shape a plan holds the descriptors and, per direction, the
// algorithm cudnnFind*AlgorithmEx measured fastest (preferring a deterministic one within 10%
// of the fastest, so runs repeat exactly). With TF32 off, algorithms that use tensor-core TF32
// are refused and the descriptor asks for FMA math only.
//
// cuDNN pads symmetrically. Loom's geometry may pad top and bottom (or left and right)
// differently (Keras' "same" with an even total); then the input is zero-padded explicitly
// into a scratch tensor and the convolution runs unpadded on it.

#include "backend/cuda/CudaBackend.h"
#include "backend/cuda/CudaConvolutionPlans.h"
#include "backend/cuda/CudaSupport.h"

#include <algorithm>
#include <climits>

namespace loom {

using namespace cuda;

namespace cuda {

ConvPlan::~ConvPlan() {
    if (conv != nullptr) {
        cudnnDestroyConvolutionDescriptor(conv);
    }
    if (w != nullptr) {
        cudnnDestroyFilterDescriptor(w);
    }
    if (y != nullptr) {
        cudnnDestroyTensorDescriptor(y);
    }
    if (x != nullptr) {
        cudnnDestroyTensorDescriptor(x);
    }
}

ConvPlan& ConvolutionPlans::get(const ConvKey& key) {
    auto it = m_plans.find(key);
    if (it != m_plans.end()) {
        return *it->second;
    }
    auto plan = std::make_unique<ConvPlan>();
    const cudnnDataType_t type = key.dtype == 0 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
    LOOM_CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan->x));
    LOOM_CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan->y));
    LOOM_CUDNN_CHECK(cudnnCreateFilterDescriptor(&plan->w));
    LOOM_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&plan->conv));
    LOOM_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(plan->x, CUDNN_TENSOR_NCHW, type, key.n, key.c, key.h, key.w));
    LOOM_CUDNN_CHECK(cudnnSetFilter4dDescriptor(plan->w, type, CUDNN_TENSOR_NCHW, key.k,
                                                key.filterChannels, key.r, key.s));
    LOOM_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(plan->conv, key.padH, key.padW, key.strideH,
                                                     key.strideW, key.dilationH, key.dilationW,
                                                     CUDNN_CROSS_CORRELATION, type));
    if (key.groups != 1) {
        LOOM_CUDNN_CHECK(cudnnSetConvolutionGroupCount(plan->conv, key.groups));
    }
    // FMA math forbids TF32; the default permits it on Ampere and later for float32.
    LOOM_CUDNN_CHECK(cudnnSetConvolutionMathType(
        plan->conv, key.dtype == 0 && !key.tf32 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
    LOOM_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(
        plan->conv, plan->x, plan->w, &plan->outN, &plan->outK, &plan->outP, &plan->outQ));
    LOOM_CUDNN_CHECK(cudnnSetTensor4dDescriptor(plan->y, CUDNN_TENSOR_NCHW, type, plan->outN,
                                                plan->outK, plan->outP, plan->outQ));
    return *m_plans.emplace(key, std::move(plan)).first->second;
}

}  // namespace cuda

namespace {

struct ConvShapes {
    Shape x, w, y;  ///< as the op sees them (x unpadded)
    Padding2D explicitPad;
    bool padded = false;  ///< asymmetric: x is padded into scratch first
    ConvKey key;
};

int checkedInt(int64_t v, const char* op, const Shape& shape) {
    if (v > INT_MAX) {
        throw ShapeError(std::string(op) + ": a tensor of shape " + shape.str() +
                         " is too large for cuDNN's 32-bit sizes");
    }
    return static_cast<int>(v);
}

// The cuDNN problem of a checked convolution: x (or dx) [N,C,H,W], w and the output y (or dy).
ConvShapes convShapes(const char* op, const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                      bool tf32) {
    const Shape expected = g.outputShape(x.shape(), w.shape());
    ConvShapes s{x.shape(), w.shape(), expected, {}, false, {}};
    s.padded = g.padTop != g.padBottom || g.padLeft != g.padRight;
    Shape xs = s.x;
    if (s.padded) {
        s.explicitPad = Padding2D{g.padTop, g.padBottom, g.padLeft, g.padRight};
        xs = Shape{xs[0], xs[1], xs[2] + g.padTop + g.padBottom, xs[3] + g.padLeft + g.padRight};
    }
    for (const Shape* shape : {&xs, &s.w, &s.y}) {
        checkedInt(shape->numel(), op, *shape);
    }
    ConvKey& k = s.key;
    k.dtype = x.dtype() == DType::F32 ? 0 : 1;
    k.n = int(xs[0]), k.c = int(xs[1]), k.h = int(xs[2]), k.w = int(xs[3]);
    k.k = int(s.w[0]), k.filterChannels = int(s.w[1]), k.r = int(s.w[2]), k.s = int(s.w[3]);
    k.padH = s.padded ? 0 : g.padTop;
    k.padW = s.padded ? 0 : g.padLeft;
    k.strideH = g.strideH, k.strideW = g.strideW;
    k.dilationH = g.dilationH, k.dilationW = g.dilationW;
    k.groups = g.groups;
    k.tf32 = tf32 && k.dtype == 0;
    return s;
}

// Whether a measured algorithm may be used: it ran, it never converts data to half precision,
// and it uses TF32 tensor cores only where they are allowed.
template <typename Perf>
bool usable(const Perf& perf, const ConvKey& key) {
    if (perf.status != CUDNN_STATUS_SUCCESS ||
        perf.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) {
        return false;
    }
    return !(key.dtype == 0 && !key.tf32 && perf.mathType == CUDNN_TENSOR_OP_MATH);
}

// From results sorted fastest first: the fastest usable one, unless a deterministic one is
// within 10% of it. -1 when none is usable.
template <typename Perf>
int pick(const Perf* results, int count, const ConvKey& key) {
    int fastest = -1;
    for (int i = 0; i < count; ++i) {
        if (!usable(results[i], key)) {
            continue;
        }
        if (fastest < 0) {
            fastest = i;
        }
        if (results[i].determinism == CUDNN_DETERMINISTIC &&
            results[i].time <= results[fastest].time * 1.1f + 0.002f) {
            return i;
        }
    }
    return fastest;
}

template <typename Choice, typename Perf>
void record(Choice& choice, const Perf& perf, const ConvKey& key) {
    choice.chosen = true;
    choice.algo = perf.algo;
    choice.workspace = perf.memory;
    // Run with the math the measurement used, except that TF32-free plans stay on FMA.
    choice.math = key.dtype == 0 && !key.tf32 ? CUDNN_FMA_MATH : perf.mathType;
}

// A scratch buffer for cudnnFind*Ex to try algorithms in: as much as it may want, up to 1 GiB
// or half of what is free, less when that much cannot be had. A power of two, so that later
// searches ask for the same size and get the block the allocator kept from this one.
Tensor findWorkspace(CudaBackend& backend) {
    size_t freeBytes = 0, totalBytes = 0;
    LOOM_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
    size_t limit = size_t(1) << 30;
    while (limit > freeBytes / 2 && limit > (size_t(1) << 20)) {
        limit /= 2;
    }
    while (true) {
        try {
            return backend.allocate(Shape{int64_t(std::max<size_t>(limit, 8) / 8)}, DType::F64);
        } catch (const BackendError&) {
            if (limit < (size_t(1) << 20)) {
                throw;
            }
            limit /= 4;
        }
    }
}

void chooseForward(CudaBackend& b, ConvPlan& plan, const ConvKey& key, const void* x, const void* w,
                   void* y) {
    Tensor scratch = findWorkspace(b);
    cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    LOOM_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        b.cudnn(), plan.x, x, plan.w, w, plan.conv, plan.y, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
        &count, results, scratch.raw(), scratch.bytes()));
    int i = pick(results, count, key);
    if (i < 0) {
        // Implicit GEMM takes every geometry.
        cudnnConvolutionFwdAlgoPerf_t fallback{};
        fallback.algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
        fallback.mathType = CUDNN_FMA_MATH;
        LOOM_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
            b.cudnn(), plan.x, plan.w, plan.conv, plan.y, fallback.algo, &fallback.memory));
        record(plan.forward, fallback, key);
        return;
    }
    record(plan.forward, results[i], key);
}

void chooseBackwardData(CudaBackend& b, ConvPlan& plan, const ConvKey& key, const void* w,
                        const void* dy, void* dx) {
    Tensor scratch = findWorkspace(b);
    cudnnConvolutionBwdDataAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    LOOM_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        b.cudnn(), plan.w, w, plan.y, dy, plan.conv, plan.x, dx,
        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, results, scratch.raw(), scratch.bytes()));
    int i = pick(results, count, key);
    if (i < 0) {
        cudnnConvolutionBwdDataAlgoPerf_t fallback{};
        fallback.algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
        fallback.mathType = CUDNN_FMA_MATH;
        LOOM_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
            b.cudnn(), plan.w, plan.y, plan.conv, plan.x, fallback.algo, &fallback.memory));
        record(plan.backwardData, fallback, key);
        return;
    }
    record(plan.backwardData, results[i], key);
}

void chooseBackwardFilter(CudaBackend& b, ConvPlan& plan, const ConvKey& key, const void* x,
                          const void* dy, void* dw) {
    Tensor scratch = findWorkspace(b);
    cudnnConvolutionBwdFilterAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    LOOM_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        b.cudnn(), plan.x, x, plan.y, dy, plan.conv, plan.w, dw,
        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, results, scratch.raw(), scratch.bytes()));
    int i = pick(results, count, key);
    if (i < 0) {
        cudnnConvolutionBwdFilterAlgoPerf_t fallback{};
        fallback.algo = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
        fallback.mathType = CUDNN_FMA_MATH;
        LOOM_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
            b.cudnn(), plan.x, plan.y, plan.conv, plan.w, fallback.algo, &fallback.memory));
        record(plan.backwardFilter, fallback, key);
        return;
    }
    record(plan.backwardFilter, results[i], key);
}

// alpha and beta for cuDNN: float for float data, double for double data.
struct Scalars {
    float f[2] = {1.0f, 0.0f};
    double d[2] = {1.0, 0.0};
    const void* one(const ConvKey& k) const { return k.dtype == 0 ? (const void*)&f[0] : &d[0]; }
    const void* zero(const ConvKey& k) const { return k.dtype == 0 ? (const void*)&f[1] : &d[1]; }
};

// cuDNN writes the output it works out; it must be the one Loom allocated.
ConvPlan& planFor(ConvolutionPlans& plans, const ConvShapes& s, const char* op) {
    ConvPlan& plan = plans.get(s.key);
    const Shape out{plan.outN, plan.outK, plan.outP, plan.outQ};
    if (out != s.y) {
        throw BackendError(std::string(op) + ": cuDNN makes the output " + out.str() +
                           " where Loom expects " + s.y.str() + " for x " + s.x.str() + " and w " +
                           s.w.str());
    }
    return plan;
}

}  // namespace

void CudaBackend::conv2dForwardImpl(const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                                    Tensor& y) {
    ConvShapes s = convShapes("conv2dForward", x, w, g, m_convTf32);
    Scope scope(*this);
    Tensor input = x;
    if (s.padded) {
        input = allocate(Shape{s.key.n, s.key.c, s.key.h, s.key.w}, x.dtype());
        pad2dForward(x, s.explicitPad, input);
    }
    ConvPlan& plan = planFor(*m_convolutions, s, "conv2dForward");
    if (!plan.forward.chosen) {
        chooseForward(*this, plan, s.key, input.raw(), w.raw(), y.raw());
    }
    LOOM_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.forward.math));
    void* space = plan.forward.workspace > 0 ? workspace(plan.forward.workspace) : nullptr;
    Scalars k;
    LOOM_CUDNN_CHECK(cudnnConvolutionForward(
        m_cudnn, k.one(s.key), plan.x, input.raw(), plan.w, w.raw(), plan.conv, plan.forward.algo,
        space, plan.forward.workspace, k.zero(s.key), plan.y, y.raw()));
}

void CudaBackend::conv2dBackwardDataImpl(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                                         Tensor& dx) {
    ConvShapes s = convShapes("conv2dBackwardData", dx, w, g, m_convTf32);
    Scope scope(*this);
    Tensor output = dx;
    if (s.padded) {
        output = allocate(Shape{s.key.n, s.key.c, s.key.h, s.key.w}, dx.dtype());
    }
    ConvPlan& plan = planFor(*m_convolutions, s, "conv2dBackwardData");
    if (!plan.backwardData.chosen) {
        chooseBackwardData(*this, plan, s.key, w.raw(), dy.raw(), output.raw());
    }
    LOOM_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.backwardData.math));
    const size_t bytes = plan.backwardData.workspace;
    void* space = bytes > 0 ? workspace(bytes) : nullptr;
    Scalars k;
    LOOM_CUDNN_CHECK(cudnnConvolutionBackwardData(
        m_cudnn, k.one(s.key), plan.w, w.raw(), plan.y, dy.raw(), plan.conv, plan.backwardData.algo,
        space, bytes, k.zero(s.key), plan.x, output.raw()));
    if (s.padded) {
        pad2dBackward(output, s.explicitPad, dx);
    }
}

void CudaBackend::conv2dBackwardFilterImpl(const Tensor& x, const Tensor& dy,
                                           const Conv2DGeometry& g, Tensor& dw) {
    ConvShapes s = convShapes("conv2dBackwardFilter", x, dw, g, m_convTf32);
    Scope scope(*this);
    Tensor input = x;
    if (s.padded) {
        input = allocate(Shape{s.key.n, s.key.c, s.key.h, s.key.w}, x.dtype());
        pad2dForward(x, s.explicitPad, input);
    }
    ConvPlan& plan = planFor(*m_convolutions, s, "conv2dBackwardFilter");
    if (!plan.backwardFilter.chosen) {
        chooseBackwardFilter(*this, plan, s.key, input.raw(), dy.raw(), dw.raw());
    }
    LOOM_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, plan.backwardFilter.math));
    const size_t bytes = plan.backwardFilter.workspace;
    void* space = bytes > 0 ? workspace(bytes) : nullptr;
    Scalars k;
    LOOM_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
        m_cudnn, k.one(s.key), plan.x, input.raw(), plan.y, dy.raw(), plan.conv,
        plan.backwardFilter.algo, space, bytes, k.zero(s.key), plan.w, dw.raw()));
}

}  // namespace loom
