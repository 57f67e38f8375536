// The public ops of Backend: each checks its arguments here, once for every device, and then
// calls the device's Impl. The checks are the ones both backends used to repeat, with the same
// messages; what an Impl still checks is a limit of its own libraries.

#include "backend/BackendChecks.h"

#include <loom/Backend.h>
#include <loom/Error.h>

namespace loom {

using namespace checks;

// ---- memory -------------------------------------------------------------------------------

Tensor Backend::allocate(const Shape& shape, DType dtype) {
    for (int64_t d : shape.dims()) {
        if (d < 0) {
            throw ShapeError("tensor shape " + shape.str() + " has a negative size");
        }
    }
    return allocateImpl(shape, dtype);
}

void Backend::copy(const Tensor& src, Tensor& dst) {
    if (!src.defined() || !dst.defined()) {
        throw ShapeError("copy: source and destination must be defined tensors");
    }
    if (src.numel() != dst.numel()) {
        throw ShapeError("copy: source " + src.shape().str() + " and destination " +
                         dst.shape().str() + " differ in size");
    }
    copyImpl(src, dst);
}

void Backend::fill(Tensor& t, double value) {
    checkArgs("fill", device(), {{"t", &t}});
    fillImpl(t, value);
}

void Backend::synchronize() {
    synchronizeImpl();
}

// ---- BLAS ---------------------------------------------------------------------------------

void Backend::gemm(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                   double beta, Tensor& c) {
    checkGemm(device(), transA, transB, a, b, c);
    gemmImpl(transA, transB, alpha, a, b, beta, c);
}

// ---- convolution --------------------------------------------------------------------------

void Backend::conv2dForward(const Tensor& x, const Tensor& w, const Conv2DGeometry& g, Tensor& y) {
    checkConvolution("conv2dForward", device(), {"x", &x}, {"w", &w}, {"y", &y}, g);
    if (emptyConvolution(x, w)) {
        fill(y, 0.0);  // an empty sum; BLAS and cuDNN reject empty extents
        return;
    }
    conv2dForwardImpl(x, w, g, y);
}

void Backend::conv2dBackwardData(const Tensor& dy, const Tensor& w, const Conv2DGeometry& g,
                                 Tensor& dx) {
    checkConvolution("conv2dBackwardData", device(), {"dx", &dx}, {"w", &w}, {"dy", &dy}, g);
    if (emptyConvolution(dx, w)) {
        fill(dx, 0.0);
        return;
    }
    conv2dBackwardDataImpl(dy, w, g, dx);
}

void Backend::conv2dBackwardFilter(const Tensor& x, const Tensor& dy, const Conv2DGeometry& g,
                                   Tensor& dw) {
    checkConvolution("conv2dBackwardFilter", device(), {"x", &x}, {"dw", &dw}, {"dy", &dy}, g);
    if (emptyConvolution(x, dw)) {
        fill(dw, 0.0);
        return;
    }
    conv2dBackwardFilterImpl(x, dy, g, dw);
}

void Backend::addBias(Tensor& y, const Tensor& bias) {
    checkBias("addBias", device(), {"y", &y}, {"bias", &bias});
    addBiasImpl(y, bias);
}

void Backend::biasBackward(const Tensor& dy, Tensor& db) {
    checkBias("biasBackward", device(), {"dy", &dy}, {"db", &db});
    biasBackwardImpl(dy, db);
}

// ---- pooling and padding ------------------------------------------------------------------

void Backend::pool2dForward(PoolMode mode, const Tensor& x, const Pool2DGeometry& g, Tensor& y) {
    checkPooling("pool2dForward", device(), {"x", &x}, {"y", &y}, g);
    pool2dForwardImpl(mode, x, g, y);
}

void Backend::pool2dBackward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy,
                             const Pool2DGeometry& g, Tensor& dx) {
    const char* op = "pool2dBackward";
    checkPooling(op, device(), {"x", &x}, {"dy", &dy}, g);
    checkArgs(op, device(), {{"x", &x}, {"y", &y}, {"dx", &dx}});
    checkSameShape(op, {"y", &y}, {"dy", &dy});
    checkSameShape(op, {"x", &x}, {"dx", &dx});
    pool2dBackwardImpl(mode, x, y, dy, g, dx);
}

