// The maps are made on the host: they are small ([H, W]), and only the forward and backward
// passes, which run on the backend, cost anything.

#include <loom/Error.h>
#include <loom/Explanations.h>
#include <loom/HostCopy.h>
#include <loom/Initializer.h>
#include <loom/Prediction.h>
#include <loom/Trainer.h>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

constexpr int64_t kOcclusionBatch = 64;

DType parameterDType(Graph& graph) {
    const auto parameters = graph.parameters();
    return parameters.empty() ? DType::F32 : parameters.front().second->value.dtype();
}

// Bilinear, sampling pixel centres (half-pixel offsets), edges clamped.
Tensor enlarge(const std::vector<double>& map, int64_t h, int64_t w, int64_t height,
               int64_t width) {
    Tensor out = Tensor::empty(Shape{height, width});
    float* o = out.data<float>();
    const auto source = [&](int64_t y, int64_t x) {
        return map[size_t(std::clamp<int64_t>(y, 0, h - 1) * w + std::clamp<int64_t>(x, 0, w - 1))];
    };
    for (int64_t y = 0; y < height; ++y) {
        const double sy = (double(y) + 0.5) * double(h) / double(height) - 0.5;
        const auto y0 = int64_t(std::floor(sy));
        const double fy = sy - double(y0);
        for (int64_t x = 0; x < width; ++x) {
            const double sx = (double(x) + 0.5) * double(w) / double(width) - 0.5;
            const auto x0 = int64_t(std::floor(sx));
            const double fx = sx - double(x0);
            const double top = source(y0, x0) * (1 - fx) + source(y0, x0 + 1) * fx;
            const double bottom = source(y0 + 1, x0) * (1 - fx) + source(y0 + 1, x0 + 1) * fx;
            o[y * width + x] = float(top * (1 - fy) + bottom * fy);
        }
    }
    return out;
}

std::pair<float, float> rangeOf(const Tensor& t) {
    const float* v = t.data<float>();
    const auto [low, high] = std::minmax_element(v, v + t.numel());
    return {*low, *high};
}

// Patch origins along one axis: every stride, and the last one flush with the far edge so that
// every pixel is covered.
std::vector<int64_t> patchOrigins(int64_t size, int64_t patch, int64_t stride) {
    std::vector<int64_t> origins;
    for (int64_t at = 0; at + patch < size; at += stride) {
        origins.push_back(at);
    }
    origins.push_back(size - patch);
    return origins;
}

}  // namespace

Explainer::Explainer(Graph& model, Backend& backend, const Shape& picture) : m_backend(backend) {
    if (!model.isBuilt()) {
        throw GraphError("the network must be built (trained or with weights) to be explained");
    }
    requireOneInputAndOutput(model);
    m_output = model.outputNames()[0];
    const ActivationKind activation = model.node(m_output).layer->activation();
    m_scoreIsLogit = activation == ActivationKind::Softmax || activation == ActivationKind::Sigmoid;
    const Shape input = model.node(model.inputNames()[0]).outputShape;
    m_picture = picture.rank() == 0 ? input : picture;
    if (m_picture.rank() != 3 || m_picture.numel() != input.numel()) {
        throw ShapeError("the network's input " + input.str() + " cannot be shown as a picture" +
                         (picture.rank() == 0 ? "" : " of shape " + picture.str()) +
                         ": explanations need an image input [C, H, W]");
    }
    model.moveTo(backend);
    m_part = model.subgraph({m_output});
    for (const Graph::Node& node : m_part.nodes()) {
        m_part.layer(node.layer->name()).setTrainable(false);
    }
}

int64_t Explainer::checkedClass(int64_t classIndex) const {
    const int64_t classes = m_part.node(m_output).outputShape.numel();
    if (classIndex < 0 || classIndex >= classes) {
        throw ConfigError("class " + std::to_string(classIndex) +
                          " does not exist: the network has " + std::to_string(classes) +
                          " outputs");
    }
    return classIndex;
}

Tensor Explainer::toDevice(const Tensor& samples) {
    const DType dtype = parameterDType(m_part);
    if (samples.device() == m_backend.device() && samples.dtype() == dtype) {
        return samples;
    }
    m_deviceInput = m_backend.allocate(samples.shape(), dtype);
    m_backend.copy(samples.dtype() == dtype ? samples : samples.to(dtype), m_deviceInput);
    return m_deviceInput;
}

Tensor Explainer::probabilities(const Tensor& samples) {
    ExecutionContext ctx{m_backend, false, 0, 0, parameterDType(m_part)};
    const std::vector<Tensor> outputs = m_part.forward(ctx, {toDevice(samples)});
    return classProbabilities(hostFloat32(outputs.front()));
}

