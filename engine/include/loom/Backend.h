#pragma once
/// Backend: the op interface every device implements. Layers, losses and optimizers call
/// these ops and never a BLAS, cuDNN or CUDA function directly, so each is written once and runs
/// on every device. Outputs are preallocated by the caller with the right shape. Images are
/// NCHW, dense data N x F. Every backend handles float32 and float64 (for gradient checks).
///
/// Each op is a non-virtual public function that checks its arguments, in one place for every
/// device (engine/backend/BackendOps.cpp), and then calls the device's protected virtual
/// `<op>Impl`. The checks throw ShapeError naming the op and the shapes (BackendError for a
/// tensor on another device, ConfigError for a bad parameter), so an Impl may take for granted
/// that every tensor is defined, lives on this backend's device, shares one dtype and has the
/// shape the op needs.

#include <loom/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom {

/// Explicit 2-D convolution geometry. Input [N,C,H,W], filter [K,C/groups,R,S] (OIHW), output
/// [N,K,P,Q] with P = (H + padTop + padBottom - dilationH*(R-1) - 1) / strideH + 1, and likewise
/// Q. With groups G the channels split into G consecutive blocks: output channels
/// [g*K/G, (g+1)*K/G) see only input channels [g*C/G, (g+1)*C/G) (cuDNN's and PyTorch's
/// grouped convolution); G = C with K = C*m is Keras' DepthwiseConv2D with depth multiplier m.
struct Conv2DGeometry {
    int strideH = 1, strideW = 1;
    int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
    int dilationH = 1, dilationW = 1;
    int groups = 1;  ///< must divide both C and K

    /// The output shape for input [N,C,H,W] and filter [K,C/groups,R,S]; throws ShapeError when
    /// empty or when the channels do not divide into the groups.
    Shape outputShape(const Shape& input, const Shape& filter) const;
};

enum class PoolMode {
    Max,
    AverageExcludePadding,  ///< Keras / ONNX default: padded cells do not count
    AverageIncludePadding,
};

/// Pooling window geometry over [N,C,H,W].
struct Pool2DGeometry {
    int kernelH = 2, kernelW = 2;
    int strideH = 2, strideW = 2;
    int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;

    Shape outputShape(const Shape& input) const;
};

/// Zero padding of the two spatial axes of [N,C,H,W].
struct Padding2D {
    int top = 0, bottom = 0, left = 0, right = 0;
};

/// ClippedRelu is min(max(x, 0), alpha): Keras' ReLU layer with max_value = alpha, and its
/// "relu6" activation when alpha is 6.
enum class ActivationKind { Linear, Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softmax, ClippedRelu };

/// Keras names: "linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "relu6"
/// (ClippedRelu).
const char* activationName(ActivationKind kind);
ActivationKind activationFromName(const std::string& name);
std::vector<std::string> activationNames();

class Backend {
public:
    virtual ~Backend() = default;

    virtual Device device() const = 0;
    virtual std::string name() const = 0;

    // ---- memory -------------------------------------------------------------------------
    Tensor allocate(const Shape& shape, DType dtype = DType::F32);
    /// dst = src; shapes must have the same number of elements; either may live on the host.
    void copy(const Tensor& src, Tensor& dst);
    void fill(Tensor& t, double value);
    /// Waits for queued work (a no-op on the CPU).
    void synchronize();

    // ---- BLAS ---------------------------------------------------------------------------
    /// C = alpha * op(A) * op(B) + beta * C for rank-2 tensors; op transposes when asked.
    void gemm(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b, double beta,
              Tensor& c);

    // ---- convolution ----------------------------------------------------------------------
    void conv2dForward(const Tensor& x, const Tensor& w, const Conv2DGeometry& g, Tensor& y);
    void conv2dBackwardData(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g, Tensor& dx);
    void conv2dBackwardFilter(const Tensor& x, const Tensor& dy, const Conv2DGeometry& g,
                              Tensor& dw);
    /// y[n,c,...] += bias[c] for y of rank >= 2 (axis 1 is the channel / feature axis).
    void addBias(Tensor& y, const Tensor& bias);
    /// db[c] = sum of dy over every axis but 1.
    void biasBackward(const Tensor& dy, Tensor& db);

