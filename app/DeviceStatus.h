#pragma once

#include <QString>

#include <string>

namespace loom {

/// The status line of a training device: which device a TrainingConfig's device setting
/// resolves to, and the memory in use there (the GPU's, or this process's on the CPU), e.g.
/// "CPU (2 threads) · 412 MiB in use" or "cuda:0 NVIDIA H100 · 3.1 of 79.1 GiB in use".
/// A setting that names no usable device says why.
QString deviceStatusText(const std::string& deviceSetting);

}  // namespace loom