void Explainer::forwardBackward(const Tensor& samples, int64_t classIndex) {
    const DType dtype = parameterDType(m_part);
    ExecutionContext ctx{m_backend, false, 0, 0, dtype};
    m_part.forward(ctx, {toDevice(samples)});
    const Shape& scores = m_part.node(m_output).output.shape();
    Tensor seed = Tensor::zeros(scores, dtype);
    const int64_t classes = scores.numel() / scores[0];
    for (int64_t row = 0; row < scores[0]; ++row) {
        if (dtype == DType::F32) {
            seed.data<float>()[row * classes + classIndex] = 1;
        } else {
            seed.data<double>()[row * classes + classIndex] = 1;
        }
    }
    m_seed = m_backend.allocate(scores, dtype);
    m_backend.copy(seed, m_seed);
    m_part.backward(ctx, {{m_seed, m_scoreIsLogit}}, true);
}

Tensor Explainer::channelMaximum(const Tensor& values, int64_t row) const {
    const int64_t channels = m_picture[0], pixels = m_picture[1] * m_picture[2];
    Tensor map = Tensor::zeros(Shape{m_picture[1], m_picture[2]});
    const float* v = values.data<float>() + row * channels * pixels;
    float* m = map.data<float>();
    for (int64_t c = 0; c < channels; ++c) {
        for (int64_t p = 0; p < pixels; ++p) {
            m[p] = std::max(m[p], std::abs(v[c * pixels + p]));
        }
    }
    return map;
}

Tensor Explainer::saliency(const Tensor& sample, int64_t classIndex,
                           const SaliencyOptions& options) {
    checkedClass(classIndex);
    const Tensor x = hostFloat32(sample);
    if (options.smoothGradSamples <= 0) {
        forwardBackward(x, classIndex);
        return channelMaximum(hostFloat32(m_part.inputGradient(0)), 0);
    }
    const int64_t copies = options.smoothGradSamples, size = x.numel();
    const auto [low, high] = rangeOf(x);
    const double sigma = options.noise * std::max(double(high - low), 1e-6);
    Tensor noisy = Tensor::empty(x.shape().withoutBatch().withBatch(copies));
    Rng rng(options.seed);
    for (int64_t i = 0; i < copies * size; ++i) {
        noisy.data<float>()[i] = float(x.data<float>()[i % size] + rng.normal(0, sigma));
    }
    forwardBackward(noisy, classIndex);
    const Tensor grads = hostFloat32(m_part.inputGradient(0));
    Tensor mean = Tensor::zeros(Shape{m_picture[1], m_picture[2]});
    for (int64_t row = 0; row < copies; ++row) {
        const Tensor one = channelMaximum(grads, row);
        for (int64_t p = 0; p < mean.numel(); ++p) {
            mean.data<float>()[p] += one.data<float>()[p] / float(copies);
        }
    }
    return mean;
}

Tensor Explainer::occlusion(const Tensor& sample, int64_t classIndex,
                            const OcclusionOptions& options) {
    checkedClass(classIndex);
    if (options.patch < 1 || options.stride < 1) {
        throw ConfigError("occlusion: patch and stride must be at least 1 pixel");
    }
    const Tensor x = hostFloat32(sample);
    const int64_t channels = m_picture[0], height = m_picture[1], width = m_picture[2];
    const int64_t patch = std::min({options.patch, height, width});
    const double reference = probabilities(x).data<float>()[classIndex];
    const int64_t classes = m_part.node(m_output).outputShape.numel();
    std::vector<std::pair<int64_t, int64_t>> patches;
    for (int64_t y : patchOrigins(height, patch, options.stride)) {
        for (int64_t xo : patchOrigins(width, patch, options.stride)) {
            patches.emplace_back(y, xo);
        }
    }
    std::vector<double> drop(size_t(height * width), 0), covered(size_t(height * width), 0);
    for (size_t first = 0; first < patches.size(); first += kOcclusionBatch) {
        const auto count = int64_t(std::min<size_t>(kOcclusionBatch, patches.size() - first));
        Tensor batch = Tensor::empty(x.shape().withoutBatch().withBatch(count));
        for (int64_t i = 0; i < count; ++i) {
            float* copy = batch.data<float>() + i * x.numel();
            std::copy(x.data<float>(), x.data<float>() + x.numel(), copy);
            const auto [y0, x0] = patches[first + size_t(i)];
            for (int64_t c = 0; c < channels; ++c) {
                for (int64_t y = y0; y < y0 + patch; ++y) {
                    std::fill_n(copy + (c * height + y) * width + x0, patch, float(options.fill));
                }
            }
        }
        const Tensor p = probabilities(batch);
        for (int64_t i = 0; i < count; ++i) {
            const double change = reference - p.data<float>()[i * classes + classIndex];
            const auto [y0, x0] = patches[first + size_t(i)];
            for (int64_t y = y0; y < y0 + patch; ++y) {
                for (int64_t xi = x0; xi < x0 + patch; ++xi) {
                    drop[size_t(y * width + xi)] += change;
                    covered[size_t(y * width + xi)] += 1;
                }
            }
        }
    }
    Tensor map = Tensor::empty(Shape{height, width});
    for (int64_t i = 0; i < height * width; ++i) {
        map.data<float>()[i] = float(std::max(0.0, drop[size_t(i)] / covered[size_t(i)]));
    }
    return map;
}

