// devices: what Loom can compute on here.

#include "cli/Arguments.h"
#include "cli/Commands.h"

#include <loom/Devices.h>

#include <cstdio>

namespace loom::cli {

int runDevices(int argc, char** argv) {
    Arguments args(argc, argv, 2, {}, {});
    for (const DeviceInfo& info : availableDevices()) {
        std::printf("%s\n", info.describe().c_str());
    }
    const std::string why = cudaUnavailableReason();
    if (!why.empty()) {
        std::printf("no GPU: %s\n", why.c_str());
    }
    return 0;
}

}  // namespace loom::cli