    // ---- pooling and padding --------------------------------------------------------------
    void pool2dForward(PoolMode mode, const Tensor& x, const Pool2DGeometry& g, Tensor& y);
    /// dx from dy; max pooling routes each gradient to the first maximum of its window.
    void pool2dBackward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy,
                        const Pool2DGeometry& g, Tensor& dx);
    /// y [N,C,H,W] = the mean over each channel's H*W cells, written as [N,C,1,1] or [N,C].
    void globalAveragePoolForward(const Tensor& x, Tensor& y);
    void globalAveragePoolBackward(const Tensor& dy, Tensor& dx);
    void pad2dForward(const Tensor& x, const Padding2D& p, Tensor& y);
    void pad2dBackward(const Tensor& dy, const Padding2D& p, Tensor& dx);

    // ---- activations (element-wise; softmax along axis 1 of [N, C, ...]) ----------------
    /// alpha is the slope of leaky_relu, the scale of elu and the ceiling of ClippedRelu;
    /// ignored otherwise.
    void activationForward(ActivationKind kind, double alpha, const Tensor& x, Tensor& y);
    /// dx from dy, given the forward input x and output y.
    void activationBackward(ActivationKind kind, double alpha, const Tensor& x, const Tensor& y,
                            const Tensor& dy, Tensor& dx);

    // ---- batch normalisation over axis 1 of [N,C] or [N,C,H,W] -----------------------------
    /// Normalises with the batch statistics, updates the running ones Keras-style
    /// (running = momentum * running + (1 - momentum) * batch, variance unbiased) and saves the
    /// batch mean and 1/sqrt(var + eps) for the backward pass.
    void batchNormForwardTraining(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                  double momentum, double epsilon, Tensor& runningMean,
                                  Tensor& runningVar, Tensor& y, Tensor& savedMean,
                                  Tensor& savedInvStd);
    void batchNormForwardInference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                   const Tensor& runningMean, const Tensor& runningVar,
                                   double epsilon, Tensor& y);
    void batchNormBackward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                           const Tensor& savedMean, const Tensor& savedInvStd, Tensor& dx,
                           Tensor& dgamma, Tensor& dbeta);

    // ---- dropout (inverted: kept values are scaled by 1/(1-rate)) --------------------------
    /// The mask comes from a counter-based generator: element i is dropped when
    /// uniform(seed, offset + i) < rate, so every device draws the same mask. The mask holds
    /// 0 or 1/(1-rate) per element, so the backward pass is multiply(dy, mask, dx).
    void dropoutForward(const Tensor& x, double rate, uint64_t seed, uint64_t offset, Tensor& mask,
                        Tensor& y);

    // ---- element-wise and reductions -------------------------------------------------------
    /// y = alpha * x + beta * y (beta 0 ignores what y held, NaN included).
    void axpby(double alpha, const Tensor& x, double beta, Tensor& y);
    /// y = a + b (same shapes).
    void add(const Tensor& a, const Tensor& b, Tensor& y);
    /// y = a * b element by element (same shapes).
    void multiply(const Tensor& a, const Tensor& b, Tensor& y);
    /// result (one element) = sum of x.
    void sum(const Tensor& x, Tensor& result);
    /// result (one element) = sum of x squared.
    void sumSquares(const Tensor& x, Tensor& result);
    /// The number of elements of x that are NaN or infinite.
    int64_t countNonFinite(const Tensor& x);
    /// Concatenates along axis (>= 1) into y.
    void concat(const std::vector<Tensor>& xs, int axis, Tensor& y);
    /// The inverse of concat: scatters y's slices along axis into xs (already shaped).
    void split(const Tensor& y, int axis, std::vector<Tensor>& xs);

    // ---- losses (mean over the batch; loss is a one-element tensor) -----------------------
    /// Softmax over axis 1 of logits [N,C] fused with cross-entropy against target
    /// probabilities [N,C]: stable (log-sum-exp); dLogits = (softmax - target) / N.
    void softmaxCrossEntropy(const Tensor& logits, const Tensor& target, Tensor& loss,
                             Tensor* dLogits);
    /// As softmaxCrossEntropy with integer class labels [N] (stored as floats).
    void sparseSoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, Tensor& loss,
                                   Tensor* dLogits);
    /// Cross-entropy of probabilities [N,C] (clipped to [eps, 1-eps], as Keras does).
    void crossEntropy(const Tensor& probs, const Tensor& target, double epsilon, Tensor& loss,
                      Tensor* dProbs);
    /// Binary cross-entropy with the sigmoid fused: mean over every element, stable form
    /// max(z,0) - z*t + log(1 + exp(-|z|)); dLogits = (sigmoid(z) - t) / numel.
    void sigmoidBinaryCrossEntropy(const Tensor& logits, const Tensor& target, Tensor& loss,
                                   Tensor* dLogits);
    /// Binary cross-entropy of probabilities (clipped to [eps, 1-eps]), mean over elements.
    void binaryCrossEntropy(const Tensor& probs, const Tensor& target, double epsilon, Tensor& loss,
                            Tensor* dProbs);
    /// Mean over every element of (pred - target)^2.
    void meanSquaredError(const Tensor& pred, const Tensor& target, Tensor& loss, Tensor* dPred);

    // ---- optimizer updates (Keras' formulas; state tensors shaped like w) ------------------
    /// Plain: w -= lr*g. Momentum: v = m*v - lr*g; w += v. Nesterov: w += m*v - lr*g.
    void sgdUpdate(Tensor& w, const Tensor& g, Tensor* velocity, double lr, double momentum,
                   bool nesterov);
    /// a = rho*a + (1-rho)*g^2; w -= lr*g / (sqrt(a) + eps).
    void rmspropUpdate(Tensor& w, const Tensor& g, Tensor& accumulator, double lr, double rho,
                       double epsilon);
    /// a += g^2; w -= lr*g / (sqrt(a) + eps).
    void adagradUpdate(Tensor& w, const Tensor& g, Tensor& accumulator, double lr, double epsilon);
    /// Keras Adam at step t (1-based): lr_t = lr*sqrt(1-b2^t)/(1-b1^t); m = b1*m + (1-b1)*g;
    /// v = b2*v + (1-b2)*g^2; w -= lr_t*m/(sqrt(v) + eps). With decoupled weight decay wd
    /// (AdamW) w -= lr*wd*w first.
    void adamUpdate(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr, double beta1,
                    double beta2, double epsilon, int64_t step, double weightDecay);

