#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Tensor.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

namespace loom {

namespace {

void freeHost(void* data, size_t, void*) {
    std::free(data);
}

// 64-byte alignment keeps vector loads aligned and matches what BLAS prefers.
std::shared_ptr<Storage> allocateHost(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void* data = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (data == nullptr) {
        throw Error("out of host memory: could not allocate " + std::to_string(bytes) + " bytes");
    }
    return std::make_shared<Storage>(data, bytes, Device::cpu(), &freeHost, nullptr);
}

template <typename To, typename From>
void convert(const From* from, To* to, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        to[i] = static_cast<To>(from[i]);
    }
}

}  // namespace

size_t dtypeSize(DType dtype) {
    return dtype == DType::F32 ? 4 : 8;
}

const char* dtypeName(DType dtype) {
    return dtype == DType::F32 ? "float32" : "float64";
}

std::string Device::str() const {
    return kind == DeviceKind::CPU ? "cpu" : "cuda:" + std::to_string(index);
}

Storage::Storage(void* data, size_t bytes, Device device, Deleter deleter, void* context)
    : m_data(data), m_bytes(bytes), m_device(device), m_deleter(deleter), m_context(context) {}

Storage::~Storage() {
    if (m_deleter != nullptr) {
        m_deleter(m_data, m_bytes, m_context);
    }
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, DType dtype, size_t offsetElements)
    : m_storage(std::move(storage)),
      m_shape(std::move(shape)),
      m_dtype(dtype),
      m_offset(offsetElements) {
    for (int64_t d : m_shape.dims()) {
        if (d < 0) {
            throw ShapeError("tensor shape " + m_shape.str() + " has a negative size");
        }
    }
    if ((m_offset + static_cast<size_t>(m_shape.numel())) * dtypeSize(m_dtype) >
        m_storage->bytes()) {
        throw ShapeError("tensor shape " + m_shape.str() + " does not fit its storage");
    }
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
    for (int64_t d : shape.dims()) {
        if (d < 0) {
            throw ShapeError("tensor shape " + shape.str() + " has a negative size");
        }
    }
    return Tensor(allocateHost(static_cast<size_t>(shape.numel()) * dtypeSize(dtype)), shape,
                  dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
    Tensor t = empty(shape, dtype);
    std::memset(t.raw(), 0, t.bytes());
    return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
    Tensor t = empty(shape, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, value);
    }
    return t;
}

Tensor Tensor::fromVector(const Shape& shape, const std::vector<float>& values) {
    if (static_cast<int64_t>(values.size()) != shape.numel()) {
        throw ShapeError("fromVector: " + std::to_string(values.size()) +
                         " values do not fill shape " + shape.str());
    }
    Tensor t = empty(shape, DType::F32);
    if (!values.empty()) {
        std::memcpy(t.raw(), values.data(), t.bytes());
    }
    return t;
}

Tensor Tensor::fromVector(const Shape& shape, const std::vector<double>& values) {
    if (static_cast<int64_t>(values.size()) != shape.numel()) {
        throw ShapeError("fromVector: " + std::to_string(values.size()) +
                         " values do not fill shape " + shape.str());
    }
    Tensor t = empty(shape, DType::F64);
    if (!values.empty()) {
        std::memcpy(t.raw(), values.data(), t.bytes());
    }
    return t;
}

Device Tensor::device() const {
    return m_storage ? m_storage->device() : Device::cpu();
}

void* Tensor::raw() const {
    if (!m_storage) {
        throw Error("use of an undefined tensor");
    }
    return static_cast<char*>(m_storage->data()) + m_offset * dtypeSize(m_dtype);
}

template <>
float* Tensor::data<float>() const {
    if (m_dtype != DType::F32) {
        throw Error(std::string("tensor holds ") + dtypeName(m_dtype) + ", float32 was asked for");
    }
    return static_cast<float*>(raw());
}

