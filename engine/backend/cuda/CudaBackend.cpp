// The CUDA backend's lifetime, memory ops and transfers. Host-to-device copies go through two
// pinned staging buffers: the caller's (pageable) memory is copied into one on the CPU and the
// DMA from it runs asynchronously while the host goes on, and the other buffer takes the next
// copy; a copy straight from pageable memory would wait for the whole stream first.
// Device-to-host copies wait for the stream, since the caller reads the result at once.

#include "backend/cuda/CudaBackend.h"

#include "backend/cuda/CudaAllocator.h"
#include "backend/cuda/CudaConvolutionPlans.h"
#include "backend/cuda/CudaSupport.h"

#include <algorithm>
#include <cstring>

namespace loom {

using namespace cuda;

namespace {

// cuBLAS wants a workspace of its own when work is captured into CUDA graphs and on Hopper
// recommends 32 MiB; handing it one also keeps it from allocating behind our allocator's back.
constexpr size_t kCublasWorkspace = size_t(32) << 20;
// Staging buffers grow to this; larger copies go in pieces.
constexpr size_t kMaxStaging = size_t(64) << 20;
constexpr size_t kMinStaging = size_t(1) << 20;

size_t stagingCapacity(size_t bytes) {
    size_t capacity = kMinStaging;
    while (capacity < bytes && capacity < kMaxStaging) {
        capacity *= 2;
    }
    return capacity;
}

}  // namespace

CudaBackend::Scope::Scope(const CudaBackend& backend) : m_lock(backend.m_mutex) {
    int current = -1;
    LOOM_CUDA_CHECK(cudaGetDevice(&current));
    if (current != backend.m_index) {
        LOOM_CUDA_CHECK(cudaSetDevice(backend.m_index));
    }
}

CudaBackend::CudaBackend(int deviceIndex) : m_index(deviceIndex) {
    LOOM_CUDA_CHECK(cudaSetDevice(m_index));
    LOOM_CUDA_CHECK(
        cudaDeviceGetAttribute(&m_multiprocessors, cudaDevAttrMultiProcessorCount, m_index));
    // Non-blocking: the stream never waits for work on the legacy default stream (which a
    // library linked beside Loom might use).
    LOOM_CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
    m_allocator = std::make_unique<CudaAllocator>(m_index);
    m_convolutions = std::make_unique<ConvolutionPlans>();
    LOOM_CUBLAS_CHECK(cublasCreate(&m_cublas));
    LOOM_CUBLAS_CHECK(cublasSetStream(m_cublas, m_stream));
    LOOM_CUBLAS_CHECK(cublasSetPointerMode(m_cublas, CUBLAS_POINTER_MODE_HOST));
    m_cublasWorkspace = allocate(Shape{int64_t(kCublasWorkspace / 4)}, DType::F32);
    LOOM_CUBLAS_CHECK(cublasSetWorkspace(m_cublas, m_cublasWorkspace.raw(), kCublasWorkspace));
    LOOM_CUDNN_CHECK(cudnnCreate(&m_cudnn));
    LOOM_CUDNN_CHECK(cudnnSetStream(m_cudnn, m_stream));
    m_partialsTensor = allocate(Shape{kMaxPartials + 1}, DType::F64);
    m_partials = m_partialsTensor.data<double>();
    // Mapped (zero-copy) host memory: kernels write an error record straight into it, and the
    // host reads it after the next synchronisation without a copy of its own.
    void* record = nullptr;
    LOOM_CUDA_CHECK(cudaHostAlloc(&record, sizeof(DeviceErrorRecord), cudaHostAllocMapped));
    m_errorsHost = static_cast<DeviceErrorRecord*>(record);
    std::memset(m_errorsHost, 0, sizeof(DeviceErrorRecord));
    void* devicePointer = nullptr;
    LOOM_CUDA_CHECK(cudaHostGetDevicePointer(&devicePointer, record, 0));
    m_errorsDevice = static_cast<DeviceErrorRecord*>(devicePointer);
    m_errorClaimTensor = allocate(Shape{1}, DType::F32);
    m_errorClaim = static_cast<int*>(m_errorClaimTensor.raw());
    LOOM_CUDA_CHECK(cudaMemsetAsync(m_errorClaim, 0, sizeof(int), m_stream));
    for (StagingSlot& slot : m_staging) {
        LOOM_CUDA_CHECK(cudaEventCreateWithFlags(&slot.done, cudaEventDisableTiming));
    }
}

CudaBackend::~CudaBackend() {
    // Errors are ignored here: a destructor must not throw, and at process exit the driver
    // may already be gone. Tensors still alive keep the allocator (see CudaDevices.cpp).
    cudaSetDevice(m_index);
    cudaStreamSynchronize(m_stream);
    for (StagingSlot& slot : m_staging) {
        if (slot.host != nullptr) {
            cudaFreeHost(slot.host);
        }
        cudaEventDestroy(slot.done);
    }
    m_convolutions.reset();
    if (m_cudnn != nullptr) {
        cudnnDestroy(m_cudnn);
    }
    if (m_cublas != nullptr) {
        cublasDestroy(m_cublas);
    }
    if (m_errorsHost != nullptr) {
        cudaFreeHost(m_errorsHost);
    }
    m_workspace = m_cublasWorkspace = m_partialsTensor = m_errorClaimTensor = Tensor();
    m_allocator.reset();
    cudaStreamDestroy(m_stream);
}

void CudaBackend::setTensorCoreMath(bool convolutions, bool gemm) {
    m_convTf32 = convolutions;
    m_gemmTf32 = gemm;
}

Tensor CudaBackend::allocateImpl(const Shape& shape, DType dtype) {
    Scope scope(*this);
    const size_t bytes = static_cast<size_t>(shape.numel()) * dtypeSize(dtype);
    return Tensor(m_allocator->allocate(bytes), shape, dtype);
}

void* CudaBackend::workspace(size_t bytes) {
    if (!m_workspace.defined() || m_workspace.bytes() < bytes) {
        // Grown by half again, so that a sequence of slightly larger requests does not
        // reallocate each time. The old block returns to the cache; only work queued after
        // this on the same stream can reuse it.
        const size_t grown =
            std::max(bytes, m_workspace.defined() ? m_workspace.bytes() * 3 / 2 : size_t(0));
        m_workspace = Tensor();
        m_workspace = allocate(Shape{int64_t((grown + 7) / 8)}, DType::F64);
    }
    return m_workspace.raw();
}

void CudaBackend::upload(const void* host, void* device, size_t bytes) {
    size_t done = 0;
    while (done < bytes) {
        StagingSlot& slot = m_staging[m_nextSlot];
        m_nextSlot ^= 1;
        const size_t chunk = std::min(bytes - done, kMaxStaging);
        // The slot's previous copy must have left it before it is overwritten (an event never
        // recorded counts as complete).
        LOOM_CUDA_CHECK(cudaEventSynchronize(slot.done));
        if (slot.capacity < chunk) {
            if (slot.host != nullptr) {
                LOOM_CUDA_CHECK(cudaFreeHost(slot.host));
                slot.host = nullptr;
                slot.capacity = 0;
            }
            const size_t capacity = stagingCapacity(chunk);
            LOOM_CUDA_CHECK(cudaHostAlloc(&slot.host, capacity, cudaHostAllocDefault));
            slot.capacity = capacity;
        }
        std::memcpy(slot.host, static_cast<const char*>(host) + done, chunk);
        LOOM_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(device) + done, slot.host, chunk,
                                        cudaMemcpyHostToDevice, m_stream));
        LOOM_CUDA_CHECK(cudaEventRecord(slot.done, m_stream));
        done += chunk;
    }
}

