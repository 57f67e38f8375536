// libFuzzer target for Keras HDF5 files: each input is read as a whole-model file
// (loadKerasHdf5) and as a weights-only file loaded into fuzzModel() (loadKerasWeightsInto).
// See FuzzHarness.h for what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.h5",
                                  {Reader::KerasHdf5, Reader::KerasWeights});
}
