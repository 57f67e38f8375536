// The device list and backend lookup. The CPU part is here; the CUDA part (CudaDevices.cpp)
// is linked in only when Loom is built with its CUDA backend, so this file compiles and works
// either way.

#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Platform.h>

#if LOOM_HAVE_CUDA
#include "backend/cuda/CudaDevices.h"
#endif

#include <cctype>
#include <cstdio>
#include <iomanip>
#include <mutex>
#include <sstream>

namespace loom {

namespace {

std::mutex g_noticeMutex;
std::function<void(const std::string&)> g_noticeHandler;

[[maybe_unused]] void notice(const std::string& text) {
    std::lock_guard lock(g_noticeMutex);
    if (g_noticeHandler) {
        g_noticeHandler(text);
    } else {
        std::fprintf(stderr, "loom: %s\n", text.c_str());
    }
}

std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

// "cuda:N" -> N; -1 when the text after "cuda:" is not a small whole number.
int cudaIndex(const std::string& spec) {
    const std::string digits = spec.substr(5);
    if (digits.empty() || digits.size() > 3) {
        return -1;
    }
    for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            return -1;
        }
    }
    return std::stoi(digits);
}

DeviceInfo cpuInfo() {
    DeviceInfo info;
    info.device = Device::cpu();
    const int threads = cpuThreads();
    info.name = "CPU (" + std::to_string(threads) + " threads)";
    if (const std::uint64_t total = physicalMemoryBytes(); total > 0) {
        info.totalMemory = static_cast<size_t>(total);
        info.freeMemory = static_cast<size_t>(freePhysicalMemoryBytes());
    }
    info.multiprocessors = threads;
    return info;
}

}  // namespace

std::string DeviceInfo::describe() const {
    std::ostringstream out;
    out << std::left << std::setw(8) << device.str() << ' ' << name << "  (" << std::fixed
        << std::setprecision(1) << static_cast<double>(totalMemory) / double(1ull << 30) << " GiB";
    if (device.kind == DeviceKind::CUDA) {
        out << ", compute " << computeMajor << '.' << computeMinor << ", " << multiprocessors
            << " SMs";
    }
    out << ')';
    return out.str();
}

std::string cudaUnavailableReason() {
#if LOOM_HAVE_CUDA
    std::string why;
    return cuda::deviceCount(why) > 0 ? std::string() : why;
#else
    return "this build of Loom has no CUDA backend (it was configured with LOOM_CUDA=OFF or "
           "without nvcc and cuDNN)";
#endif
}

std::vector<DeviceInfo> availableDevices() {
    std::vector<DeviceInfo> devices{cpuInfo()};
#if LOOM_HAVE_CUDA
    try {
        for (DeviceInfo& info : cuda::deviceInfos()) {
            devices.push_back(std::move(info));
        }
    } catch (const std::exception&) {
        // A driver that fails while being asked leaves the CPU; backendFor says why.
    }
#endif
    return devices;
}

bool isDeviceSpec(const std::string& spec) {
    const std::string s = lower(spec);
    return s == "cpu" || s == "cuda" || s == "auto" ||
           (s.rfind("cuda:", 0) == 0 && cudaIndex(s) >= 0);
}

Device parseDevice(const std::string& spec) {
    const std::string s = lower(spec);
    if (!isDeviceSpec(s)) {
        throw ConfigError("unknown device '" + spec + "'; use cpu, cuda, cuda:N or auto");
    }
    if (s == "cpu") {
        return Device::cpu();
    }
    if (s == "cuda") {
        return Device{DeviceKind::CUDA, 0};
    }
    if (s != "auto") {
        return Device{DeviceKind::CUDA, cudaIndex(s)};
    }
#if LOOM_HAVE_CUDA
    std::string why = cudaUnavailableReason();
    if (why.empty()) {
        // A GPU is there; starting its backend also proves this build's kernels run on it.
        try {
            cuda::backend(0);
            return Device{DeviceKind::CUDA, 0};
        } catch (const std::exception& e) {
            why = e.what();
        }
    }
    // Only a build that could use a GPU says so: without CUDA the CPU is the expected choice.
    static std::once_flag once;
    std::call_once(once, [&] { notice("no usable GPU (" + why + "); running on the CPU"); });
#endif
    return Device::cpu();
}

Backend& backendFor(Device device) {
    if (device.kind == DeviceKind::CPU) {
        return cpuBackend();
    }
#if LOOM_HAVE_CUDA
    std::string why;
    const int count = cuda::deviceCount(why);
    if (count == 0) {
        throw BackendError("cannot run on " + device.str() + ": " + why);
    }
    if (device.index < 0 || device.index >= count) {
        throw BackendError("cannot run on " + device.str() + ": this machine has " +
                           std::to_string(count) +
                           " GPU(s), cuda:0 to cuda:" + std::to_string(count - 1));
    }
    return cuda::backend(device.index);
#else
    throw BackendError("cannot run on " + device.str() + ": " + cudaUnavailableReason());
#endif
}

void setDeviceNoticeHandler(std::function<void(const std::string&)> handler) {
    std::lock_guard lock(g_noticeMutex);
    g_noticeHandler = std::move(handler);
}

void setTensorCoreMath(bool convolutions, bool gemm) {
#if LOOM_HAVE_CUDA
    cuda::setTensorCoreMath(convolutions, gemm);
#else
    (void)convolutions;
    (void)gemm;
#endif
}

}  // namespace loom
