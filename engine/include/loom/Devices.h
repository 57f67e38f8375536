#pragma once
/// Devices: which compute devices this machine offers and the backend that runs on each. The
/// CPU is always there and always first; CUDA GPUs follow when Loom was built with its CUDA
/// backend and a GPU and driver are present. Works (listing the CPU only) in a build without
/// CUDA, so the GUI and loom-cli use it unconditionally.

#include <loom/Backend.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace loom {

/// One device, for pickers in the GUI and `loom-cli devices`.
struct DeviceInfo {
    Device device;
    std::string name;        ///< "CPU (16 threads)", "NVIDIA H100 80GB HBM3"
    size_t totalMemory = 0;  ///< bytes (host RAM for the CPU)
    size_t freeMemory = 0;   ///< bytes free when listed (0 when unknown)
    int computeMajor = 0;    ///< CUDA compute capability, 0 for the CPU
    int computeMinor = 0;
    int multiprocessors = 0;  ///< streaming multiprocessors; CPU threads for the CPU

    /// "cuda:0  NVIDIA H100 80GB HBM3  (79.1 GiB, compute 9.0, 132 SMs)".
    std::string describe() const;
};

/// Every usable device, the CPU first. Never throws: a broken driver lists the CPU only (see
/// cudaUnavailableReason()).
std::vector<DeviceInfo> availableDevices();

/// "cpu", "cuda" (= "cuda:0"), "cuda:N" or "auto" (the first GPU when one is usable, else the
/// CPU, saying so once through the device notice). Throws ConfigError for anything else. A CUDA
/// device parses on any machine; backendFor() is where a missing GPU is reported.
Device parseDevice(const std::string& spec);

/// True when `spec` is one parseDevice accepts, without resolving "auto".
bool isDeviceSpec(const std::string& spec);

/// The process-wide backend of a device, created on first use. Throws BackendError saying why
/// when the device is not usable (no CUDA in this build, no driver, no GPU, index out of range).
Backend& backendFor(Device device);

/// Empty when CUDA devices are usable; else why not ("this build of Loom has no CUDA backend",
/// "no CUDA driver: ..."), for messages and the GUI's device picker.
std::string cudaUnavailableReason();

/// Where notices about device choice go (one line each, no newline); the default writes
/// "loom: <notice>" to stderr. Pass an empty function to restore the default.
void setDeviceNoticeHandler(std::function<void(const std::string&)> handler);

/// Tensor-core TF32 arithmetic on every CUDA backend, now and later created: on by default
/// for convolutions and off for GEMMs (PyTorch's defaults). Parity checks turn both off.
/// Without CUDA this does nothing.
void setTensorCoreMath(bool convolutions, bool gemm);

}  // namespace loom
