#pragma once
/// CudaBackend: the Backend on one NVIDIA GPU. GEMM through cuBLAS, convolution through cuDNN
/// (algorithms found once per shape and cached, workspace owned here), everything else as own
/// kernels in the .cu files beside this one (one file per op family, like the CPU backend's).
/// All work goes to one stream in call order, so ops need no synchronisation among themselves;
/// only reads back to the host (copy to a host tensor, countNonFinite, synchronize) wait.
/// Every op takes float32 and float64. Internal to the engine: code outside it uses
/// backendFor(Device) from <loom/Devices.h>.

#include <loom/Backend.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace loom {

namespace cuda {
class CudaAllocator;
class ConvolutionPlans;

/// Written by kernels into mapped host memory when they find bad input that cannot be
/// reported at once without a synchronisation (a class label out of range); read and turned
/// into an exception at the next synchronising call. The first kernel thread to find a
/// problem claims the record with an atomic on a flag in device memory (atomics on mapped
/// host memory need PCIe atomics, which not every machine has) and fills it with plain stores.
struct DeviceErrorRecord {
    int kind;  ///< 0: none; 1: a sparse label out of range
    int classes;
    long long sample;
    double value;
};

/// The most blocks a reduction's first pass uses: its partial sums fit a fixed scratch
/// buffer, and the fixed split makes every sum the same from run to run.
constexpr int kMaxPartials = 1024;
}  // namespace cuda

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(int deviceIndex);
    ~CudaBackend() override;
    CudaBackend(const CudaBackend&) = delete;
    CudaBackend& operator=(const CudaBackend&) = delete;

    Device device() const override { return Device{DeviceKind::CUDA, m_index}; }
    std::string name() const override { return device().str(); }

    // ---- CUDA specifics -------------------------------------------------------------------
    /// TF32 tensor-core arithmetic for convolutions and for GEMMs (see Devices.h).
    void setTensorCoreMath(bool convolutions, bool gemm);
    bool convolutionTf32() const { return m_convTf32; }
    bool gemmTf32() const { return m_gemmTf32; }
    cuda::CudaAllocator& allocator() { return *m_allocator; }
    cudaStream_t stream() const { return m_stream; }
    int index() const { return m_index; }

    /// Entered by every op: makes this backend's GPU current on the calling thread (a worker
    /// thread starts on GPU 0) and serialises ops from several threads, which share the
    /// scratch buffers below.
    class Scope {
    public:
        explicit Scope(const CudaBackend& backend);

    private:
        std::unique_lock<std::recursive_mutex> m_lock;
    };

    /// cuDNN's workspace: at least `bytes`, valid until the next op (owned here, grown on
    /// demand; the old buffer is reused only by later work on the same stream).
    void* workspace(size_t bytes);
    /// kMaxPartials doubles of device scratch for the first pass of reductions, and one more
    /// double after them for results that go back to the host.
    double* partials() const { return m_partials; }
    /// The device's view of the error record kernels write into, and the flag (device memory,
    /// 0 while unclaimed) a kernel claims it with.
    cuda::DeviceErrorRecord* deviceErrors() const { return m_errorsDevice; }
    int* deviceErrorClaim() const { return m_errorClaim; }
    cublasHandle_t cublas() const { return m_cublas; }
    cudnnHandle_t cudnn() const { return m_cudnn; }
    int multiprocessors() const { return m_multiprocessors; }

