// libFuzzer target for Loom's JSON model files (readModelFile on a .json): parseJson's limits,
// the graph, training and data sections, and the TF.js reader for a file with a modelTopology.
// See FuzzHarness.h for what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.json", {Reader::ModelJson});
}
