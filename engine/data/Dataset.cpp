#include <loom/Dataset.h>
#include <loom/Error.h>
#include <loom/Initializer.h>

#include <cmath>
#include <cstring>
#include <numeric>

namespace loom {

namespace {

Tensor gatherRows(const Tensor& source, const std::vector<int64_t>& indices) {
    std::vector<int64_t> dims = source.shape().dims();
    const int64_t n = dims[0];
    dims[0] = static_cast<int64_t>(indices.size());
    Tensor out = Tensor::empty(Shape(dims), source.dtype());
    const size_t rowBytes = n > 0 ? source.bytes() / static_cast<size_t>(n) : 0;
    const char* from = static_cast<const char*>(source.raw());
    char* to = static_cast<char*>(out.raw());
    for (size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] < 0 || indices[i] >= n) {
            throw DataError("sample index " + std::to_string(indices[i]) + " is outside 0.." +
                            std::to_string(n - 1));
        }
        std::memcpy(to + i * rowBytes, from + static_cast<size_t>(indices[i]) * rowBytes, rowBytes);
    }
    return out;
}

}  // namespace

Dataset Dataset::subset(const std::vector<int64_t>& indices) const {
    Dataset out;
    out.samples = gatherRows(samples, indices);
    out.targets = gatherRows(targets, indices);
    out.classNames = classNames;
    out.source = source;
    return out;
}

std::vector<int64_t> Dataset::classCounts() const {
    std::vector<int64_t> counts(classNames.size(), 0);
    for (int64_t i = 0; i < size() && isClassification(); ++i) {
        auto label = static_cast<int64_t>(targets.at(i));
        if (label >= 0 && label < classCount()) {
            ++counts[static_cast<size_t>(label)];
        }
    }
    return counts;
}

std::vector<int64_t> shuffledIndices(int64_t n, uint64_t seed) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    Rng rng(seed);
    // Fisher-Yates with our own generator: the same order on every platform.
    for (int64_t i = n - 1; i > 0; --i) {
        auto j = static_cast<int64_t>(rng.next() % static_cast<uint64_t>(i + 1));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    return order;
}

std::pair<Dataset, Dataset> splitHoldout(const Dataset& data, double fraction, uint64_t seed) {
    if (!(fraction > 0.0 && fraction < 1.0)) {
        throw DataError("the hold-out fraction must be between 0 and 1, got " +
                        std::to_string(fraction));
    }
    std::vector<int64_t> order = shuffledIndices(data.size(), seed);
    auto held = static_cast<int64_t>(std::llround(fraction * static_cast<double>(data.size())));
    if (held == 0 || held == data.size()) {
        throw DataError("a " + std::to_string(fraction) + " hold-out of " +
                        std::to_string(data.size()) + " samples leaves one side empty");
    }
    std::vector<int64_t> rest(order.begin(), order.end() - held);
    std::vector<int64_t> holdout(order.end() - held, order.end());
    return {data.subset(rest), data.subset(holdout)};
}

Normalization Normalization::divideBy(double divisor) {
    Normalization n;
    n.kind = Kind::Scale;
    n.scale = 1.0 / divisor;
    return n;
}

Normalization Normalization::perChannel(const Dataset& data) {
    Normalization n;
    n.kind = Kind::MeanStd;
    const Shape shape = data.samples.shape();
    const int64_t channels = shape.rank() > 1 ? shape[1] : 1;
    const int64_t inner = shape.numel() / std::max<int64_t>(shape[0] * channels, 1);
    std::vector<double> sum(static_cast<size_t>(channels)), squares(sum.size());
    const float* x = data.samples.data<float>();
    for (int64_t i = 0; i < shape.numel(); ++i) {
        auto c = static_cast<size_t>((i / inner) % channels);
        sum[c] += x[i];
        squares[c] += static_cast<double>(x[i]) * x[i];
    }
    const double count = static_cast<double>(shape[0] * inner);
    for (size_t c = 0; c < sum.size(); ++c) {
        double mean = sum[c] / count;
        n.mean.push_back(mean);
        n.stddev.push_back(std::sqrt(std::max(squares[c] / count - mean * mean, 1e-12)));
    }
    return n;
}

void Normalization::apply(Dataset& data) const {
    float* x = data.samples.data<float>();
    const int64_t total = data.samples.numel();
    if (kind == Kind::Scale) {
        for (int64_t i = 0; i < total; ++i) {
            x[i] = static_cast<float>(x[i] * scale);
        }
    } else if (kind == Kind::MeanStd) {
        const auto channels = static_cast<int64_t>(mean.size());
        const Shape shape = data.samples.shape();
        const int64_t inner = total / std::max<int64_t>(shape[0] * channels, 1);
        for (int64_t i = 0; i < total; ++i) {
            auto c = static_cast<size_t>((i / inner) % channels);
            x[i] = static_cast<float>((x[i] - mean[c]) / stddev[c]);
        }
    }
}

}  // namespace loom
