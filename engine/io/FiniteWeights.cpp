#include <loom/Error.h>
#include <loom/FiniteWeights.h>
#include <loom/Graph.h>

#include <cmath>

namespace loom {

namespace {

/// The weight's values as host float32, copied only when they are not that already.
Tensor hostFloats(const Tensor& value) {
    return value.device().kind == DeviceKind::CPU && value.dtype() == DType::F32
               ? value
               : value.to(DType::F32);
}

/// "" when every value of `value` is finite, else where the first one that is not sits.
std::string firstNonFinite(const Tensor& value) {
    const Tensor host = hostFloats(value);
    const float* data = host.data<float>();
    const int64_t count = host.numel();
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < count; ++i) {
        if (!std::isfinite(data[i])) {
            if (bad == 0) {
                first = i;
            }
            ++bad;
        }
    }
    if (bad == 0) {
        return "";
    }
    return std::string(std::isnan(data[first]) ? "NaN" : "an infinity") + " at element " +
           std::to_string(first) + " of " + value.shape().str() + " (" + std::to_string(bad) +
           " of its " + std::to_string(count) + " values are NaN or infinite)";
}

}  // namespace

void requireFiniteWeights(const Graph& graph, const std::string& source) {
    for (size_t index : graph.order()) {
        const Layer& layer = *graph.nodes()[index].layer;
        for (const Parameter& p : layer.parameters()) {
            const std::string where = firstNonFinite(p.value);
            if (!where.empty()) {
                throw IoError(source + ": " + layer.describe() + " weight '" + p.name + "' holds " +
                              where +
                              ". The file is damaged, or was saved from a training run that "
                              "diverged; to inspect it anyway, load it with non-finite weights "
                              "allowed (loom-cli: --allow-non-finite-weights)");
            }
        }
    }
}

}  // namespace loom