template <>
double* Tensor::data<double>() const {
    if (m_dtype != DType::F64) {
        throw Error(std::string("tensor holds ") + dtypeName(m_dtype) + ", float64 was asked for");
    }
    return static_cast<double*>(raw());
}

Tensor Tensor::reshape(const Shape& shape) const {
    if (shape.numel() != numel()) {
        throw ShapeError("cannot reshape " + m_shape.str() + " (" + std::to_string(numel()) +
                         " elements) to " + shape.str() + " (" + std::to_string(shape.numel()) +
                         " elements)");
    }
    return Tensor(m_storage, shape, m_dtype, m_offset);
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
    if (rank() == 0 || begin < 0 || end > dim(0) || begin > end) {
        throw ShapeError("slice [" + std::to_string(begin) + ", " + std::to_string(end) +
                         ") is outside a tensor of shape " + m_shape.str());
    }
    std::vector<int64_t> dims = m_shape.dims();
    int64_t stride = numel() / std::max<int64_t>(dims[0], 1);
    dims[0] = end - begin;
    return Tensor(m_storage, Shape(dims), m_dtype, m_offset + static_cast<size_t>(begin * stride));
}

void Tensor::checkHost(const char* what) const {
    if (!defined()) {
        throw Error(std::string(what) + ": the tensor is undefined");
    }
    if (device().kind != DeviceKind::CPU) {
        throw BackendError(std::string(what) + ": the tensor lives on " + device().str() +
                           "; copy it to the host first");
    }
}

Tensor Tensor::clone() const {
    return to(m_dtype);
}

Tensor Tensor::to(DType dtype) const {
    if (!defined()) {
        throw Error("Tensor::to: the tensor is undefined");
    }
    Tensor t = empty(m_shape, dtype);
    t.copyFrom(*this);
    return t;
}

void Tensor::copyFrom(const Tensor& source) {
    if (!defined() || !source.defined()) {
        throw Error("Tensor::copyFrom: the tensor is undefined");
    }
    if (source.numel() != numel()) {
        throw ShapeError("copyFrom: source " + source.shape().str() + " and destination " +
                         m_shape.str() + " differ in size");
    }
    // Device memory is the business of the backend that owns it (host code cannot read it).
    if (device().kind != DeviceKind::CPU) {
        backendFor(device()).copy(source, *this);
        return;
    }
    if (source.device().kind != DeviceKind::CPU) {
        backendFor(source.device()).copy(source, *this);
        return;
    }
    if (source.dtype() == m_dtype) {
        std::memmove(raw(), source.raw(), bytes());
    } else if (m_dtype == DType::F32) {
        convert(source.data<double>(), data<float>(), numel());
    } else {
        convert(source.data<float>(), data<double>(), numel());
    }
}

double Tensor::at(int64_t index) const {
    checkHost("Tensor::at");
    if (index < 0 || index >= numel()) {
        throw ShapeError("index " + std::to_string(index) + " is outside a tensor of shape " +
                         m_shape.str());
    }
    return m_dtype == DType::F32 ? data<float>()[index] : data<double>()[index];
}

void Tensor::set(int64_t index, double value) {
    checkHost("Tensor::set");
    if (index < 0 || index >= numel()) {
        throw ShapeError("index " + std::to_string(index) + " is outside a tensor of shape " +
                         m_shape.str());
    }
    if (m_dtype == DType::F32) {
        data<float>()[index] = static_cast<float>(value);
    } else {
        data<double>()[index] = value;
    }
}

std::vector<float> Tensor::toVector() const {
    Tensor f = to(DType::F32);
    const float* p = f.data<float>();
    return std::vector<float>(p, p + numel());
}

void checkSameShape(const Tensor& a, const Tensor& b, const std::string& where) {
    if (a.shape() != b.shape()) {
        throw ShapeError(where + ": shapes " + a.shape().str() + " and " + b.shape().str() +
                         " differ");
    }
}

}  // namespace loom
