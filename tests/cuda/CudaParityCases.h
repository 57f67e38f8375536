#pragma once
// CPU-vs-CUDA parity cases, free of Qt so that they run both as the Qt Test suite
// TestCudaParity (which skips without a GPU) and as the plain program loom-cuda-parity (for
// GPU machines without Qt). The op cases are the rows of the one Backend op case table
// (tests/support/BackendOpCases.h), each run on both backends from the same seeded inputs with
// every output compared; device cases check copies, errors and graphs moving between devices;
// training cases train W2 and W4 for 50 steps from the same initial weights and compare the
// losses.
//
// Errors are the table's normalised error, max |cuda - cpu| / max(1, max |cpu|). TF32 is off
// while the cases run. A case that records no comparison fails.

#include "BackendOpCases.h"

#include <loom/Backend.h>

#include <functional>
#include <string>
#include <vector>

namespace loom::test {

struct ParityCase {
    std::string name;
    std::function<void(Backend& gpu, CaseResult& result)> run;
};

/// One case per row of the op case table: every op of the Backend interface.
std::vector<ParityCase> opParityCases();
/// Memory, transfers and error handling on the device (copies, out of memory, bad labels).
std::vector<ParityCase> deviceParityCases();
/// W2 (MLP 784-768-384-10, RMSprop) and W4 (examples/w4_cnn.json, Adam), batch 128, 50 steps.
std::vector<ParityCase> trainingParityCases();

/// Runs one case with TF32 off, catching what it throws into the result.
CaseResult runParityCase(const ParityCase& c, Backend& gpu);

/// Empty when a CUDA GPU can be used; else why not.
std::string parityGpuUnavailable();
/// The GPU's backend (call only when parityGpuUnavailable() is empty).
Backend& parityGpu();

}  // namespace loom::test
