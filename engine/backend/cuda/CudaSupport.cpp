// Status checks and argument checks of the CUDA backend.

#include "backend/cuda/CudaSupport.h"

#include <cstring>

namespace loom::cuda {

namespace {

// "backend/cuda/CudaGemm.cpp" rather than the build machine's absolute path.
std::string shortPath(const char* file) {
    const char* engine = std::strstr(file, "/engine/");
    return engine != nullptr ? std::string(engine + 8) : std::string(file);
}

[[noreturn]] void fail(const char* library, const char* call, const char* file, int line,
                       const std::string& reason) {
    throw BackendError(std::string(library) + " call " + call + " failed at " + shortPath(file) +
                       ":" + std::to_string(line) + ": " + reason);
}

std::string describe(const Arg& arg) {
    return std::string(arg.name) + " " + arg.tensor->shape().str();
}

}  // namespace

void throwCudaError(cudaError_t status, const char* call, const char* file, int line) {
    fail("CUDA", call, file, line,
         std::string(cudaGetErrorString(status)) + " (" + cudaGetErrorName(status) + ")");
}

void throwCublasError(cublasStatus_t status, const char* call, const char* file, int line) {
    fail("cuBLAS", call, file, line,
         std::string(cublasGetStatusString(status)) + " (" + cublasGetStatusName(status) + ")");
}

void throwCudnnError(cudnnStatus_t status, const char* call, const char* file, int line) {
    char detail[512] = {};
    cudnnGetLastErrorString(detail, sizeof detail);
    std::string reason = cudnnGetErrorString(status);
    if (detail[0] != '\0') {
        reason += " (" + std::string(detail) + ")";
    }
    fail("cuDNN", call, file, line, reason);
}

void checkArgs(const char* op, Device device, std::initializer_list<Arg> args) {
    const Tensor* first = nullptr;
    const char* firstName = "";
    for (const Arg& arg : args) {
        if (!arg.tensor->defined()) {
            throw ShapeError(std::string(op) + ": " + arg.name + " is an undefined tensor");
        }
        if (arg.tensor->device() != device) {
            throw BackendError(std::string(op) + ": " + arg.name + " lives on " +
                               arg.tensor->device().str() + ", the " + device.str() +
                               " backend needs tensors on " + device.str() +
                               " (copy it there with Backend::copy)");
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

}  // namespace loom::cuda
