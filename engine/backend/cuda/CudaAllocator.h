#pragma once
/// CudaAllocator: a caching allocator of device memory for one GPU. cudaMalloc and cudaFree
/// cost tens of microseconds and cudaFree synchronises the whole device, so freed blocks are
/// kept in free lists by size class and handed out again; a training step at a fixed shape
/// then allocates nothing from the driver after its first batch. All of a backend's work runs
/// on one stream, so a block freed on the host while kernels still use it is only reused by
/// work queued after them on that stream: no event tracking is needed.

#include <loom/Tensor.h>

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace loom::cuda {

class CudaAllocator {
public:
    struct Stats {
        size_t inUse = 0;        ///< bytes handed out (rounded to their size class)
        size_t cached = 0;       ///< bytes held in free lists
        size_t peak = 0;         ///< the most inUse has been
        size_t driverCalls = 0;  ///< cudaMalloc calls so far
    };

    explicit CudaAllocator(int deviceIndex);
    ~CudaAllocator();
    CudaAllocator(const CudaAllocator&) = delete;
    CudaAllocator& operator=(const CudaAllocator&) = delete;

    /// A block of at least `bytes`, owned by the returned Storage, whose deleter gives it back.
    /// When the device is full, the cache is emptied and the allocation tried once more; if it
    /// still fails, BackendError says how much was asked for and how much is free.
    std::shared_ptr<Storage> allocate(size_t bytes);
    /// Returns every cached block to the driver (cudaFree).
    void releaseCached();
    Stats stats() const;

    /// The size class of a request: multiples of 512 bytes up to 1 MiB, of 2 MiB above, so
    /// that slightly different sizes (the last, smaller batch of an epoch) share blocks.
    static size_t sizeClass(size_t bytes);

private:
    static void giveBack(void* data, size_t bytes, void* context);
    void* driverAllocate(size_t bytes);
    void releaseCachedLocked();

    int m_device;
    mutable std::mutex m_mutex;
    std::map<size_t, std::vector<void*>> m_free;
    Stats m_stats;
};

}  // namespace loom::cuda
