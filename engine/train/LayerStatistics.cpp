// Layer statistics are computed on host copies in float64: a sample is taken every few dozen
// batches, so a second pass over the values costs less than keeping device kernels for it.

#include <loom/Error.h>
#include <loom/HostCopy.h>
#include <loom/LayerStatistics.h>

#include <algorithm>
#include <limits>

namespace loom {

namespace {

struct Moments {
    double sum = 0, sumSquares = 0;
    int64_t count = 0, zeros = 0, nonFinite = 0;
};

Moments momentsOf(const float* v, int64_t n) {
    Moments m;
    for (int64_t i = 0; i < n; ++i) {
        const double x = v[i];
        if (!std::isfinite(x)) {
            ++m.nonFinite;
            continue;
        }
        m.sum += x;
        m.sumSquares += x * x;
        m.zeros += x == 0 ? 1 : 0;
        ++m.count;
    }
    return m;
}

// Units are axis 1 (a Dense layer's features, a convolution's channels); a unit is dead when
// it is zero for every sample and position of the batch.
double deadFractionOf(const Tensor& output) {
    if (output.rank() < 2 || output.numel() == 0) {
        return NAN;
    }
    const int64_t batch = output.dim(0), units = output.dim(1);
    const int64_t inner = output.numel() / (batch * units);
    std::vector<bool> alive(static_cast<size_t>(units), false);
    const float* v = output.data<float>();
    for (int64_t n = 0; n < batch; ++n) {
        for (int64_t u = 0; u < units; ++u) {
            const float* cell = v + (n * units + u) * inner;
            if (!alive[size_t(u)] &&
                std::any_of(cell, cell + inner, [](float x) { return x != 0; })) {
                alive[size_t(u)] = true;
            }
        }
    }
    return double(std::count(alive.begin(), alive.end(), false)) / double(units);
}

// Within 1% of the bounds of the function's range, where its slope is below about 0.01.
double saturatedFractionOf(ActivationKind activation, const float* v, int64_t n) {
    const auto saturated = [activation](float x) {
        return activation == ActivationKind::Sigmoid ? (x < 0.01f || x > 0.99f)
                                                     : std::abs(x) > 0.98f;
    };
    if ((activation != ActivationKind::Sigmoid && activation != ActivationKind::Tanh) || n == 0) {
        return NAN;
    }
    return double(std::count_if(v, v + n, saturated)) / double(n);
}

double squaredNorm(const Tensor& t, int64_t* nonFinite) {
    const Moments m = momentsOf(t.data<float>(), t.numel());
    *nonFinite += m.nonFinite;
    return m.sumSquares;
}

std::vector<const Parameter*> trainableWeights(const Layer& layer) {
    std::vector<const Parameter*> weights;
    for (const Parameter& p : layer.parameters()) {
        if (p.trainable && p.grad.defined() && layer.trainable()) {
            weights.push_back(&p);
        }
    }
    return weights;
}

// Histogram of several tensors at once: bins over their common range.
Histogram histogramOf(const std::vector<Tensor>& tensors) {
    std::vector<float> all;
    for (const Tensor& t : tensors) {
        all.insert(all.end(), t.data<float>(), t.data<float>() + t.numel());
    }
    return Histogram::of(all.data(), static_cast<int64_t>(all.size()));
}

}  // namespace

Histogram Histogram::of(const float* values, int64_t count) {
    Histogram h;
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (int64_t i = 0; i < count; ++i) {
        if (std::isfinite(values[i])) {
            low = std::min(low, double(values[i]));
            high = std::max(high, double(values[i]));
        }
    }
    if (low > high) {
        return h;
    }
    h.low = low;
    h.high = high;
    const double width = (high - low) / double(kBins);
    for (int64_t i = 0; i < count; ++i) {
        if (std::isfinite(values[i])) {
            const double at = width > 0 ? (values[i] - low) / width : 0.0;
            h.counts[std::min(kBins - 1, static_cast<size_t>(at))] += 1;
        }
    }
    return h;
}

double Histogram::total() const {
    double sum = 0;
    for (double c : counts) {
        sum += c;
    }
    return sum;
}

double Histogram::percentile(double q) const {
    const double target = std::clamp(q, 0.0, 1.0) * total();
    const double width = (high - low) / double(kBins);
    double below = 0;
    for (size_t i = 0; i < kBins; ++i) {
        if (counts[i] > 0 && below + counts[i] >= target) {
            return low + width * (double(i) + (target - below) / counts[i]);
        }
        below += counts[i];
    }
    return total() > 0 ? high : NAN;
}

double LayerStatistics::gradientRms() const {
    return weightCount > 0 ? gradientNorm / std::sqrt(double(weightCount)) : NAN;
}

LayerStatistics activationStatistics(const Graph& graph, const std::string& name) {
    const Graph::Node& node = graph.node(name);
    LayerStatistics s;
    s.layer = name;
    if (!node.output.defined() || node.output.numel() == 0) {
        return s;
    }
    const Tensor output = hostFloat32(node.output);
    const float* v = output.data<float>();
    const Moments m = momentsOf(v, output.numel());
    s.nonFinite = m.nonFinite;
    if (m.count > 0) {
        s.activationMean = m.sum / double(m.count);
        s.activationStd = std::sqrt(
            std::max(0.0, m.sumSquares / double(m.count) - s.activationMean * s.activationMean));
        s.zeroFraction = double(m.zeros) / double(m.count);
    }
    s.deadFraction = deadFractionOf(output);
    s.saturatedFraction = saturatedFractionOf(node.layer->activation(), v, output.numel());
    s.activations = Histogram::of(v, output.numel());
    return s;
}

LayerStatisticsCollector::LayerStatisticsCollector(int64_t every) : m_every(every) {
    if (m_every < 1) {
        throw ConfigError("statistics: every must be at least 1 step");
    }
}

void LayerStatisticsCollector::observe(const Graph& graph) {
    m_layers.clear();
    m_weightsBefore.clear();
    const std::vector<std::string>& inputs = graph.inputNames();
    for (size_t index : graph.order()) {
        const Graph::Node& node = graph.nodes()[index];
        const std::string& name = node.layer->name();
        if (std::find(inputs.begin(), inputs.end(), name) != inputs.end()) {
            continue;
        }
        LayerStatistics s = activationStatistics(graph, name);
        std::vector<Tensor> values, grads;
        double weightSquares = 0, gradSquares = 0;
        for (const Parameter* p : trainableWeights(*node.layer)) {
            values.push_back(hostFloat32(p->value).clone());
            grads.push_back(hostFloat32(p->grad));
            weightSquares += squaredNorm(values.back(), &s.nonFinite);
            gradSquares += squaredNorm(grads.back(), &s.nonFinite);
            s.weightCount += p->value.numel();
        }
        if (!values.empty()) {
            s.weightNorm = std::sqrt(weightSquares);
            s.gradientNorm = std::sqrt(gradSquares);
            s.weights = histogramOf(values);
            s.gradients = histogramOf(grads);
        }
        m_layers.push_back(std::move(s));
        m_weightsBefore.push_back(std::move(values));
    }
}

StatisticsSample LayerStatisticsCollector::finish(const Graph& graph, int64_t step, int epoch) {
    for (size_t i = 0; i < m_layers.size(); ++i) {
        LayerStatistics& s = m_layers[i];
        const std::vector<const Parameter*> weights = trainableWeights(*graph.node(s.layer).layer);
        if (weights.size() != m_weightsBefore[i].size() || weights.empty() || !(s.weightNorm > 0)) {
            continue;
        }
        double change = 0;
        for (size_t w = 0; w < weights.size(); ++w) {
            const Tensor after = hostFloat32(weights[w]->value);
            const float* a = after.data<float>();
            const float* b = m_weightsBefore[i][w].data<float>();
            for (int64_t k = 0; k < after.numel(); ++k) {
                const double d = double(a[k]) - double(b[k]);
                change += d * d;
            }
        }
        s.updateRatio = std::sqrt(change) / s.weightNorm;
    }
    m_weightsBefore.clear();
    return StatisticsSample{step, epoch, std::move(m_layers)};
}

}  // namespace loom
