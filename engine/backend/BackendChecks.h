#pragma once
// The argument checks every Backend op starts with (BackendOps.cpp), one implementation for
// every device. Messages name the op, the argument and its shape, so that a user can act on
// them: "gemm: c (3, 3) should have shape (3, 2)".

#include <loom/Backend.h>
#include <loom/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace loom::checks {

/// A named tensor argument, so that error messages can say which one is wrong.
struct Arg {
    const char* name;
    const Tensor* tensor;
};

/// Every tensor is defined (else ShapeError), lives on `device` (else BackendError) and has the
/// first one's dtype (else ShapeError).
void checkArgs(const char* op, Device device, std::initializer_list<Arg> args);
/// The tensor has exactly the expected shape.
void checkShape(const char* op, const Arg& arg, const Shape& expected);
/// Both tensors have the same shape.
void checkSameShape(const char* op, const Arg& a, const Arg& b);
/// The tensor has n elements (any shape): per-channel vectors and scalar results.
void checkNumel(const char* op, const Arg& arg, int64_t n, const std::string& what);
/// The tensor has rank `rank` (or at least `rank` when orMore).
void checkRank(const char* op, const Arg& arg, size_t rank, bool orMore = false);

// ---- the checks of op families (each names the op it checks for) ---------------------------

/// a, b and c of rank 2, op(a) * op(b) the shape of c, every extent within BLAS' 32 bits.
void checkGemm(Device device, bool transA, bool transB, const Tensor& a, const Tensor& b,
               const Tensor& c);
/// x [N,C,H,W], w [K,C/groups,R,S] and y (the output or its gradient) as the geometry makes it.
void checkConvolution(const char* op, Device device, const Arg& x, const Arg& w, const Arg& y,
                      const Conv2DGeometry& g);
/// No images, no input channels or no filters: the output is an empty sum.
bool emptyConvolution(const Tensor& x, const Tensor& w);
/// y (the output or its gradient) the shape the window geometry makes of x.
void checkPooling(const char* op, Device device, const Arg& x, const Arg& y,
                  const Pool2DGeometry& g);
/// x [N,C,H,W] and y [N,C] or [N,C,1,1].
void checkGlobalPooling(const char* op, Device device, const Arg& x, const Arg& y);
/// x [N,C,H,W] padded by p (which must not be negative).
Shape paddedShape(const char* op, const Shape& x, const Padding2D& p);
/// y of rank >= 2 and one bias value per channel (axis 1).
void checkBias(const char* op, Device device, const Arg& y, const Arg& bias);
/// x of rank >= 2 and one value per channel (axis 1) in every per-channel tensor.
void checkPerChannel(const char* op, const Arg& x, std::initializer_list<Arg> perChannel);
/// The parts of a concatenation against the whole: every axis but `axis` (>= 1) equal, the
/// parts adding up along it.
void checkParts(const char* op, Device device, const std::vector<Tensor>& parts, int axis,
                const Tensor& whole);
/// The prediction, its target (of the same shape when sameShape), the one-element loss and the
/// optional gradient (shaped like the prediction).
void checkLoss(const char* op, Device device, const Arg& pred, const Arg& target,
               const Tensor& loss, const Tensor* grad, bool sameShape);
/// Logits [N, C] with at least one class.
void checkLogits(const char* op, const Tensor& logits);
/// Weights, gradient and optimizer state, all of one shape.
void checkState(const char* op, Device device, const Arg& w, const Arg& g,
                std::initializer_list<Arg> state);
/// A one-element result.
void checkScalar(const char* op, const Arg& result);

}  // namespace loom::checks
