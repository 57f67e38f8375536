// Parity cases for every op of the Backend interface: one per row of the op case table
// (tests/support/BackendOpCases.h), run on the GPU and on the CPU from the same seeded inputs,
// every output compared with the row's parity tolerance.

#include "CudaParitySupport.h"

namespace loom::test {

std::vector<ParityCase> opParityCases() {
    std::vector<ParityCase> cases;
    for (const OpCase& c : opCases()) {
        const OpCase* row = &c;  // the table lives as long as the program
        cases.push_back(
            {c.name, [row](Backend& gpu, CaseResult& result) { checkParity(*row, gpu, result); }});
    }
    return cases;
}

}  // namespace loom::test
