// Shared parity helpers and the case runner.

#include "CudaParitySupport.h"

#include <loom/Devices.h>
#include <loom/Error.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace loom::test {

Tensor randomTensor(const Shape& shape, uint64_t seed, double low, double high, DType dtype) {
    Tensor t = Tensor::empty(shape, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, low + (high - low) * counterUniform(seed, uint64_t(i)));
    }
    return t;
}

int64_t ShapeDice::roll(int64_t low, int64_t high) {
    const double u = counterUniform(m_seed ^ 0x5eedULL, m_counter++);
    return low + std::min<int64_t>(high - low, int64_t(u * double(high - low + 1)));
}

Tensor toGpu(Backend& gpu, const Tensor& host) {
    Tensor device = gpu.allocate(host.shape(), host.dtype());
    gpu.copy(host, device);
    return device;
}

void compare(ParityResult& result, const std::string& what, const Tensor& cpuTensor,
             const Tensor& gpuTensor, double tolerance) {
    ParityCheck check{what, 0.0, tolerance};
    if (cpuTensor.numel() != gpuTensor.numel()) {
        check.error = std::numeric_limits<double>::infinity();
        result.checks.push_back(check);
        return;
    }
    const Tensor a = cpuTensor.to(DType::F64), b = gpuTensor.to(DType::F64);
    const double* pa = a.data<double>();
    const double* pb = b.data<double>();
    double maxDiff = 0.0, maxRef = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        const bool nanA = std::isnan(pa[i]), nanB = std::isnan(pb[i]);
        if (nanA || nanB) {
            if (nanA != nanB) {
                maxDiff = std::numeric_limits<double>::infinity();
            }
            continue;
        }
        if (std::isinf(pa[i]) || std::isinf(pb[i])) {
            if (pa[i] != pb[i]) {
                maxDiff = std::numeric_limits<double>::infinity();
            }
            continue;
        }
        maxDiff = std::max(maxDiff, std::abs(pa[i] - pb[i]));
        maxRef = std::max(maxRef, std::abs(pa[i]));
    }
    check.error = maxDiff / std::max(1.0, maxRef);
    result.checks.push_back(check);
}

void expect(ParityResult& result, bool ok, const std::string& message) {
    if (!ok && result.failure.empty()) {
        result.failure = message;
    }
}

bool ParityResult::passed() const {
    if (!failure.empty()) {
        return false;
    }
    return std::all_of(checks.begin(), checks.end(),
                       [](const ParityCheck& c) { return c.passed(); });
}

std::string ParityResult::summary() const {
    std::string text = failure;
    for (int pass = 0; pass < 2; ++pass) {
        for (const ParityCheck& c : checks) {
            if (c.passed() == (pass == 0)) {
                continue;  // failures first
            }
            char line[256];
            std::snprintf(line, sizeof line, "%s %.2e %s %.0e", c.what.c_str(), c.error,
                          c.passed() ? "<=" : "> TOLERANCE", c.tolerance);
            text += (text.empty() ? "" : "; ") + std::string(line);
        }
    }
    return text;
}

ParityResult runParityCase(const ParityCase& c, Backend& gpu) {
    ParityResult result;
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
