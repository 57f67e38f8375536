// Concatenation and its inverse on the CPU, along any axis >= 1. Seen from the axis, a tensor
// is `outer` rows (the product of the axes before it) of contiguous chunks; y's row is the
// inputs' chunks one after another, so both ops are row-wise block copies.

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <algorithm>

namespace loom {

using namespace cpu;

namespace {

// Each part's chunk: its elements per outer row (the product of the axes before `axis`).
std::vector<int64_t> partChunks(const std::vector<Tensor>& parts, int axis, const Tensor& whole) {
    int64_t outer = 1;
    for (int a = 0; a < axis; ++a) {
        outer *= whole.dim(a);
    }
    std::vector<int64_t> chunks;
    for (const Tensor& part : parts) {
        chunks.push_back(outer == 0 ? 0 : part.numel() / outer);
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

void CpuBackend::concatImpl(const std::vector<Tensor>& xs, int axis, Tensor& y) {
    std::vector<int64_t> chunks = partChunks(xs, axis, y);
    dispatch(y.dtype(), [&](auto tag) { copyParts<decltype(tag)>(xs, chunks, axis, y, true); });
}

void CpuBackend::splitImpl(const Tensor& y, int axis, std::vector<Tensor>& xs) {
    std::vector<int64_t> chunks = partChunks(xs, axis, y);
    dispatch(y.dtype(), [&](auto tag) { copyParts<decltype(tag)>(xs, chunks, axis, y, false); });
}

}  // namespace loom
