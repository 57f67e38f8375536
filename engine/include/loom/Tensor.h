#pragma once
/// Tensor: a dense, contiguous, row-major array of float32 (or float64, for gradient checks)
/// on one device. Storage is shared and reference counted, so copies and views (reshape,
/// batch slices) are cheap; copying data between tensors or devices is always explicit.

#include <loom/Shape.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace loom {

enum class DType { F32, F64 };
enum class DeviceKind { CPU, CUDA };

size_t dtypeSize(DType dtype);
const char* dtypeName(DType dtype);

struct Device {
    DeviceKind kind = DeviceKind::CPU;
    int index = 0;

    static Device cpu() { return {}; }
    bool operator==(const Device&) const = default;
    std::string str() const;
};

/// A block of device memory owned by whoever frees it (the backend's allocator).
class Storage {
public:
    using Deleter = void (*)(void* data, size_t bytes, void* context);
    Storage(void* data, size_t bytes, Device device, Deleter deleter, void* context);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    void* data() const { return m_data; }
    size_t bytes() const { return m_bytes; }
    Device device() const { return m_device; }

private:
    void* m_data;
    size_t m_bytes;
    Device m_device;
    Deleter m_deleter;
    void* m_context;
};

class Tensor {
public:
    Tensor() = default;
    Tensor(std::shared_ptr<Storage> storage, Shape shape, DType dtype, size_t offsetElements = 0);

    /// Host tensors. Device tensors come from Backend::allocate.
    static Tensor empty(const Shape& shape, DType dtype = DType::F32);
    static Tensor zeros(const Shape& shape, DType dtype = DType::F32);
    static Tensor full(const Shape& shape, double value, DType dtype = DType::F32);
    static Tensor fromVector(const Shape& shape, const std::vector<float>& values);
    static Tensor fromVector(const Shape& shape, const std::vector<double>& values);

    bool defined() const { return m_storage != nullptr; }
    const Shape& shape() const { return m_shape; }
    int64_t numel() const { return m_shape.numel(); }
    int64_t dim(size_t axis) const { return m_shape[axis]; }
    size_t rank() const { return m_shape.rank(); }
    DType dtype() const { return m_dtype; }
    Device device() const;
    size_t bytes() const { return static_cast<size_t>(numel()) * dtypeSize(m_dtype); }

    void* raw() const;
    template <typename T>
    T* data() const;

    /// A view with another shape of the same number of elements.
    Tensor reshape(const Shape& shape) const;
    /// A view of samples [begin, end) along the first axis.
    Tensor slice(int64_t begin, int64_t end) const;
    /// True when other views the same memory.
    bool sharesStorageWith(const Tensor& other) const { return m_storage == other.m_storage; }

    /// A new host tensor with the same values (converted to dtype when given). A device
    /// tensor is copied to the host through its device's backend (which waits for the device).
    Tensor clone() const;
    Tensor toHost() const { return clone(); }
    Tensor to(DType dtype) const;
    /// Copies values from a tensor of the same size (converting the element type); when either
    /// lives on a device, through that device's backend.
    void copyFrom(const Tensor& source);
    /// Value at a flat index, as double (host tensors only; for tests and small reads).
    double at(int64_t index) const;
    void set(int64_t index, double value);
    std::vector<float> toVector() const;

private:
    void checkHost(const char* what) const;

    std::shared_ptr<Storage> m_storage;
    Shape m_shape;
    DType m_dtype = DType::F32;
    size_t m_offset = 0;
};

template <>
float* Tensor::data<float>() const;
template <>
double* Tensor::data<double>() const;

/// Throws ShapeError naming `where` and both shapes when a and b differ.
void checkSameShape(const Tensor& a, const Tensor& b, const std::string& where);

}  // namespace loom
