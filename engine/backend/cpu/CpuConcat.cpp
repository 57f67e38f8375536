// Concatenation and its inverse on the CPU, along any axis >= 1. Seen from the axis, a tensor
// is `outer` rows (the product of the axes before it) of contiguous chunks; y's row is the
// inputs' chunks one after another, so both ops are row-wise block copies.

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <algorithm>

namespace loom {

using namespace cpu;

namespace {

// Checks the parts against the whole and returns each part's chunk (elements per outer row).
std::vector<int64_t> partChunks(const char* op, const std::vector<Tensor>& parts, int axis,
                                const Tensor& whole) {
    checkArgs(op, {{"y", &whole}});
    if (parts.empty()) {
        throw ShapeError(std::string(op) + ": no tensors given");
    }
    if (axis < 1 || axis >= static_cast<int>(whole.rank())) {
        throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) +
                         " must be between 1 and " + std::to_string(int(whole.rank()) - 1) +
                         " for y " + whole.shape().str());
    }
    std::vector<int64_t> chunks;
    int64_t axisTotal = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string name = "xs[" + std::to_string(i) + "]";
        checkArgs(op, {{"y", &whole}, {name.c_str(), &parts[i]}});
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
        int64_t outer = 1;
        for (int a = 0; a < axis; ++a) {
            outer *= whole.dim(a);
        }
        chunks.push_back(outer == 0 ? 0 : parts[i].numel() / outer);
    }
    if (axisTotal != whole.dim(axis)) {
        throw ShapeError(std::string(op) + ": the parts add up to " + std::to_string(axisTotal) +
                         " along axis " + std::to_string(axis) + " but y " + whole.shape().str() +
                         " has " + std::to_string(whole.dim(axis)));
    }
    return chunks;
}

// Copies between y and its parts: into y when gather, out of y otherwise.
template <typename T>
void copyParts(const std::vector<Tensor>& parts, const std::vector<int64_t>& chunks, int axis,
               const Tensor& whole, bool gather) {
    int64_t outer = 1;
    for (int a = 0; a < axis; ++a) {
        outer *= whole.dim(a);
    }
    const int64_t row = outer == 0 ? 0 : whole.numel() / outer;
    T* y = whole.data<T>();
    parallelFor(outer, row, [&](int64_t o) {
        int64_t at = o * row;
        for (size_t i = 0; i < parts.size(); ++i) {
            T* part = parts[i].data<T>() + o * chunks[i];
            if (gather) {
                std::copy(part, part + chunks[i], y + at);
            } else {
                std::copy(y + at, y + at + chunks[i], part);
            }
            at += chunks[i];
        }
    });
}

}  // namespace

void CpuBackend::concat(const std::vector<Tensor>& xs, int axis, Tensor& y) {
    std::vector<int64_t> chunks = partChunks("concat", xs, axis, y);
    dispatch(y.dtype(), [&](auto tag) { copyParts<decltype(tag)>(xs, chunks, axis, y, true); });
}

void CpuBackend::split(const Tensor& y, int axis, std::vector<Tensor>& xs) {
    std::vector<int64_t> chunks = partChunks("split", xs, axis, y);
    dispatch(y.dtype(), [&](auto tag) { copyParts<decltype(tag)>(xs, chunks, axis, y, false); });
}

}  // namespace loom
