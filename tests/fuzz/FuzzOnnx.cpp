// libFuzzer target for ONNX models (importOnnx): Loom's protobuf reader and the conversion of
// the decoded model into a graph. See FuzzHarness.h for what counts as a finding; run by
// scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.onnx", {Reader::Onnx});
}
