// The generic argument checks of the Backend ops: defined tensors on the backend's device, one
// dtype, and the shapes an op needs.

#include "backend/BackendChecks.h"

#include <loom/Backend.h>
#include <loom/Error.h>

#include <climits>

namespace loom::checks {

namespace {

std::string describe(const Arg& arg) {
    return std::string(arg.name) + " " + arg.tensor->shape().str();
}

// What a tensor on the wrong device is told: the CPU wants host tensors, a GPU wants its own.
std::string deviceNeed(Device device) {
    if (device.kind == DeviceKind::CPU) {
        return "the cpu backend needs host tensors";
    }
    return "the " + device.str() + " backend needs tensors on " + device.str() +
           " (copy it there with Backend::copy)";
}

std::string opShape(const Tensor& t, bool transposed) {
    return t.shape().str() + (transposed ? "^T" : "");
}

}  // namespace

void checkArgs(const char* op, Device device, std::initializer_list<Arg> args) {
    const Tensor* first = nullptr;
    const char* firstName = "";
    for (const Arg& arg : args) {
        if (!arg.tensor->defined()) {
            throw ShapeError(std::string(op) + ": " + arg.name + " is an undefined tensor");
        }
        if (arg.tensor->device() != device) {
            throw BackendError(std::string(op) + ": " + arg.name + " lives on " +
                               arg.tensor->device().str() + ", " + deviceNeed(device));
        }
        if (first == nullptr) {
            first = arg.tensor;
            firstName = arg.name;
        } else if (arg.tensor->dtype() != first->dtype()) {
            throw ShapeError(std::string(op) + ": " + arg.name + " is " +
                             dtypeName(arg.tensor->dtype()) + " but " + firstName + " is " +
                             dtypeName(first->dtype()));
        }
    }
}

void checkShape(const char* op, const Arg& arg, const Shape& expected) {
    if (arg.tensor->shape() != expected) {
        throw ShapeError(std::string(op) + ": " + describe(arg) + " should have shape " +
                         expected.str());
    }
}

void checkSameShape(const char* op, const Arg& a, const Arg& b) {
    if (a.tensor->shape() != b.tensor->shape()) {
        throw ShapeError(std::string(op) + ": " + describe(a) + " and " + describe(b) +
                         " must have the same shape");
    }
}

void checkNumel(const char* op, const Arg& arg, int64_t n, const std::string& what) {
    if (arg.tensor->numel() != n) {
        throw ShapeError(std::string(op) + ": " + describe(arg) + " should have " +
                         std::to_string(n) + " elements (" + what + ")");
    }
}

void checkRank(const char* op, const Arg& arg, size_t rank, bool orMore) {
    bool ok = orMore ? arg.tensor->rank() >= rank : arg.tensor->rank() == rank;
    if (!ok) {
        throw ShapeError(std::string(op) + ": " + describe(arg) + " should have rank " +
                         (orMore ? "at least " : "") + std::to_string(rank));
    }
}

void checkGemm(Device device, bool transA, bool transB, const Tensor& a, const Tensor& b,
               const Tensor& c) {
    checkArgs("gemm", device, {{"a", &a}, {"b", &b}, {"c", &c}});
    checkRank("gemm", {"a", &a}, 2);
    checkRank("gemm", {"b", &b}, 2);
    checkRank("gemm", {"c", &c}, 2);
    const int64_t m = transA ? a.dim(1) : a.dim(0);
    const int64_t k = transA ? a.dim(0) : a.dim(1);
    const int64_t kb = transB ? b.dim(1) : b.dim(0);
    const int64_t n = transB ? b.dim(0) : b.dim(1);
    if (k != kb || c.dim(0) != m || c.dim(1) != n) {
        throw ShapeError("gemm: cannot multiply a " + opShape(a, transA) + " by b " +
                         opShape(b, transB) + " into c " + c.shape().str());
    }
    // BLAS libraries (OpenBLAS, cuBLAS) take 32-bit extents; larger ones would silently wrap.
    for (int64_t extent : {m, n, k, a.dim(1), b.dim(1)}) {
        if (extent > INT_MAX) {
            throw ShapeError("gemm: an extent of " + std::to_string(extent) +
                             " exceeds what BLAS can index");
        }
    }
}

// x, w and y (the output or its gradient) against each other and the geometry.
void checkConvolution(const char* op, Device device, const Arg& x, const Arg& w, const Arg& y,
                      const Conv2DGeometry& g) {
    checkArgs(op, device, {x, w, y});
    checkRank(op, x, 4);
    checkRank(op, w, 4);
    Shape expected;
    try {
        expected = g.outputShape(x.tensor->shape(), w.tensor->shape());
    } catch (const ShapeError& e) {
        throw ShapeError(std::string(op) + ": " + e.what());
    }
    if (y.tensor->shape() != expected) {
        throw ShapeError(std::string(op) + ": " + y.name + " " + y.tensor->shape().str() +
                         " should have shape " + expected.str() + " for " + x.name + " " +
                         x.tensor->shape().str() + " and " + w.name + " " +
                         w.tensor->shape().str());
    }
}

// A convolution with no images, no input channels or no filters: its output is an empty sum.
bool emptyConvolution(const Tensor& x, const Tensor& w) {
    return x.dim(0) == 0 || x.dim(1) == 0 || w.dim(0) == 0;
}

// y (the output or its gradient) against x and the window geometry.
void checkPooling(const char* op, Device device, const Arg& x, const Arg& y,
                  const Pool2DGeometry& g) {
    checkArgs(op, device, {x, y});
    Shape expected;
    try {
        expected = g.outputShape(x.tensor->shape());
    } catch (const ShapeError& e) {
        throw ShapeError(std::string(op) + ": " + e.what());
    }
    if (y.tensor->shape() != expected) {
        throw ShapeError(std::string(op) + ": " + y.name + " " + y.tensor->shape().str() +
                         " should have shape " + expected.str() + " for " + x.name + " " +
                         x.tensor->shape().str());
    }
}

// [N,C] or [N,C,1,1] for input [N,C,H,W].
void checkGlobalPooling(const char* op, Device device, const Arg& x, const Arg& y) {
    checkArgs(op, device, {x, y});
    checkRank(op, x, 4);
    const Shape& xs = x.tensor->shape();
    const Shape& ys = y.tensor->shape();
    if (ys != Shape{xs[0], xs[1]} && ys != Shape{xs[0], xs[1], 1, 1}) {
        throw ShapeError(std::string(op) + ": " + y.name + " " + ys.str() + " should be " +
                         Shape{xs[0], xs[1]}.str() + " or " + Shape{xs[0], xs[1], 1, 1}.str() +
                         " for " + x.name + " " + xs.str());
    }
}

Shape paddedShape(const char* op, const Shape& x, const Padding2D& p) {
    if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) {
        throw ShapeError(std::string(op) + ": padding must not be negative");
    }
    return Shape{x[0], x[1], x[2] + p.top + p.bottom, x[3] + p.left + p.right};
}

