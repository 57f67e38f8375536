// libFuzzer target for TF.js layers models (loadTfjsKerasModel): each input is a model.json and
// one weight shard, split at kShardSeparator (FuzzReaders.h). See FuzzHarness.h for what counts
// as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.tfjs", {Reader::Tfjs});
}
