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

private:
    // The ops (see Backend.h: Backend's public ops check the arguments, then call these).

    // memory (CpuBackend.cpp)
    Tensor allocateImpl(const Shape& shape, DType dtype) override;
    void copyImpl(const Tensor& src, Tensor& dst) override;
    void fillImpl(Tensor& t, double value) override;

    // CpuGemm.cpp
    void gemmImpl(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                  double beta, Tensor& c) override;

    // CpuConvolution.cpp
    void conv2dForwardImpl(const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                           Tensor& y) override;
    void conv2dBackwardDataImpl(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                                Tensor& dx) override;
    void conv2dBackwardFilterImpl(const Tensor& x, const Tensor& dy, const Conv2DGeometry& g,
                                  Tensor& dw) override;

    // CpuElementwise.cpp (bias)
    void addBiasImpl(Tensor& y, const Tensor& bias) override;
    void biasBackwardImpl(const Tensor& dy, Tensor& db) override;

    // CpuPooling.cpp
    void pool2dForwardImpl(PoolMode mode, const Tensor& x, const Pool2DGeometry& g,
                           Tensor& y) override;
    void pool2dBackwardImpl(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy,
                            const Pool2DGeometry& g, Tensor& dx) override;
    void globalAveragePoolForwardImpl(const Tensor& x, Tensor& y) override;
    void globalAveragePoolBackwardImpl(const Tensor& dy, Tensor& dx) override;
    void pad2dForwardImpl(const Tensor& x, const Padding2D& p, Tensor& y) override;
    void pad2dBackwardImpl(const Tensor& dy, const Padding2D& p, Tensor& dx) override;

    // CpuActivations.cpp
    void activationForwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                               Tensor& y) override;
    void activationBackwardImpl(ActivationKind kind, double alpha, const Tensor& x, const Tensor& y,
                                const Tensor& dy, Tensor& dx) override;

    // CpuBatchNorm.cpp
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

    // CpuElementwise.cpp
    void dropoutForwardImpl(const Tensor& x, double rate, uint64_t seed, uint64_t offset,
                            Tensor& mask, Tensor& y) override;
    void axpbyImpl(double alpha, const Tensor& x, double beta, Tensor& y) override;
    void addImpl(const Tensor& a, const Tensor& b, Tensor& y) override;
    void multiplyImpl(const Tensor& a, const Tensor& b, Tensor& y) override;
    void sumImpl(const Tensor& x, Tensor& result) override;
    void sumSquaresImpl(const Tensor& x, Tensor& result) override;
    int64_t countNonFiniteImpl(const Tensor& x) override;

    // CpuConcat.cpp
    void concatImpl(const std::vector<Tensor>& xs, int axis, Tensor& y) override;
    void splitImpl(const Tensor& y, int axis, std::vector<Tensor>& xs) override;

    // CpuLosses.cpp
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

    // CpuOptimizers.cpp
    void sgdUpdateImpl(Tensor& w, const Tensor& g, Tensor* velocity, double lr, double momentum,
                       bool nesterov) override;
    void rmspropUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr, double rho,
                           double epsilon) override;
    void adagradUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                           double epsilon) override;
    void adamUpdateImpl(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr, double beta1,
                        double beta2, double epsilon, int64_t step, double weightDecay) override;
};

}  // namespace loom