void Backend::globalAveragePoolForward(const Tensor& x, Tensor& y) {
    checkGlobalPooling("globalAveragePoolForward", device(), {"x", &x}, {"y", &y});
    globalAveragePoolForwardImpl(x, y);
}

void Backend::globalAveragePoolBackward(const Tensor& dy, Tensor& dx) {
    checkGlobalPooling("globalAveragePoolBackward", device(), {"dx", &dx}, {"dy", &dy});
    globalAveragePoolBackwardImpl(dy, dx);
}

void Backend::pad2dForward(const Tensor& x, const Padding2D& p, Tensor& y) {
    const char* op = "pad2dForward";
    checkArgs(op, device(), {{"x", &x}, {"y", &y}});
    checkRank(op, {"x", &x}, 4);
    checkShape(op, {"y", &y}, paddedShape(op, x.shape(), p));
    pad2dForwardImpl(x, p, y);
}

void Backend::pad2dBackward(const Tensor& dy, const Padding2D& p, Tensor& dx) {
    const char* op = "pad2dBackward";
    checkArgs(op, device(), {{"dy", &dy}, {"dx", &dx}});
    checkRank(op, {"dx", &dx}, 4);
    checkShape(op, {"dy", &dy}, paddedShape(op, dx.shape(), p));
    pad2dBackwardImpl(dy, p, dx);
}

// ---- activations --------------------------------------------------------------------------

void Backend::activationForward(ActivationKind kind, double alpha, const Tensor& x, Tensor& y) {
    const char* op = "activationForward";
    checkArgs(op, device(), {{"x", &x}, {"y", &y}});
    checkSameShape(op, {"x", &x}, {"y", &y});
    if (kind == ActivationKind::Softmax) {
        checkRank("activationForward(softmax)", {"x", &x}, 2, true);
    }
    activationForwardImpl(kind, alpha, x, y);
}

void Backend::activationBackward(ActivationKind kind, double alpha, const Tensor& x,
                                 const Tensor& y, const Tensor& dy, Tensor& dx) {
    const char* op = "activationBackward";
    checkArgs(op, device(), {{"x", &x}, {"y", &y}, {"dy", &dy}, {"dx", &dx}});
    checkSameShape(op, {"x", &x}, {"y", &y});
    checkSameShape(op, {"y", &y}, {"dy", &dy});
    checkSameShape(op, {"dy", &dy}, {"dx", &dx});
    if (kind == ActivationKind::Softmax) {
        checkRank("activationBackward(softmax)", {"y", &y}, 2, true);
    }
    activationBackwardImpl(kind, alpha, x, y, dy, dx);
}

// ---- batch normalisation ------------------------------------------------------------------

void Backend::batchNormForwardTraining(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       double momentum, double epsilon, Tensor& runningMean,
                                       Tensor& runningVar, Tensor& y, Tensor& savedMean,
                                       Tensor& savedInvStd) {
    const char* op = "batchNormForwardTraining";
    Arg xa{"x", &x}, ga{"gamma", &gamma}, ba{"beta", &beta}, rma{"runningMean", &runningMean},
        rva{"runningVar", &runningVar}, ya{"y", &y}, sma{"savedMean", &savedMean},
        sia{"savedInvStd", &savedInvStd};
    checkArgs(op, device(), {xa, ga, ba, rma, rva, ya, sma, sia});
    checkSameShape(op, xa, ya);
    checkPerChannel(op, xa, {ga, ba, rma, rva, sma, sia});
    batchNormForwardTrainingImpl(x, gamma, beta, momentum, epsilon, runningMean, runningVar, y,
                                 savedMean, savedInvStd);
}

void Backend::batchNormForwardInference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                        const Tensor& runningMean, const Tensor& runningVar,
                                        double epsilon, Tensor& y) {
    const char* op = "batchNormForwardInference";
    Arg xa{"x", &x}, ga{"gamma", &gamma}, ba{"beta", &beta}, rma{"runningMean", &runningMean},
        rva{"runningVar", &runningVar}, ya{"y", &y};
    checkArgs(op, device(), {xa, ga, ba, rma, rva, ya});
    checkSameShape(op, xa, ya);
    checkPerChannel(op, xa, {ga, ba, rma, rva});
    batchNormForwardInferenceImpl(x, gamma, beta, runningMean, runningVar, epsilon, y);
}

