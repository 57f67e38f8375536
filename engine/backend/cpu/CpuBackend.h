#pragma once
/// CpuBackend: the Backend on the host. GEMM through OpenBLAS, convolution as im2col + GEMM,
/// the other ops as OpenMP loops. Every op takes float32 and float64 (templated kernels; float64
/// exists for gradient checks). Internal to the engine: code outside it uses cpuBackend().

#include <loom/Backend.h>

namespace loom {

class CpuBackend final : public Backend {
public:
    Device device() const override { return Device::cpu(); }
    std::string name() const override { return "cpu"; }

    // memory (CpuBackend.cpp)
    Tensor allocate(const Shape& shape, DType dtype = DType::F32) override;
    void copy(const Tensor& src, Tensor& dst) override;
    void fill(Tensor& t, double value) override;

    // CpuGemm.cpp
    void gemm(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b, double beta,
              Tensor& c) override;

    // CpuConvolution.cpp
    void conv2dForward(const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                       Tensor& y) override;
    void conv2dBackwardData(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                            Tensor& dx) override;
    void conv2dBackwardFilter(const Tensor& x, const Tensor& dy, const Conv2DGeometry& g,
                              Tensor& dw) override;

    // CpuElementwise.cpp (bias)
    void addBias(Tensor& y, const Tensor& bias) override;
    void biasBackward(const Tensor& dy, Tensor& db) override;

    // CpuPooling.cpp
    void pool2dForward(PoolMode mode, const Tensor& x, const Pool2DGeometry& g, Tensor& y) override;
    void pool2dBackward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy,
                        const Pool2DGeometry& g, Tensor& dx) override;
    void globalAveragePoolForward(const Tensor& x, Tensor& y) override;
    void globalAveragePoolBackward(const Tensor& dy, Tensor& dx) override;
    void pad2dForward(const Tensor& x, const Padding2D& p, Tensor& y) override;
    void pad2dBackward(const Tensor& dy, const Padding2D& p, Tensor& dx) override;

    // CpuActivations.cpp
    void activationForward(ActivationKind kind, double alpha, const Tensor& x, Tensor& y) override;
    void activationBackward(ActivationKind kind, double alpha, const Tensor& x, const Tensor& y,
                            const Tensor& dy, Tensor& dx) override;

    // CpuBatchNorm.cpp
    void batchNormForwardTraining(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                  double momentum, double epsilon, Tensor& runningMean,
                                  Tensor& runningVar, Tensor& y, Tensor& savedMean,
                                  Tensor& savedInvStd) override;
    void batchNormForwardInference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                   const Tensor& runningMean, const Tensor& runningVar,
                                   double epsilon, Tensor& y) override;
    void batchNormBackward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                           const Tensor& savedMean, const Tensor& savedInvStd, Tensor& dx,
                           Tensor& dgamma, Tensor& dbeta) override;

    // CpuElementwise.cpp
    void dropoutForward(const Tensor& x, double rate, uint64_t seed, uint64_t offset, Tensor& mask,
                        Tensor& y) override;
    void axpby(double alpha, const Tensor& x, double beta, Tensor& y) override;
    void add(const Tensor& a, const Tensor& b, Tensor& y) override;
    void multiply(const Tensor& a, const Tensor& b, Tensor& y) override;
    void sum(const Tensor& x, Tensor& result) override;
    void sumSquares(const Tensor& x, Tensor& result) override;
    int64_t countNonFinite(const Tensor& x) override;

    // CpuConcat.cpp
    void concat(const std::vector<Tensor>& xs, int axis, Tensor& y) override;
    void split(const Tensor& y, int axis, std::vector<Tensor>& xs) override;

    // CpuLosses.cpp
    void softmaxCrossEntropy(const Tensor& logits, const Tensor& target, Tensor& loss,
                             Tensor* dLogits) override;
    void sparseSoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, Tensor& loss,
                                   Tensor* dLogits) override;
    void crossEntropy(const Tensor& probs, const Tensor& target, double epsilon, Tensor& loss,
                      Tensor* dProbs) override;
    void sigmoidBinaryCrossEntropy(const Tensor& logits, const Tensor& target, Tensor& loss,
                                   Tensor* dLogits) override;
    void binaryCrossEntropy(const Tensor& probs, const Tensor& target, double epsilon, Tensor& loss,
                            Tensor* dProbs) override;
    void meanSquaredError(const Tensor& pred, const Tensor& target, Tensor& loss,
                          Tensor* dPred) override;

    // CpuOptimizers.cpp
    void sgdUpdate(Tensor& w, const Tensor& g, Tensor* velocity, double lr, double momentum,
                   bool nesterov) override;
    void rmspropUpdate(Tensor& w, const Tensor& g, Tensor& accumulator, double lr, double rho,
                       double epsilon) override;
    void adagradUpdate(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                       double epsilon) override;
    void adamUpdate(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr, double beta1,
                    double beta2, double epsilon, int64_t step, double weightDecay) override;
};

}  // namespace loom
