// loom-cuda-parity: the CPU-vs-CUDA parity cases (CudaParityCases.h) as a plain program, for
// GPU machines without Qt (bench/gpu/run.sh runs it under compute-sanitizer).
//   loom-cuda-parity [--list] [--filter TEXT] [--skip TEXT] [--allow-no-gpu]
// --filter runs only the cases whose name contains TEXT, --skip (repeatable) leaves those out.
// Exit status: 0 when every case passed, 1 when one failed, 77 when there is no usable GPU
// (0 with --allow-no-gpu), 2 for bad arguments.

#include "CudaParityCases.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

using namespace loom;
using namespace loom::test;

int main(int argc, char** argv) {
    bool list = false, allowNoGpu = false;
    std::string filter;
    std::vector<std::string> skips;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--list") == 0) {
            list = true;
        } else if (std::strcmp(argv[i], "--allow-no-gpu") == 0) {
            allowNoGpu = true;
        } else if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
            filter = argv[++i];
        } else if (std::strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
            skips.emplace_back(argv[++i]);
        } else {
            std::fprintf(stderr,
                         "usage: loom-cuda-parity [--list] [--filter TEXT] [--skip TEXT] "
                         "[--allow-no-gpu]\n");
            return 2;
        }
    }
    std::vector<ParityCase> cases = opParityCases();
    for (auto* group : {deviceParityCases, trainingParityCases}) {
        for (ParityCase& c : group()) {
            cases.push_back(std::move(c));
        }
    }
    if (list) {
        for (const ParityCase& c : cases) {
            std::printf("%s\n", c.name.c_str());
        }
        return 0;
    }
    const std::string why = parityGpuUnavailable();
    if (!why.empty()) {
        std::printf("SKIP: no GPU to compare with: %s\n", why.c_str());
        return allowNoGpu ? 0 : 77;
    }
    Backend& gpu = parityGpu();
    int passed = 0, failed = 0;
    for (const ParityCase& c : cases) {
        const bool skipped = std::any_of(skips.begin(), skips.end(), [&](const std::string& text) {
            return c.name.find(text) != std::string::npos;
        });
        if (skipped || (!filter.empty() && c.name.find(filter) == std::string::npos)) {
            continue;
        }
        const auto start = std::chrono::steady_clock::now();
        const CaseResult result = runParityCase(c, gpu);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf("%s %s (%.0f ms): %s\n", result.passed() ? "PASS" : "FAIL", c.name.c_str(), ms,
                    result.summary().c_str());
        std::fflush(stdout);
        (result.passed() ? passed : failed)++;
    }
    std::printf("\n%d passed, %d failed on %s\n", passed, failed, gpu.name().c_str());
    return failed == 0 ? 0 : 1;
}
