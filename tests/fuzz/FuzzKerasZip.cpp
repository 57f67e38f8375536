// libFuzzer target for Keras 3 .keras archives (loadKerasZip): the zip reader, config.json and
// the model.weights.h5 member opened from memory by HDF5's core driver. See FuzzHarness.h for
// what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.keras", {Reader::KerasZip});
}