protected:
    // ---- what a device implements, one per op above --------------------------------------
    // Called only by the public op of the same name, after its checks passed (see the header
    // comment); an Impl checks only the limits of its own libraries (32-bit extents of BLAS and
    // cuDNN). Adding an op: declare it above and here, check its arguments in BackendOps.cpp, and
    // give it cases in tests/support/BackendOpCases (TestBackendOpCoverage fails until then).
    virtual Tensor allocateImpl(const Shape& shape, DType dtype) = 0;
    virtual void copyImpl(const Tensor& src, Tensor& dst) = 0;
    virtual void fillImpl(Tensor& t, double value) = 0;
    virtual void synchronizeImpl() {}
    virtual void gemmImpl(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                          double beta, Tensor& c) = 0;
    virtual void conv2dForwardImpl(const Tensor& x, const Tensor& w, const Conv2DGeometry& g,
                                   Tensor& y) = 0;
    virtual void conv2dBackwardDataImpl(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                                        Tensor& dx) = 0;
    virtual void conv2dBackwardFilterImpl(const Tensor& x, const Tensor& dy,
                                          const Conv2DGeometry& g, Tensor& dw) = 0;
    virtual void addBiasImpl(Tensor& y, const Tensor& bias) = 0;
    virtual void biasBackwardImpl(const Tensor& dy, Tensor& db) = 0;
    virtual void pool2dForwardImpl(PoolMode mode, const Tensor& x, const Pool2DGeometry& g,
                                   Tensor& y) = 0;
    virtual void pool2dBackwardImpl(PoolMode mode, const Tensor& x, const Tensor& y,
                                    const Tensor& dy, const Pool2DGeometry& g, Tensor& dx) = 0;
    virtual void globalAveragePoolForwardImpl(const Tensor& x, Tensor& y) = 0;
    virtual void globalAveragePoolBackwardImpl(const Tensor& dy, Tensor& dx) = 0;
    virtual void pad2dForwardImpl(const Tensor& x, const Padding2D& p, Tensor& y) = 0;
    virtual void pad2dBackwardImpl(const Tensor& dy, const Padding2D& p, Tensor& dx) = 0;
    virtual void activationForwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                                       Tensor& y) = 0;
    virtual void activationBackwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                                        const Tensor& y, const Tensor& dy, Tensor& dx) = 0;
    virtual void batchNormForwardTrainingImpl(const Tensor& x, const Tensor& gamma,
                                              const Tensor& beta, double momentum, double epsilon,
                                              Tensor& runningMean, Tensor& runningVar, Tensor& y,
                                              Tensor& savedMean, Tensor& savedInvStd) = 0;
    virtual void batchNormForwardInferenceImpl(const Tensor& x, const Tensor& gamma,
                                               const Tensor& beta, const Tensor& runningMean,
                                               const Tensor& runningVar, double epsilon,
                                               Tensor& y) = 0;
    virtual void batchNormBackwardImpl(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                       const Tensor& savedMean, const Tensor& savedInvStd,
                                       Tensor& dx, Tensor& dgamma, Tensor& dbeta) = 0;
    virtual void dropoutForwardImpl(const Tensor& x, double rate, uint64_t seed, uint64_t offset,
                                    Tensor& mask, Tensor& y) = 0;
    virtual void axpbyImpl(double alpha, const Tensor& x, double beta, Tensor& y) = 0;
    virtual void addImpl(const Tensor& a, const Tensor& b, Tensor& y) = 0;
    virtual void multiplyImpl(const Tensor& a, const Tensor& b, Tensor& y) = 0;
    virtual void sumImpl(const Tensor& x, Tensor& result) = 0;
    virtual void sumSquaresImpl(const Tensor& x, Tensor& result) = 0;
    virtual int64_t countNonFiniteImpl(const Tensor& x) = 0;
    virtual void concatImpl(const std::vector<Tensor>& xs, int axis, Tensor& y) = 0;
    virtual void splitImpl(const Tensor& y, int axis, std::vector<Tensor>& xs) = 0;
    virtual void softmaxCrossEntropyImpl(const Tensor& logits, const Tensor& target, Tensor& loss,
                                         Tensor* dLogits) = 0;
    virtual void sparseSoftmaxCrossEntropyImpl(const Tensor& logits, const Tensor& labels,
                                               Tensor& loss, Tensor* dLogits) = 0;
    virtual void crossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                  Tensor& loss, Tensor* dProbs) = 0;
    virtual void sigmoidBinaryCrossEntropyImpl(const Tensor& logits, const Tensor& target,
                                               Tensor& loss, Tensor* dLogits) = 0;
    virtual void binaryCrossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                        Tensor& loss, Tensor* dProbs) = 0;
    virtual void meanSquaredErrorImpl(const Tensor& pred, const Tensor& target, Tensor& loss,
                                      Tensor* dPred) = 0;
    virtual void sgdUpdateImpl(Tensor& w, const Tensor& g, Tensor* velocity, double lr,
                               double momentum, bool nesterov) = 0;
    virtual void rmspropUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                                   double rho, double epsilon) = 0;
    virtual void adagradUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                                   double epsilon) = 0;
    virtual void adamUpdateImpl(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr,
                                double beta1, double beta2, double epsilon, int64_t step,
                                double weightDecay) = 0;
};

/// The process-wide CPU backend.
Backend& cpuBackend();

/// How many threads the CPU backend (OpenMP and OpenBLAS) uses; 0 restores the default (one
/// per core).
void setCpuThreads(int threads);
int cpuThreads();

/// The uniform [0,1) number a counter-based generator gives for (seed, counter); the same on
/// every device (SplitMix64 finaliser of seed and counter).
double counterUniform(uint64_t seed, uint64_t counter);

}  // namespace loom
