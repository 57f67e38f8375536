#pragma once

#include <QString>

#include <string>

namespace loom {

/// The status line of a training device: which device a TrainingConfig's device setting
/// resolves to, and the memory in use there (the GPU's, or this process's on the CPU), e.g.
/// "CPU (2 threads) · 412 MiB in use" or "cuda:0 NVIDIA H100 · 3.1 of 79.1 GiB in use".
/// A setting that names no usable device says why. Data-parallel workers, when more than one,
/// are named: "CPU (2 threads) · 2 workers · 530 MiB in use".
QString deviceStatusText(const std::string& deviceSetting, int workers = 1);

}  // namespace loom
