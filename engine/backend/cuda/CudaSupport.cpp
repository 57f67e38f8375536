// Status checks of the CUDA backend: a failed CUDA, cuBLAS or cuDNN call as a BackendError.

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

}  // namespace loom::cuda
