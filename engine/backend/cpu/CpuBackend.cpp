// The CPU backend's memory ops, the process-wide instance, and the helpers every kernel file
// shares (argument checks, the OpenBLAS thread guard).

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <omp.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace loom {

namespace cpu {

namespace {

std::string describe(const Arg& arg) {
    return std::string(arg.name) + " " + arg.tensor->shape().str();
}

}  // namespace

void checkArgs(const char* op, std::initializer_list<Arg> args) {
    const Tensor* first = nullptr;
    const char* firstName = "";
    for (const Arg& arg : args) {
        if (!arg.tensor->defined()) {
            throw ShapeError(std::string(op) + ": " + arg.name + " is an undefined tensor");
        }
        if (arg.tensor->device().kind != DeviceKind::CPU) {
            throw BackendError(std::string(op) + ": " + arg.name + " lives on " +
                               arg.tensor->device().str() + ", the cpu backend needs host tensors");
        }
        if (first == nullptr) {
            first = arg.tensor;
            firstName = arg.name;
        } else if (arg.tensor->dtype() != first->dtype()) {
            throw ShapeError(std::string(op) + ": " + arg.name + " is " +
                             dtypeName(arg.tensor->dtype()) + " but " + firstName + " is " +
                             dtypeName(first->dtype()));
        }
    }
}

void checkShape(const char* op, const Arg& arg, const Shape& expected) {
    if (arg.tensor->shape() != expected) {
        throw ShapeError(std::string(op) + ": " + describe(arg) + " should have shape " +
                         expected.str());
    }
}

void checkSameShape(const char* op, const Arg& a, const Arg& b) {
    if (a.tensor->shape() != b.tensor->shape()) {
        throw ShapeError(std::string(op) + ": " + describe(a) + " and " + describe(b) +
                         " must have the same shape");
    }
}

void checkNumel(const char* op, const Arg& arg, int64_t n, const std::string& what) {
    if (arg.tensor->numel() != n) {
        throw ShapeError(std::string(op) + ": " + describe(arg) + " should have " +
                         std::to_string(n) + " elements (" + what + ")");
    }
}

void checkRank(const char* op, const Arg& arg, size_t rank, bool orMore) {
    bool ok = orMore ? arg.tensor->rank() >= rank : arg.tensor->rank() == rank;
    if (!ok) {
        throw ShapeError(std::string(op) + ": " + describe(arg) + " should have rank " +
                         (orMore ? "at least " : "") + std::to_string(rank));
    }
}

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

Tensor CpuBackend::allocate(const Shape& shape, DType dtype) {
    return Tensor::empty(shape, dtype);
}

void CpuBackend::copy(const Tensor& src, Tensor& dst) {
    // Tensor::copyFrom checks the sizes, converts between float32 and float64 and hands a
    // copy to or from a device to that device's backend (Graph::moveTo(cpuBackend()) brings
    // weights back from a GPU this way).
    if (!src.defined() || !dst.defined()) {
        throw ShapeError("copy: source and destination must be defined tensors");
    }
    if (src.numel() != dst.numel()) {
        throw ShapeError("copy: source " + src.shape().str() + " and destination " +
                         dst.shape().str() + " differ in size");
    }
    dst.copyFrom(src);
}

void CpuBackend::fill(Tensor& t, double value) {
    checkArgs("fill", {{"t", &t}});
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        T v = static_cast<T>(value);
        parallelFor(t.numel(), 1, [&](int64_t i) { p[i] = v; });
    });
}

}  // namespace loom
