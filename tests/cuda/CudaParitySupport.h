#pragma once
// Helpers shared by the parity case files: seeded random tensors and shapes, uploads, and the
// comparison that records a ParityCheck.

#include "CudaParityCases.h"

#include <loom/Backend.h>
#include <loom/Tensor.h>

#include <cstdint>
#include <string>

namespace loom::test {

/// Tolerances (normalised error, see CudaParityCases.h) by kind of op, for float32 with TF32
/// off. Element-wise arithmetic rounds the same way on both devices except where the GPU fuses
/// a multiply and an add; transcendental functions differ by an ulp or two; sums differ in
/// order (GEMM, convolution, reductions in float). cuDNN may pick Winograd or FFT algorithms,
/// whose float32 error is some 1e-5 of the output's scale, hence convolution's looser bound.
constexpr double kExact = 0.0;
constexpr double kElementwise = 1e-6;
constexpr double kTranscendental = 4e-6;
constexpr double kReduction = 1e-5;
constexpr double kGemm = 1e-5;
constexpr double kConvolution = 1e-4;
constexpr double kFloat64 = 1e-12;

/// Random values in [low, high) from a counter-based stream: the same on every run.
Tensor randomTensor(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0,
                    DType dtype = DType::F32);

/// Picks random extents for a case: draw(seed-local counter) in [low, high].
class ShapeDice {
public:
    explicit ShapeDice(uint64_t seed) : m_seed(seed) {}
    int64_t roll(int64_t low, int64_t high);

private:
    uint64_t m_seed;
    uint64_t m_counter = 0;
};

/// A copy of a host tensor on the GPU.
Tensor toGpu(Backend& gpu, const Tensor& host);

/// Records max |gpu - cpu| / max(1, max |cpu|) against tolerance (NaN matching NaN counts as
/// equal; a NaN on one side only is an infinite error). gpuTensor may live on the device.
void compare(ParityResult& result, const std::string& what, const Tensor& cpuTensor,
             const Tensor& gpuTensor, double tolerance);

/// Fails the case with a message unless ok.
void expect(ParityResult& result, bool ok, const std::string& message);

}  // namespace loom::test
