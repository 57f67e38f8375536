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

// Checks the parts against the whole, as the CPU backend does.
PartLayout partLayout(const char* op, Device device, const std::vector<Tensor>& parts, int axis,
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
    PartLayout layout;
    for (int a = 0; a < axis; ++a) {
        layout.outer *= whole.dim(a);
    }
    layout.row = layout.outer == 0 ? 0 : whole.numel() / layout.outer;
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
        layout.chunks.push_back(layout.outer == 0 ? 0 : parts[i].numel() / layout.outer);
    }
    if (axisTotal != whole.dim(axis)) {
        throw ShapeError(std::string(op) + ": the parts add up to " + std::to_string(axisTotal) +
                         " along axis " + std::to_string(axis) + " but y " + whole.shape().str() +
                         " has " + std::to_string(whole.dim(axis)));
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

void CudaBackend::concat(const std::vector<Tensor>& xs, int axis, Tensor& y) {
    PartLayout layout = partLayout("concat", device(), xs, axis, y);
    Scope scope(*this);
    copyParts(m_stream, xs, layout, y, true);
}

void CudaBackend::split(const Tensor& y, int axis, std::vector<Tensor>& xs) {
    PartLayout layout = partLayout("split", device(), xs, axis, y);
    Scope scope(*this);
    copyParts(m_stream, xs, layout, y, false);
}

}  // namespace loom
