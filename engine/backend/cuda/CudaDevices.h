#pragma once
// The CUDA half of the device list (engine/backend/Devices.cpp), compiled only when Loom is
// built with LOOM_HAVE_CUDA. Plain C++ on purpose: Devices.cpp includes it without the CUDA
// headers.

#include <loom/Devices.h>

#include <string>
#include <vector>

namespace loom::cuda {

/// The number of usable GPUs; 0 with `whyNot` set when there is no driver or no GPU. The
/// answer is worked out once per process.
int deviceCount(std::string& whyNot);
/// Name, memory and compute capability of every usable GPU.
std::vector<DeviceInfo> deviceInfos();
/// The process-wide backend of GPU `index` (< deviceCount()), created on first use.
Backend& backend(int index);
/// Applies to existing backends and to those created later.
void setTensorCoreMath(bool convolutions, bool gemm);

}  // namespace loom::cuda