void CudaBackend::download(const void* device, void* host, size_t bytes) {
    if (bytes == 0) {
        return;
    }
    LOOM_CUDA_CHECK(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, m_stream));
    LOOM_CUDA_CHECK(cudaStreamSynchronize(m_stream));
    raiseDeviceErrors();
}

void CudaBackend::raiseDeviceErrors() {
    volatile DeviceErrorRecord* record = m_errorsHost;
    if (record->kind == 0) {
        return;
    }
    const long long sample = record->sample;
    const double value = record->value;
    const int classes = record->classes;
    record->kind = 0;
    // Unclaimed again for kernels queued from now on.
    LOOM_CUDA_CHECK(cudaMemsetAsync(m_errorClaim, 0, sizeof(int), m_stream));
    throw DataError("sparseSoftmaxCrossEntropy: label " + std::to_string(value) + " of sample " +
                    std::to_string(sample) + " is not a class index in [0, " +
                    std::to_string(classes) + ")");
}

void CudaBackend::synchronizeImpl() {
    Scope scope(*this);
    LOOM_CUDA_CHECK(cudaStreamSynchronize(m_stream));
    raiseDeviceErrors();
}

void CudaBackend::copyImpl(const Tensor& src, Tensor& dst) {
    const Device from = src.device(), to = dst.device();
    const bool fromHost = from.kind == DeviceKind::CPU, toHost = to.kind == DeviceKind::CPU;
    if ((!fromHost && from != device()) || (!toHost && to != device())) {
        if (!fromHost && !toHost && src.dtype() == dst.dtype()) {
            // Between two GPUs: a peer copy, ordered after this backend's work.
            Scope scope(*this);
            LOOM_CUDA_CHECK(cudaMemcpyPeerAsync(dst.raw(), to.index, src.raw(), from.index,
                                                src.bytes(), m_stream));
            return;
        }
        throw BackendError("copy: the " + name() + " backend cannot copy " + from.str() + " -> " +
                           to.str());
    }
    if (fromHost && toHost) {
        dst.copyFrom(src);
        return;
    }
    if (src.numel() == 0) {
        return;
    }
    Scope scope(*this);
    if (fromHost) {
        // Converted on the host first when the element types differ.
        const Tensor host = src.dtype() == dst.dtype() ? src : src.to(dst.dtype());
        upload(host.raw(), dst.raw(), dst.bytes());
    } else if (toHost) {
        if (src.dtype() == dst.dtype()) {
            download(src.raw(), dst.raw(), dst.bytes());
        } else {
            Tensor host = Tensor::empty(src.shape(), src.dtype());
            download(src.raw(), host.raw(), host.bytes());
            dst.copyFrom(host);
        }
    } else if (src.dtype() != dst.dtype()) {
        convertOnDevice(src, dst);
    } else if (src.raw() != dst.raw()) {
        LOOM_CUDA_CHECK(
            cudaMemcpyAsync(dst.raw(), src.raw(), src.bytes(), cudaMemcpyDeviceToDevice, m_stream));
    }
}

}  // namespace loom
