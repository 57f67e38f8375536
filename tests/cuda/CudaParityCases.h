#pragma once
// CPU-vs-CUDA parity cases, free of Qt so that they run both as the Qt Test suite
// TestCudaParity (which skips without a GPU) and as the plain program loom-cuda-parity (for
// GPU machines without Qt). Each case runs one op, forward and backward, on both backends from
// the same random inputs (seeded, random shapes) and compares every output; training cases
// train W2 and W4 for 50 steps from the same initial weights and compare the losses.
//
// Errors are measured as max |cuda - cpu| / max(1, max |cpu|): absolute for values up to 1 and
// relative beyond, so one tolerance per op fits inputs of any scale. TF32 is off while the
// cases run.

#include <loom/Backend.h>

#include <functional>
#include <string>
#include <vector>

namespace loom::test {

/// One comparison inside a case.
struct ParityCheck {
    std::string what;
    double error = 0;
    double tolerance = 0;
    bool passed() const { return error <= tolerance; }
};

struct ParityResult {
    std::vector<ParityCheck> checks;
    std::string failure;  ///< an exception or a broken expectation, empty when none

    bool passed() const;
    /// "y 3.1e-07 <= 1e-05; dx 2.0e-07 <= 1e-05", failures first.
    std::string summary() const;
};

struct ParityCase {
    std::string name;
    std::function<void(Backend& gpu, ParityResult& result)> run;
};

/// Every op of the Backend interface, float32 (and float64 where it is cheap).
std::vector<ParityCase> opParityCases();
/// Memory, transfers and error handling on the device (copies, out of memory, bad labels).
std::vector<ParityCase> deviceParityCases();
/// W2 (MLP 784-768-384-10, RMSprop) and W4 (examples/w4_cnn.json, Adam), batch 128, 50 steps.
std::vector<ParityCase> trainingParityCases();

/// Runs one case with TF32 off, catching what it throws into the result.
ParityResult runParityCase(const ParityCase& c, Backend& gpu);

/// Empty when a CUDA GPU can be used; else why not.
std::string parityGpuUnavailable();
/// The GPU's backend (call only when parityGpuUnavailable() is empty).
Backend& parityGpu();

}  // namespace loom::test
