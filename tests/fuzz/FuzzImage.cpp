// libFuzzer target for image files (readImage, as image folders and predict read them): the
// header check against a small pixel budget, OpenCV's decoding and the resize. See
// FuzzHarness.h for what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.img", {Reader::Image});
}