void Backend::batchNormBackward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                const Tensor& savedMean, const Tensor& savedInvStd, Tensor& dx,
                                Tensor& dgamma, Tensor& dbeta) {
    const char* op = "batchNormBackward";
    Arg xa{"x", &x}, dya{"dy", &dy}, ga{"gamma", &gamma}, sma{"savedMean", &savedMean},
        sia{"savedInvStd", &savedInvStd}, dxa{"dx", &dx}, dga{"dgamma", &dgamma},
        dba{"dbeta", &dbeta};
    checkArgs(op, device(), {xa, dya, ga, sma, sia, dxa, dga, dba});
    checkSameShape(op, xa, dya);
    checkSameShape(op, xa, dxa);
    checkPerChannel(op, xa, {ga, sma, sia, dga, dba});
    batchNormBackwardImpl(x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
}

// ---- dropout, element-wise and reductions -------------------------------------------------

void Backend::dropoutForward(const Tensor& x, double rate, uint64_t seed, uint64_t offset,
                             Tensor& mask, Tensor& y) {
    const char* op = "dropoutForward";
    checkArgs(op, device(), {{"x", &x}, {"mask", &mask}, {"y", &y}});
    checkSameShape(op, {"x", &x}, {"mask", &mask});
    checkSameShape(op, {"x", &x}, {"y", &y});
    if (!(rate >= 0.0 && rate <= 1.0)) {
        throw ConfigError("dropoutForward: rate " + std::to_string(rate) + " is outside [0, 1]");
    }
    dropoutForwardImpl(x, rate, seed, offset, mask, y);
}

void Backend::axpby(double alpha, const Tensor& x, double beta, Tensor& y) {
    checkArgs("axpby", device(), {{"x", &x}, {"y", &y}});
    checkSameShape("axpby", {"x", &x}, {"y", &y});
    axpbyImpl(alpha, x, beta, y);
}

void Backend::add(const Tensor& a, const Tensor& b, Tensor& y) {
    checkArgs("add", device(), {{"a", &a}, {"b", &b}, {"y", &y}});
    checkSameShape("add", {"a", &a}, {"b", &b});
    checkSameShape("add", {"a", &a}, {"y", &y});
    addImpl(a, b, y);
}

void Backend::multiply(const Tensor& a, const Tensor& b, Tensor& y) {
    checkArgs("multiply", device(), {{"a", &a}, {"b", &b}, {"y", &y}});
    checkSameShape("multiply", {"a", &a}, {"b", &b});
    checkSameShape("multiply", {"a", &a}, {"y", &y});
    multiplyImpl(a, b, y);
}

void Backend::sum(const Tensor& x, Tensor& result) {
    checkArgs("sum", device(), {{"x", &x}, {"result", &result}});
    checkScalar("sum", {"result", &result});
    sumImpl(x, result);
}

void Backend::sumSquares(const Tensor& x, Tensor& result) {
    checkArgs("sumSquares", device(), {{"x", &x}, {"result", &result}});
    checkScalar("sumSquares", {"result", &result});
    sumSquaresImpl(x, result);
}

int64_t Backend::countNonFinite(const Tensor& x) {
    checkArgs("countNonFinite", device(), {{"x", &x}});
    return countNonFiniteImpl(x);
}

void Backend::concat(const std::vector<Tensor>& xs, int axis, Tensor& y) {
    checkParts("concat", device(), xs, axis, y);
    concatImpl(xs, axis, y);
}

void Backend::split(const Tensor& y, int axis, std::vector<Tensor>& xs) {
    checkParts("split", device(), xs, axis, y);
    splitImpl(y, axis, xs);
}

// ---- losses -------------------------------------------------------------------------------

void Backend::softmaxCrossEntropy(const Tensor& logits, const Tensor& target, Tensor& loss,
                                  Tensor* dLogits) {
    const char* op = "softmaxCrossEntropy";
    checkLoss(op, device(), {"logits", &logits}, {"target", &target}, loss, dLogits, true);
    checkLogits(op, logits);
    softmaxCrossEntropyImpl(logits, target, loss, dLogits);
}

void Backend::sparseSoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, Tensor& loss,
                                        Tensor* dLogits) {
    const char* op = "sparseSoftmaxCrossEntropy";
    checkLoss(op, device(), {"logits", &logits}, {"labels", &labels}, loss, dLogits, false);
    checkLogits(op, logits);
    checkNumel(op, {"labels", &labels}, logits.dim(0),
               "one class index per sample of logits " + logits.shape().str());
    sparseSoftmaxCrossEntropyImpl(logits, labels, loss, dLogits);
}

