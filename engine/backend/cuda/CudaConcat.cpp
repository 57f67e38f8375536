// Concatenation and its inverse on the GPU, along any axis >= 1. Seen from the axis, a tensor
// is `outer` rows of contiguous chunks and y's row is the parts' chunks one after another, so
// each part is one strided 2-D copy (cudaMemcpy2DAsync): a copy engine's job, no kernel.

#include "backend/cuda/CudaBackend.h"
#include "backend/cuda/CudaSupport.h"

namespace loom {

using namespace cuda;

namespace {

struct PartLayout {
    int64_t outer = 1;
    int64_t row = 0;              ///< y's elements per outer row
    std::vector<int64_t> chunks;  ///< each part's elements per outer row
};

// The layout of checked parts along `axis` of the whole.
PartLayout partLayout(const std::vector<Tensor>& parts, int axis, const Tensor& whole) {
    PartLayout layout;
    for (int a = 0; a < axis; ++a) {
        layout.outer *= whole.dim(a);
    }
    layout.row = layout.outer == 0 ? 0 : whole.numel() / layout.outer;
    for (const Tensor& part : parts) {
        layout.chunks.push_back(layout.outer == 0 ? 0 : part.numel() / layout.outer);
    }
    return layout;
}

// Copies every part into (gather) or out of y.
void copyParts(cudaStream_t stream, const std::vector<Tensor>& parts, const PartLayout& layout,
               const Tensor& whole, bool gather) {
    const size_t element = dtypeSize(whole.dtype());
    char* y = static_cast<char*>(whole.raw());
    int64_t at = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        const int64_t chunk = layout.chunks[i];
        if (chunk > 0 && layout.outer > 0) {
            char* part = static_cast<char*>(parts[i].raw());
            const size_t width = size_t(chunk) * element, wholePitch = size_t(layout.row) * element;
            if (gather) {
                LOOM_CUDA_CHECK(cudaMemcpy2DAsync(y + at * element, wholePitch, part, width, width,
                                                  size_t(layout.outer), cudaMemcpyDeviceToDevice,
                                                  stream));
            } else {
                LOOM_CUDA_CHECK(cudaMemcpy2DAsync(part, width, y + at * element, wholePitch, width,
                                                  size_t(layout.outer), cudaMemcpyDeviceToDevice,
                                                  stream));
            }
        }
        at += chunk;
    }
}

}  // namespace

void CudaBackend::concatImpl(const std::vector<Tensor>& xs, int axis, Tensor& y) {
    PartLayout layout = partLayout(xs, axis, y);
    Scope scope(*this);
    copyParts(m_stream, xs, layout, y, true);
}

void CudaBackend::splitImpl(const Tensor& y, int axis, std::vector<Tensor>& xs) {
    PartLayout layout = partLayout(xs, axis, y);
    Scope scope(*this);
    copyParts(m_stream, xs, layout, y, false);
}

}  // namespace loom