// y of rank >= 2 and one bias value per channel (axis 1).
void checkBias(const char* op, Device device, const Arg& y, const Arg& bias) {
    checkArgs(op, device, {y, bias});
    checkRank(op, y, 2, true);
    const Tensor& t = *y.tensor;
    checkNumel(op, bias, t.dim(1),
               "one per channel of " + std::string(y.name) + " " + t.shape().str());
}

// x of rank >= 2 and one value per channel (axis 1) in every per-channel tensor.
void checkPerChannel(const char* op, const Arg& x, std::initializer_list<Arg> perChannel) {
    checkRank(op, x, 2, true);
    const Tensor& t = *x.tensor;
    for (const Arg& arg : perChannel) {
        checkNumel(op, arg, t.dim(1),
                   "one per channel of " + std::string(x.name) + " " + t.shape().str());
    }
}

// The parts against the whole: every axis but `axis` equal, the parts adding up along it.
void checkParts(const char* op, Device device, const std::vector<Tensor>& parts, int axis,
                const Tensor& whole) {
    checkArgs(op, device, {{"y", &whole}});
    if (parts.empty()) {
        throw ShapeError(std::string(op) + ": no tensors given");
    }
    if (axis < 1 || axis >= static_cast<int>(whole.rank())) {
        throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) +
                         " must be between 1 and " + std::to_string(int(whole.rank()) - 1) +
                         " for y " + whole.shape().str());
    }
    int64_t axisTotal = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string name = "xs[" + std::to_string(i) + "]";
        checkArgs(op, device, {{"y", &whole}, {name.c_str(), &parts[i]}});
        std::vector<int64_t> dims = parts[i].shape().dims();
        if (dims.size() == whole.rank()) {
            axisTotal += dims[axis];
            dims[axis] = whole.dim(axis);
        }
        if (Shape(dims) != whole.shape()) {
            throw ShapeError(std::string(op) + ": " + name + " " + parts[i].shape().str() +
                             " does not match y " + whole.shape().str() + " on every axis but " +
                             std::to_string(axis));
        }
    }
    if (axisTotal != whole.dim(axis)) {
        throw ShapeError(std::string(op) + ": the parts add up to " + std::to_string(axisTotal) +
                         " along axis " + std::to_string(axis) + " but y " + whole.shape().str() +
                         " has " + std::to_string(whole.dim(axis)));
    }
}

// The prediction, its target, the one-element loss and the optional gradient.
void checkLoss(const char* op, Device device, const Arg& pred, const Arg& target,
               const Tensor& loss, const Tensor* grad, bool sameShape) {
    checkArgs(op, device, {pred, target, {"loss", &loss}});
    if (sameShape) {
        checkSameShape(op, pred, target);
    }
    checkNumel(op, {"loss", &loss}, 1, "a one-element result");
    if (grad != nullptr) {
        checkArgs(op, device, {pred, {"gradient", grad}});
        checkSameShape(op, pred, {"gradient", grad});
    }
}

// Logits [N, C] with at least one class.
void checkLogits(const char* op, const Tensor& logits) {
    checkRank(op, {"logits", &logits}, 2);
    if (logits.dim(1) < 1) {
        throw ShapeError(std::string(op) + ": logits " + logits.shape().str() + " have no classes");
    }
}

// Weights, gradient and optimizer state, all of one shape.
void checkState(const char* op, Device device, const Arg& w, const Arg& g,
                std::initializer_list<Arg> state) {
    checkArgs(op, device, {w, g});
    checkSameShape(op, w, g);
    for (const Arg& s : state) {
        checkArgs(op, device, {w, s});
        checkSameShape(op, w, s);
    }
}

void checkScalar(const char* op, const Arg& result) {
    checkNumel(op, result, 1, "a one-element result");
}

}  // namespace loom::checks