void Backend::crossEntropy(const Tensor& probs, const Tensor& target, double epsilon, Tensor& loss,
                           Tensor* dProbs) {
    const char* op = "crossEntropy";
    checkLoss(op, device(), {"probs", &probs}, {"target", &target}, loss, dProbs, true);
    checkRank(op, {"probs", &probs}, 2);
    crossEntropyImpl(probs, target, epsilon, loss, dProbs);
}

void Backend::sigmoidBinaryCrossEntropy(const Tensor& logits, const Tensor& target, Tensor& loss,
                                        Tensor* dLogits) {
    checkLoss("sigmoidBinaryCrossEntropy", device(), {"logits", &logits}, {"target", &target}, loss,
              dLogits, true);
    sigmoidBinaryCrossEntropyImpl(logits, target, loss, dLogits);
}

void Backend::binaryCrossEntropy(const Tensor& probs, const Tensor& target, double epsilon,
                                 Tensor& loss, Tensor* dProbs) {
    checkLoss("binaryCrossEntropy", device(), {"probs", &probs}, {"target", &target}, loss, dProbs,
              true);
    binaryCrossEntropyImpl(probs, target, epsilon, loss, dProbs);
}

void Backend::meanSquaredError(const Tensor& pred, const Tensor& target, Tensor& loss,
                               Tensor* dPred) {
    checkLoss("meanSquaredError", device(), {"pred", &pred}, {"target", &target}, loss, dPred,
              true);
    meanSquaredErrorImpl(pred, target, loss, dPred);
}

// ---- optimizer updates --------------------------------------------------------------------

void Backend::sgdUpdate(Tensor& w, const Tensor& g, Tensor* velocity, double lr, double momentum,
                        bool nesterov) {
    const char* op = "sgdUpdate";
    if (velocity == nullptr && (momentum != 0.0 || nesterov)) {
        throw ConfigError("sgdUpdate: momentum " + std::to_string(momentum) +
                          " needs a velocity tensor");
    }
    if (velocity != nullptr) {
        checkState(op, device(), {"w", &w}, {"g", &g}, {{"velocity", velocity}});
    } else {
        checkState(op, device(), {"w", &w}, {"g", &g}, {});
    }
    sgdUpdateImpl(w, g, velocity, lr, momentum, nesterov);
}

void Backend::rmspropUpdate(Tensor& w, const Tensor& g, Tensor& accumulator, double lr, double rho,
                            double epsilon) {
    checkState("rmspropUpdate", device(), {"w", &w}, {"g", &g}, {{"accumulator", &accumulator}});
    rmspropUpdateImpl(w, g, accumulator, lr, rho, epsilon);
}

void Backend::adagradUpdate(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                            double epsilon) {
    checkState("adagradUpdate", device(), {"w", &w}, {"g", &g}, {{"accumulator", &accumulator}});
    adagradUpdateImpl(w, g, accumulator, lr, epsilon);
}

void Backend::adamUpdate(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr, double beta1,
                         double beta2, double epsilon, int64_t step, double weightDecay) {
    checkState("adamUpdate", device(), {"w", &w}, {"g", &g}, {{"m", &m}, {"v", &v}});
    if (step < 1) {
        throw ConfigError("adamUpdate: step " + std::to_string(step) + " must be 1 or more");
    }
    adamUpdateImpl(w, g, m, v, lr, beta1, beta2, epsilon, step, weightDecay);
}

}  // namespace loom
