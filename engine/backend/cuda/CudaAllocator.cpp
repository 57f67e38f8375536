// The caching allocator: free lists keyed by size class, the driver asked only on a miss.

#include "backend/cuda/CudaAllocator.h"

#include "backend/cuda/CudaSupport.h"

#include <cstdio>

namespace loom::cuda {

namespace {

constexpr size_t kSmallGranule = 512;
constexpr size_t kSmallLimit = size_t(1) << 20;
constexpr size_t kLargeGranule = size_t(2) << 20;

std::string mebibytes(size_t bytes) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / double(1 << 20));
    return text;
}

}  // namespace

CudaAllocator::CudaAllocator(int deviceIndex) : m_device(deviceIndex) {}

CudaAllocator::~CudaAllocator() {
    // Tensors still alive at this point keep their blocks (the backend is never destroyed
    // before the process ends, see CudaDevices.cpp); only the cache goes.
    std::lock_guard lock(m_mutex);
    for (auto& [size, blocks] : m_free) {
        for (void* block : blocks) {
            cudaFree(block);  // errors ignored: the driver may already be shutting down
        }
    }
    m_free.clear();
}

size_t CudaAllocator::sizeClass(size_t bytes) {
    if (bytes <= kSmallLimit) {
        return (std::max<size_t>(bytes, 1) + kSmallGranule - 1) / kSmallGranule * kSmallGranule;
    }
    return (bytes + kLargeGranule - 1) / kLargeGranule * kLargeGranule;
}

void* CudaAllocator::driverAllocate(size_t bytes) {
    // The calling thread may have another device current (a worker thread starts on 0).
    LOOM_CUDA_CHECK(cudaSetDevice(m_device));
    void* block = nullptr;
    cudaError_t status = cudaMalloc(&block, bytes);
    if (status == cudaSuccess) {
        ++m_stats.driverCalls;
        return block;
    }
    cudaGetLastError();  // an allocation failure is not sticky: clear it for later checks
    if (status != cudaErrorMemoryAllocation) {
        throwCudaError(status, "cudaMalloc", __FILE__, __LINE__);
    }
    // Blocks cached for other sizes may add up to what is needed: give them back, retry once.
    releaseCachedLocked();
    status = cudaMalloc(&block, bytes);
    if (status == cudaSuccess) {
        ++m_stats.driverCalls;
        return block;
    }
    cudaGetLastError();
    size_t freeBytes = 0, totalBytes = 0;
    cudaMemGetInfo(&freeBytes, &totalBytes);
    cudaGetLastError();
    throw BackendError("out of GPU memory on cuda:" + std::to_string(m_device) + ": asked for " +
                       mebibytes(bytes) + " (" + std::to_string(bytes) + " bytes) with " +
                       mebibytes(freeBytes) + " free of " + mebibytes(totalBytes) + " (" +
                       mebibytes(m_stats.inUse) +
                       " held by Loom's tensors); try a smaller batch size or model");
}

std::shared_ptr<Storage> CudaAllocator::allocate(size_t bytes) {
    const size_t size = sizeClass(bytes);
    void* block = nullptr;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_free.find(size);
        if (it != m_free.end() && !it->second.empty()) {
            block = it->second.back();
            it->second.pop_back();
            m_stats.cached -= size;
        } else {
            block = driverAllocate(size);
        }
        m_stats.inUse += size;
        m_stats.peak = std::max(m_stats.peak, m_stats.inUse);
    }
    try {
        return std::make_shared<Storage>(block, bytes, Device{DeviceKind::CUDA, m_device},
                                         &CudaAllocator::giveBack, this);
    } catch (...) {
        giveBack(block, bytes, this);
        throw;
    }
}

void CudaAllocator::giveBack(void* data, size_t bytes, void* context) {
    auto* self = static_cast<CudaAllocator*>(context);
    const size_t size = sizeClass(bytes);
    std::lock_guard lock(self->m_mutex);
    try {
        self->m_free[size].push_back(data);
        self->m_stats.cached += size;
    } catch (...) {
        cudaFree(data);  // no memory for the list entry: return the block to the driver
    }
    self->m_stats.inUse -= size;
}

void CudaAllocator::releaseCachedLocked() {
    for (auto& [size, blocks] : m_free) {
        for (void* block : blocks) {
            cudaFree(block);  // synchronises with the device, so no kernel still uses it
        }
        m_stats.cached -= size * blocks.size();
        blocks.clear();
    }
    m_free.clear();
}

void CudaAllocator::releaseCached() {
    std::lock_guard lock(m_mutex);
    releaseCachedLocked();
}

CudaAllocator::Stats CudaAllocator::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

}  // namespace loom::cuda