private:
    // The ops (see Backend.h: Backend's public ops check the arguments, then call these).
    // memory (CudaBackend.cpp)
    Tensor allocateImpl(const Shape& shape, DType dtype) override;
    void copyImpl(const Tensor& src, Tensor& dst) override;
    void fillImpl(Tensor& t, double value) override;
    void synchronizeImpl() override;

    // CudaGemm.cpp
    void gemmImpl(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                  double beta, Tensor& c) override;

    // CudaConvolution.cpp
    void conv2dForwardImpl(const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                           Tensor& y) override;
    void conv2dBackwardDataImpl(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                                Tensor& dx) override;
    void conv2dBackwardFilterImpl(const Tensor& x, const Tensor& dy, const Conv2DGeometry& g,
                                  Tensor& dw) override;

    // CudaElementwise.cu (bias)
    void addBiasImpl(Tensor& y, const Tensor& bias) override;
    void biasBackwardImpl(const Tensor& dy, Tensor& db) override;

    // CudaPooling.cu
    void pool2dForwardImpl(PoolMode mode, const Tensor& x, const Pool2DGeometry& g,
                           Tensor& y) override;
    void pool2dBackwardImpl(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy,
                            const Pool2DGeometry& g, Tensor& dx) override;
    void globalAveragePoolForwardImpl(const Tensor& x, Tensor& y) override;
    void globalAveragePoolBackwardImpl(const Tensor& dy, Tensor& dx) override;
    void pad2dForwardImpl(const Tensor& x, const Padding2D& p, Tensor& y) override;
    void pad2dBackwardImpl(const Tensor& dy, const Padding2D& p, Tensor& dx) override;

    // CudaActivations.cu
    void activationForwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                               Tensor& y) override;
    void activationBackwardImpl(ActivationKind kind, double alpha, const Tensor& x, const Tensor& y,
                                const Tensor& dy, Tensor& dx) override;

    // CudaBatchNorm.cu
    void batchNormForwardTrainingImpl(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      double momentum, double epsilon, Tensor& runningMean,
                                      Tensor& runningVar, Tensor& y, Tensor& savedMean,
                                      Tensor& savedInvStd) override;
    void batchNormForwardInferenceImpl(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       const Tensor& runningMean, const Tensor& runningVar,
                                       double epsilon, Tensor& y) override;
    void batchNormBackwardImpl(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                               const Tensor& savedMean, const Tensor& savedInvStd, Tensor& dx,
                               Tensor& dgamma, Tensor& dbeta) override;

    // CudaElementwise.cu
    void dropoutForwardImpl(const Tensor& x, double rate, uint64_t seed, uint64_t offset,
                            Tensor& mask, Tensor& y) override;
    void axpbyImpl(double alpha, const Tensor& x, double beta, Tensor& y) override;
    void addImpl(const Tensor& a, const Tensor& b, Tensor& y) override;
    void multiplyImpl(const Tensor& a, const Tensor& b, Tensor& y) override;
    void sumImpl(const Tensor& x, Tensor& result) override;
    void sumSquaresImpl(const Tensor& x, Tensor& result) override;
    int64_t countNonFiniteImpl(const Tensor& x) override;

    // CudaConcat.cpp
    void concatImpl(const std::vector<Tensor>& xs, int axis, Tensor& y) override;
    void splitImpl(const Tensor& y, int axis, std::vector<Tensor>& xs) override;

    // CudaLosses.cu
    void softmaxCrossEntropyImpl(const Tensor& logits, const Tensor& target, Tensor& loss,
                                 Tensor* dLogits) override;
    void sparseSoftmaxCrossEntropyImpl(const Tensor& logits, const Tensor& labels, Tensor& loss,
                                       Tensor* dLogits) override;
    void crossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon, Tensor& loss,
                          Tensor* dProbs) override;
    void sigmoidBinaryCrossEntropyImpl(const Tensor& logits, const Tensor& target, Tensor& loss,
                                       Tensor* dLogits) override;
    void binaryCrossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                Tensor& loss, Tensor* dProbs) override;
    void meanSquaredErrorImpl(const Tensor& pred, const Tensor& target, Tensor& loss,
                              Tensor* dPred) override;

    // CudaOptimizers.cu
    void sgdUpdateImpl(Tensor& w, const Tensor& g, Tensor* velocity, double lr, double momentum,
                       bool nesterov) override;
    void rmspropUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr, double rho,
                           double epsilon) override;
    void adagradUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                           double epsilon) override;
    void adamUpdateImpl(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr, double beta1,
                        double beta2, double epsilon, int64_t step, double weightDecay) override;

    void upload(const void* host, void* device, size_t bytes);
    void download(const void* device, void* host, size_t bytes);
    /// Throws the error a kernel recorded since the last check, if any (after a sync).
    void raiseDeviceErrors();
    /// dst = src converted between float32 and float64, both on this device (CudaElementwise.cu).
    void convertOnDevice(const Tensor& src, Tensor& dst);

    struct StagingSlot {
        void* host = nullptr;
        size_t capacity = 0;
        cudaEvent_t done = nullptr;
    };

    int m_index;
    int m_multiprocessors = 0;
    cudaStream_t m_stream = nullptr;
    cublasHandle_t m_cublas = nullptr;
    cudnnHandle_t m_cudnn = nullptr;
    std::unique_ptr<cuda::CudaAllocator> m_allocator;
    std::unique_ptr<cuda::ConvolutionPlans> m_convolutions;
    mutable std::recursive_mutex m_mutex;
    std::atomic<bool> m_convTf32{true};
    std::atomic<bool> m_gemmTf32{false};
    Tensor m_workspace;
    Tensor m_cublasWorkspace;
    double* m_partials = nullptr;
    Tensor m_partialsTensor;
    cuda::DeviceErrorRecord* m_errorsHost = nullptr;
    cuda::DeviceErrorRecord* m_errorsDevice = nullptr;
    Tensor m_errorClaimTensor;
    int* m_errorClaim = nullptr;
    StagingSlot m_staging[2];
    int m_nextSlot = 0;
};

}  // namespace loom
