// Parity helpers and the case runner.

#include "CudaParitySupport.h"

#include <loom/Devices.h>
#include <loom/Error.h>

namespace loom::test {

Tensor randomTensor(const Shape& shape, uint64_t seed, double low, double high, DType dtype) {
    Tensor t = Tensor::empty(shape, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, low + (high - low) * counterUniform(seed, uint64_t(i)));
    }
    return t;
}

Tensor toGpu(Backend& gpu, const Tensor& host) {
    Tensor device = gpu.allocate(host.shape(), host.dtype());
    gpu.copy(host, device);
    return device;
}

void compareWithCpu(CaseResult& result, const std::string& what, const Tensor& cpuTensor,
                    const Tensor& gpuTensor, double tolerance) {
    compare(result, what, gpuTensor, cpuTensor, tolerance);
}

CaseResult runParityCase(const ParityCase& c, Backend& gpu) {
    CaseResult result;
    // Parity is about the arithmetic: TF32 rounds inputs to 10 bits of mantissa.
    setTensorCoreMath(false, false);
    try {
        c.run(gpu, result);
        gpu.synchronize();  // a fault inside a kernel surfaces here at the latest
    } catch (const std::exception& e) {
        result.failure = std::string("threw: ") + e.what();
    }
    setTensorCoreMath(true, false);
    return result;
}

std::string parityGpuUnavailable() {
    std::string why = cudaUnavailableReason();
    if (!why.empty()) {
        return why;
    }
    try {
        backendFor(Device{DeviceKind::CUDA, 0});
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

Backend& parityGpu() {
    return backendFor(Device{DeviceKind::CUDA, 0});
}

}  // namespace loom::test
