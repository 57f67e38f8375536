#pragma once
/// Shape: the extents of a tensor, outermost first (NCHW for images, N x F for dense data).
/// Layer shapes are per sample (no batch axis); tensors carry the batch as their first axis.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace loom {

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<int64_t> dims);
    explicit Shape(std::vector<int64_t> dims);

    size_t rank() const { return m_dims.size(); }
    int64_t operator[](size_t axis) const { return m_dims.at(axis); }
    const std::vector<int64_t>& dims() const { return m_dims; }
    /// Number of elements (1 for a rank-0 shape).
    int64_t numel() const;

    /// This shape with a batch axis of size n in front.
    Shape withBatch(int64_t n) const;
    /// This shape without its first axis.
    Shape withoutBatch() const;

    /// "(1, 28, 28)"; with batchPrefix "None": "(None, 1, 28, 28)".
    std::string str(const std::string& batchPrefix = "") const;

    bool operator==(const Shape& other) const = default;

private:
    std::vector<int64_t> m_dims;
};

}  // namespace loom
