#pragma once
// Helpers of the device and training parity cases: seeded random tensors, uploads, and the
// comparison of a GPU result with the CPU's.

#include "CudaParityCases.h"

#include <loom/Backend.h>
#include <loom/Tensor.h>

#include <cstdint>
#include <string>

namespace loom::test {

/// Tolerances (normalised error, see BackendOpCases.h) for float32 with TF32 off: copies are
/// exact, sums differ in order, and cuDNN may pick Winograd or FFT algorithms, whose float32
/// error is some 1e-5 of the output's scale. (The op cases carry their own, in the table.)
constexpr double kExact = 0.0;
constexpr double kReduction = 1e-5;
constexpr double kConvolution = 1e-4;

/// Random values in [low, high) from a counter-based stream: the same on every run.
Tensor randomTensor(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0,
                    DType dtype = DType::F32);

/// A copy of a host tensor on the GPU.
Tensor toGpu(Backend& gpu, const Tensor& host);

/// Records max |gpu - cpu| / max(1, max |cpu|) against tolerance (see normalisedError).
/// gpuTensor may live on the device.
void compareWithCpu(CaseResult& result, const std::string& what, const Tensor& cpuTensor,
                    const Tensor& gpuTensor, double tolerance);

}  // namespace loom::test
