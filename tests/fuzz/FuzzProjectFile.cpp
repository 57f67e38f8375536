// libFuzzer target for Loom's own files: each input is read as a .loom project and as a weights
// file loaded into fuzzModel(). Both go through Hdf5File, so one corpus of HDF5 files serves
// both readers. See FuzzHarness.h for what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.loom", {Reader::Project, Reader::Weights});
}
