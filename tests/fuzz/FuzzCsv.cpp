// libFuzzer target for CSV data (readCsv): each input is read with classes from its last column
// and as regression on its first, dropping non-finite rows. See FuzzHarness.h for what counts as
// a finding; run by scripts/fuzz.sh.

#include "FuzzHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using loom::fuzz::Reader;
    return loom::fuzz::judgeInput(data, size, "input.csv", {Reader::Csv, Reader::CsvRegression});
}
