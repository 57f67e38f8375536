// libFuzzer target for IDX files (readIdx), plain or gzip-compressed (zlib tells them apart by
// their bytes). See FuzzHarness.h for what counts as a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.idx", {Reader::Idx});
}
