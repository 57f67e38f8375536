// The CUDA half of the device list: counting and describing GPUs, and the process-wide backend
// of each. Backends are created on first use and never destroyed: tensors held in static or
// long-lived objects may outlive any destructor order we could choose, and their Storage
// gives its block back to the backend's allocator when they die.

#include "backend/cuda/CudaDevices.h"

#include "backend/cuda/CudaBackend.h"
#include "backend/cuda/CudaSupport.h"

#include <atomic>
#include <map>
#include <mutex>

#ifndef LOOM_CUDA_ARCHITECTURES
#define LOOM_CUDA_ARCHITECTURES "?"
#endif

namespace loom::cuda {

cudaError_t probeKernelImage();  // CudaElementwise.cu

namespace {

std::mutex g_mutex;
std::map<int, CudaBackend*> g_backends;
std::atomic<bool> g_convTf32{true};
std::atomic<bool> g_gemmTf32{false};

// 13000 -> "13.0".
std::string version(int v) {
    return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

struct DeviceCount {
    int count = 0;
    std::string whyNot;
};

const DeviceCount& counted() {
    static const DeviceCount result = [] {
        DeviceCount c;
        int count = 0;
        const cudaError_t status = cudaGetDeviceCount(&count);
        cudaGetLastError();
        if (status == cudaErrorNoDevice || (status == cudaSuccess && count == 0)) {
            c.whyNot = "no CUDA GPU was found";
        } else if (status == cudaErrorInsufficientDriver) {
            // The runtime says this both when the driver is too old and when there is none.
            int driver = 0;
            cudaDriverGetVersion(&driver);
            cudaGetLastError();
            c.whyNot = driver == 0 ? std::string("no NVIDIA driver is installed")
                                   : "the NVIDIA driver (CUDA " + version(driver) +
                                         ") is older than this build's CUDA " +
                                         version(CUDART_VERSION) + " needs; update the driver";
        } else if (status != cudaSuccess) {
            c.whyNot = std::string("no usable CUDA driver (") + cudaGetErrorString(status) + ")";
        } else {
            c.count = count;
        }
        return c;
    }();
    return result;
}

}  // namespace

int deviceCount(std::string& whyNot) {
    const DeviceCount& c = counted();
    whyNot = c.whyNot;
    return c.count;
}

std::vector<DeviceInfo> deviceInfos() {
    std::string why;
    const int count = deviceCount(why);
    std::vector<DeviceInfo> infos;
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp props{};
        LOOM_CUDA_CHECK(cudaGetDeviceProperties(&props, i));
        DeviceInfo info;
        info.device = Device{DeviceKind::CUDA, i};
        info.name = props.name;
        info.totalMemory = props.totalGlobalMem;
        info.computeMajor = props.major;
        info.computeMinor = props.minor;
        info.multiprocessors = props.multiProcessorCount;
        // Free memory needs a context on the GPU (hundreds of MiB, a fraction of a second), so
        // it is only read for GPUs Loom already uses. The lock is not held while asking: an op
        // on another thread may hold the backend's own lock and want this one.
        CudaBackend* existing = nullptr;
        {
            std::lock_guard lock(g_mutex);
            auto it = g_backends.find(i);
            existing = it != g_backends.end() ? it->second : nullptr;
        }
        if (existing != nullptr) {
            size_t freeBytes = 0, totalBytes = 0;
            CudaBackend::Scope scope(*existing);
            if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) {
                info.freeMemory = freeBytes;
            }
            cudaGetLastError();
        }
        infos.push_back(std::move(info));
    }
    return infos;
}

Backend& backend(int index) {
    std::string why;
    const int count = deviceCount(why);
    if (index < 0 || index >= count) {
        throw BackendError(
            "no GPU cuda:" + std::to_string(index) +
            (count == 0 ? ": " + why : " (this machine has " + std::to_string(count) + ")"));
    }
    std::lock_guard lock(g_mutex);
    auto it = g_backends.find(index);
    if (it != g_backends.end()) {
        return *it->second;
    }
    LOOM_CUDA_CHECK(cudaSetDevice(index));
    const cudaError_t image = probeKernelImage();
    if (image != cudaSuccess) {
        cudaDeviceProp props{};
        cudaGetDeviceProperties(&props, index);
        cudaGetLastError();
        throw BackendError("cannot run on cuda:" + std::to_string(index) + " (" + props.name +
                           ", compute capability " + std::to_string(props.major) + "." +
                           std::to_string(props.minor) +
                           "): this build's CUDA code is for architectures " +
                           LOOM_CUDA_ARCHITECTURES + "; rebuild with -DCMAKE_CUDA_ARCHITECTURES=" +
                           std::to_string(props.major * 10 + props.minor) + " (" +
                           cudaGetErrorString(image) + ")");
    }
    auto* created = new CudaBackend(index);  // never deleted: see the comment at the top
    created->setTensorCoreMath(g_convTf32, g_gemmTf32);
    g_backends[index] = created;
    return *created;
}

void setTensorCoreMath(bool convolutions, bool gemm) {
    std::lock_guard lock(g_mutex);
    g_convTf32 = convolutions;
    g_gemmTf32 = gemm;
    for (auto& [index, backend] : g_backends) {
        backend->setTensorCoreMath(convolutions, gemm);
    }
}

}  // namespace loom::cuda