Tensor Explainer::gradCam(const Tensor& sample, int64_t classIndex, const std::string& layer) {
    checkedClass(classIndex);
    if (!m_part.contains(layer) || m_part.node(layer).outputShape.rank() != 3) {
        throw ConfigError(
            "Grad-CAM needs a layer with feature maps (a convolution or pooling "
            "layer of this network); '" +
            layer + "' is not one");
    }
    forwardBackward(hostFloat32(sample), classIndex);
    const Graph::Node& node = m_part.node(layer);
    const Tensor maps = hostFloat32(node.output), grads = hostFloat32(node.grad);
    const int64_t k = maps.dim(1), h = maps.dim(2), w = maps.dim(3);
    std::vector<double> cam(size_t(h * w), 0);
    for (int64_t c = 0; c < k; ++c) {
        const float* g = grads.data<float>() + c * h * w;
        const float* a = maps.data<float>() + c * h * w;
        double weight = 0;
        for (int64_t p = 0; p < h * w; ++p) {
            weight += g[p];
        }
        weight /= double(h * w);
        for (int64_t p = 0; p < h * w; ++p) {
            cam[size_t(p)] += weight * a[p];
        }
    }
    for (double& value : cam) {
        value = std::max(0.0, value);
    }
    return enlarge(cam, h, w, m_picture[1], m_picture[2]);
}

Tensor Explainer::visualiseClass(int64_t classIndex, const ClassVisualisationOptions& options) {
    checkedClass(classIndex);
    const Shape input = m_part.node(m_part.inputNames()[0]).outputShape;
    Tensor x = Tensor::empty(input.withBatch(1));
    float* v = x.data<float>();
    const double range = options.high - options.low, middle = (options.low + options.high) / 2;
    Rng rng(options.seed);
    for (int64_t i = 0; i < x.numel(); ++i) {
        v[i] = float(middle + 0.1 * range * (rng.uniform() - 0.5));
    }
    for (int step = 0; step < options.steps; ++step) {
        forwardBackward(x, classIndex);
        const Tensor g = hostFloat32(m_part.inputGradient(0));
        const float* gv = g.data<float>();
        double meanMagnitude = 0;
        for (int64_t i = 0; i < g.numel(); ++i) {
            meanMagnitude += std::abs(gv[i]);
        }
        meanMagnitude = std::max(meanMagnitude / double(g.numel()), 1e-12);
        for (int64_t i = 0; i < x.numel(); ++i) {
            const double next =
                v[i] + options.step * range * gv[i] / meanMagnitude - options.decay * v[i];
            v[i] = float(std::clamp(next, options.low, options.high));
        }
    }
    return x;
}

std::map<std::string, Tensor> Explainer::outputsOf(const Tensor& samples,
                                                   const std::vector<std::string>& layers) {
    for (const std::string& layer : layers) {
        if (!m_part.contains(layer)) {
            throw GraphError("the network has no layer named '" + layer + "'");
        }
    }
    ExecutionContext ctx{m_backend, false, 0, 0, parameterDType(m_part)};
    m_part.forward(ctx, {toDevice(samples)});
    std::map<std::string, Tensor> outputs;
    for (const std::string& layer : layers) {
        outputs[layer] = hostFloat32(m_part.node(layer).output).clone();
    }
    return outputs;
}

std::string defaultGradCamLayer(const Graph& graph) {
    std::string withMaps;
    for (auto it = graph.order().rbegin(); it != graph.order().rend(); ++it) {
        const Graph::Node& node = graph.nodes()[*it];
        if (node.outputShape.rank() != 3 || node.layer->type() == "Input") {
            continue;
        }
        if (node.layer->kind().category == "Convolution") {
            return node.layer->name();
        }
        if (withMaps.empty()) {
            withMaps = node.layer->name();
        }
    }
    return withMaps;
}

double massFraction(const Tensor& map, const Tensor& mask) {
    if (map.numel() != mask.numel()) {
        throw ShapeError("a map of " + map.shape().str() + " and a mask of " + mask.shape().str() +
                         " do not match");
    }
    const Tensor m = hostFloat32(map), k = hostFloat32(mask);
    double inside = 0, total = 0;
    for (int64_t i = 0; i < m.numel(); ++i) {
        const double value = std::max(0.0f, m.data<float>()[i]);
        total += value;
        inside += k.data<float>()[i] != 0 ? value : 0;
    }
    return total > 0 ? inside / total : 0;
}

}  // namespace loom
