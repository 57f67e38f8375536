// The CPU backend's memory ops, the process-wide instance, and the helpers every kernel file
// shares (the OpenBLAS thread guard, per-thread scratch memory).

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <omp.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace loom {

namespace cpu {

namespace {

std::mutex blasGuardMutex;
int blasGuardDepth = 0;
int blasSavedThreads = 1;

}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
    std::lock_guard lock(blasGuardMutex);
    if (blasGuardDepth++ == 0) {
        blasSavedThreads = openblas_get_num_threads();
        openblas_set_num_threads(1);
    }
}

SingleThreadedBlas::~SingleThreadedBlas() {
    std::lock_guard lock(blasGuardMutex);
    if (--blasGuardDepth == 0) {
        openblas_set_num_threads(blasSavedThreads);
    }
}

namespace {

void freeAligned(void* p) {
    std::free(p);
}

struct ScratchBlock {
    std::unique_ptr<void, decltype(&freeAligned)> data{nullptr, &freeAligned};
    size_t bytes = 0;
};

}  // namespace

void* threadScratch(size_t bytes) {
    thread_local ScratchBlock block;
    if (bytes > block.bytes) {
        block.data.reset();  // before allocating: the old contents are not needed
        block.bytes = 0;
        const size_t rounded = (bytes + 63) / 64 * 64;
        block.data.reset(std::aligned_alloc(64, rounded));
        if (!block.data) {
            throw Error("out of host memory: could not allocate " + std::to_string(bytes) +
                        " bytes of scratch");
        }
        block.bytes = rounded;
    }
    return block.data.get();
}

int maxThreads() {
    return omp_get_max_threads();
}

bool inParallel() {
    return omp_in_parallel() != 0;
}

}  // namespace cpu

using namespace cpu;

Backend& cpuBackend() {
    static CpuBackend backend;
    return backend;
}

Tensor CpuBackend::allocateImpl(const Shape& shape, DType dtype) {
    return Tensor::empty(shape, dtype);
}

void CpuBackend::copyImpl(const Tensor& src, Tensor& dst) {
    // Tensor::copyFrom converts between float32 and float64 and hands a copy to or from a
    // device to that device's backend (Graph::moveTo(cpuBackend()) brings weights back from a
    // GPU this way).
    dst.copyFrom(src);
}

void CpuBackend::fillImpl(Tensor& t, double value) {
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        T v = static_cast<T>(value);
        parallelFor(t.numel(), 1, [&](int64_t i) { p[i] = v; });
    });
}

}  // namespace loom
