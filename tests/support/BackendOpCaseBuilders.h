#pragma once
// What the BackendOpCases*.cpp files build their cases with: seeded inputs, copies to a
// backend, NaN-filled outputs, float64 views for the references, the tolerances, and one
// function per op family that appends its cases to the table.

#include "BackendOpCases.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom::test::cases {

// ---- tolerances (normalised errors, see BackendOpCases.h) ---------------------------------
// Against the float64 reference, float32 results carry their own rounding: about 6e-8 per
// operation, more for long sums. Against the CPU backend, a GPU rounds the same way except where
// it fuses a multiply and an add; transcendental functions differ by an ulp or two; sums differ
// in order (GEMM, convolution, reductions in float). cuDNN may pick Winograd or FFT algorithms,
// whose float32 error is some 1e-5 of the output's scale, hence convolution's looser bound.

/// Both tolerances of a case in float32; float64 cases get kFloat64 where these are not 0.
struct Tolerance {
    double reference;
    double parity;
};
constexpr double kExact = 0.0;
constexpr double kFloat64 = 1e-12;
constexpr Tolerance kCopies{kExact, kExact};      ///< copies, fills, maxima
constexpr Tolerance kRounded{1e-6, kExact};       ///< one rounding, same order
constexpr Tolerance kElementwise{1e-6, 1e-6};     ///< fused multiply-adds
constexpr Tolerance kTranscendental{2e-5, 4e-6};  ///< exp, log, tanh, sqrt
constexpr Tolerance kReduction{2e-5, 1e-5};       ///< sums in another order
constexpr Tolerance kGemm{2e-5, 1e-5};            ///< GEMM
constexpr Tolerance kConvolution{2e-5, 1e-4};     ///< cuDNN's algorithms

// ---- inputs and outputs -------------------------------------------------------------------

/// Uniform values in [low, high) of dtype from the counter-based generator: the same on every
/// run and machine.
Tensor seeded(const Shape& shape, DType dtype, uint64_t seed, double low = -1.0, double high = 1.0);
/// A seed from a case's name.
uint64_t seedOf(const std::string& text);
/// A copy of a host tensor on the backend's device.
Tensor onDevice(Backend& backend, const Tensor& host);
/// An output on the backend, filled with NaN so that an unwritten cell shows.
Tensor unwritten(Backend& backend, const Shape& shape, DType dtype);
/// A float64 copy on the host: what references compute on.
Tensor f64(const Tensor& t);
/// The float64 reference output `t` as the case's dtype would hold it (an input that one
/// case derives from another's reference, e.g. a forward output fed to a backward op).
Tensor rounded(const Tensor& t, DType dtype);
const char* dtypeLabel(DType dtype);

/// Appends a case to the table, with the tolerances for its dtype.
void addCase(std::vector<OpCase>& table, BackendOp op, const std::string& what, DType dtype,
             Tolerance tolerance, std::function<Outputs(Backend&)> run,
             std::function<Outputs()> reference);

// ---- the op families (one file each) ------------------------------------------------------

void addMemoryAndLinearCases(std::vector<OpCase>& table);  ///< BackendOpCasesLinear.cpp
void addConvolutionCases(std::vector<OpCase>& table);      ///< BackendOpCasesConvolution.cpp
void addPoolingCases(std::vector<OpCase>& table);          ///< BackendOpCasesPooling.cpp
void addActivationCases(std::vector<OpCase>& table);       ///< BackendOpCasesActivations.cpp
void addNormalisationCases(std::vector<OpCase>& table);    ///< BackendOpCasesActivations.cpp
void addElementwiseCases(std::vector<OpCase>& table);      ///< BackendOpCasesElementwise.cpp
void addLossCases(std::vector<OpCase>& table);             ///< BackendOpCasesLosses.cpp
void addOptimizerCases(std::vector<OpCase>& table);        ///< BackendOpCasesLosses.cpp

}  // namespace loom::test::cases
