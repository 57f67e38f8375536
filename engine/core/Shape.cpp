#include <loom/Error.h>
#include <loom/Shape.h>

namespace loom {

Shape::Shape(std::initializer_list<int64_t> dims) : m_dims(dims) {}

Shape::Shape(std::vector<int64_t> dims) : m_dims(std::move(dims)) {}

int64_t Shape::numel() const {
    int64_t n = 1;
    for (int64_t d : m_dims) {
        n *= d;
    }
    return n;
}

Shape Shape::withBatch(int64_t n) const {
    std::vector<int64_t> dims;
    dims.reserve(m_dims.size() + 1);
    dims.push_back(n);
    dims.insert(dims.end(), m_dims.begin(), m_dims.end());
    return Shape(std::move(dims));
}

Shape Shape::withoutBatch() const {
    if (m_dims.empty()) {
        throw ShapeError("cannot drop the batch axis of a rank-0 shape");
    }
    return Shape(std::vector<int64_t>(m_dims.begin() + 1, m_dims.end()));
}

std::string Shape::str(const std::string& batchPrefix) const {
    std::string text = "(";
    bool first = true;
    if (!batchPrefix.empty()) {
        text += batchPrefix;
        first = false;
    }
    for (int64_t d : m_dims) {
        text += (first ? "" : ", ") + std::to_string(d);
        first = false;
    }
    if (m_dims.size() == 1 && batchPrefix.empty()) {
        text += ",";
    }
    return text + ")";
}

}  // namespace loom
