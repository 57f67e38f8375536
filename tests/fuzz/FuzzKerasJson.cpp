// libFuzzer target for Keras model topologies, the model_config a Keras file or a TF.js
// model.json holds (kerasModelFromConfig, with the Keras 1 and Keras 3 upgrades). See
// FuzzHarness.h for what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.json", {Reader::KerasJson});
}
