#pragma once
// Host-side helpers shared by the CUDA backend's files: status checks that turn every failed
// CUDA, cuBLAS and cuDNN call into a BackendError naming the call, where it was made and why,
// and dtype dispatch. (Backend's public ops check every op's arguments before it gets here.)

#include <loom/Error.h>
#include <loom/Tensor.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

namespace loom::cuda {

[[noreturn]] void throwCudaError(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throwCublasError(cublasStatus_t status, const char* call, const char* file,
                                   int line);
[[noreturn]] void throwCudnnError(cudnnStatus_t status, const char* call, const char* file,
                                  int line);

inline void checkCuda(cudaError_t status, const char* call, const char* file, int line) {
    if (status != cudaSuccess) {
        throwCudaError(status, call, file, line);
    }
}

inline void checkCublas(cublasStatus_t status, const char* call, const char* file, int line) {
    if (status != CUBLAS_STATUS_SUCCESS) {
        throwCublasError(status, call, file, line);
    }
}

inline void checkCudnn(cudnnStatus_t status, const char* call, const char* file, int line) {
    if (status != CUDNN_STATUS_SUCCESS) {
        throwCudnnError(status, call, file, line);
    }
}

}  // namespace loom::cuda

/// Throws loom::BackendError when a CUDA runtime call fails: "CUDA call cudaMalloc(&p, n)
/// failed at backend/cuda/CudaAllocator.cpp:42: out of memory (cudaErrorMemoryAllocation)".
#define LOOM_CUDA_CHECK(call) ::loom::cuda::checkCuda((call), #call, __FILE__, __LINE__)
#define LOOM_CUBLAS_CHECK(call) ::loom::cuda::checkCublas((call), #call, __FILE__, __LINE__)
#define LOOM_CUDNN_CHECK(call) ::loom::cuda::checkCudnn((call), #call, __FILE__, __LINE__)
/// After a kernel launch: a bad configuration (too many threads, too much shared memory)
/// shows up here; faults inside the kernel surface at the next synchronising call.
#define LOOM_CUDA_CHECK_LAUNCH(kernel) \
    ::loom::cuda::checkCuda(cudaGetLastError(), "launch of " kernel, __FILE__, __LINE__)

namespace loom::cuda {

/// Calls f with a value of the element type of dtype (float or double).
template <typename F>
decltype(auto) dispatch(DType dtype, F&& f) {
    if (dtype == DType::F32) {
        return f(float{});
    }
    return f(double{});
}

}  // namespace loom::cuda
