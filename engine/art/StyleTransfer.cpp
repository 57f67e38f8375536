#include <loom/ArtImage.h>
#include <loom/Error.h>
#include <loom/ImageLosses.h>
#include <loom/PixelPreprocessing.h>
#include <loom/StyleTransfer.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace loom {

namespace {

// A device copy that outlives the extractor's next forward pass.
Tensor keep(Backend& backend, const Tensor& t) {
    Tensor copy = backend.allocate(t.shape(), t.dtype());
    backend.copy(t, copy);
    return copy;
}

std::vector<double> flatten(const Tensor& t) {
    const Tensor values = t.to(DType::F64);
    return {values.data<double>(), values.data<double>() + values.numel()};
}

void checkSettings(const StyleSettings& s) {
    if (s.iterations < 1 || s.contentWeight < 0 || s.styleWeight < 0 || s.tvWeight < 0 ||
        s.height < 0 || s.width < 0 || !(s.adamGreyLevels > 0)) {
        throw ConfigError(
            "style transfer needs at least 1 iteration, weights of at least 0, a size of at "
            "least 0 (0: from the content picture) and an Adam step above 0");
    }
}

void completeLayers(StyleSettings& settings, const ArtModelDefaults& defaults) {
    if (settings.contentLayer.empty()) {
        settings.contentLayer = defaults.contentLayer;
    }
    if (settings.styleLayers.empty()) {
        settings.styleLayers = defaults.styleLayers;
    }
    if (settings.contentLayer.empty() || settings.styleLayers.empty()) {
        throw ConfigError("choose the content and style layers: Loom has no defaults for this " +
                          defaults.familyName);
    }
}

Tensor startingPoint(const StyleSettings& settings, const Tensor& content, PixelScaling scaling,
                     DType dtype) {
    if (settings.start == StyleStart::Content) {
        return content;
    }
    Tensor noise = Tensor::empty(content.shape().withoutBatch());
    Rng rng(settings.seed);
    for (int64_t i = 0; i < noise.numel(); ++i) {
        noise.set(i, rng.uniform(0.0, 255.0));
    }
    return toNetworkInput(noise, scaling, dtype);
}

}  // namespace

nlohmann::json StyleSettings::toJson() const {
    nlohmann::json style = nlohmann::json::object();
    for (const LayerWeight& layer : styleLayers) {
        style[layer.layer] = layer.weight;
    }
    nlohmann::json json = {
        {"kind", "style_transfer"},
        {"content_layer", contentLayer},
        {"style_layers", style},
        {"content_weight", contentWeight},
        {"style_weight", styleWeight},
        {"tv_weight", tvWeight},
        {"height", height},
        {"width", width},
        {"iterations", iterations},
        {"init", start == StyleStart::Content ? "content" : "noise"},
        {"seed", seed},
        {"optimizer", optimizer == PixelOptimizerKind::Lbfgs ? "lbfgs" : "adam"},
    };
    if (optimizer == PixelOptimizerKind::Lbfgs) {
        json["lbfgs"] = {
            {"history", lbfgs.history},
            {"line_search",
             lbfgs.lineSearch == LineSearch::StrongWolfe ? "strong_wolfe" : "backtracking"}};
    } else {
        json["adam_grey_levels"] = adamGreyLevels;
    }
    return json;
}

std::vector<std::string> styleLayerNames(const StyleSettings& settings) {
    std::vector<std::string> names{settings.contentLayer};
    for (const LayerWeight& layer : settings.styleLayers) {
        if (std::find(names.begin(), names.end(), layer.layer) != names.end() &&
            layer.layer != settings.contentLayer) {
            throw ConfigError("style layer '" + layer.layer + "' is listed twice");
        }
        if (layer.layer != settings.contentLayer) {
            names.push_back(layer.layer);
        }
    }
    return names;
}

std::pair<int64_t, int64_t> styleOutputSize(const StyleSettings& settings, int64_t height,
                                            int64_t width) {
    auto scaled = [](int64_t size, int64_t to, int64_t from) {
        return std::max<int64_t>(1, std::llround(double(size) * double(to) / double(from)));
    };
    if (settings.height > 0 && settings.width > 0) {
        return {settings.height, settings.width};
    }
    if (settings.height > 0) {
        return {settings.height, scaled(width, settings.height, height)};
    }
    if (settings.width > 0) {
        return {scaled(height, settings.width, width), settings.width};
    }
    return {height, width};
}

std::unique_ptr<PixelOptimizer> makePixelOptimizer(const StyleSettings& settings,
                                                   PixelScaling scaling) {
    if (settings.optimizer == PixelOptimizerKind::Lbfgs) {
        return std::make_unique<Lbfgs>(settings.lbfgs);
    }
    AdamOptions adam;
    adam.learningRate = settings.adamGreyLevels / greyLevelsPerUnit(scaling);
    return std::make_unique<PixelAdam>(adam);
}

StyleObjective::StyleObjective(FeatureExtractor& features, const StyleSettings& settings,
                               PixelScaling scaling, const Tensor& contentInput,
                               const Tensor& styleInput)
    : m_features(features),
      m_settings(settings),
      m_shape(contentInput.shape()),
      m_pixelUnit(greyLevelsPerUnit(scaling) / 255.0) {
    checkSameShape(contentInput, styleInput, "style transfer (content and style inputs)");
    const std::vector<std::string>& layers = features.layers();
    m_contentIndex = static_cast<size_t>(
        std::find(layers.begin(), layers.end(), settings.contentLayer) - layers.begin());
    if (m_contentIndex == layers.size()) {
        throw ConfigError("the feature extractor lacks the content layer '" +
                          settings.contentLayer + "'");
    }
    m_contentTarget = keep(features.backend(), features.forward(contentInput)[m_contentIndex]);
    const std::vector<Tensor>& styleActivations = features.forward(styleInput);
    m_styleGrams.resize(layers.size());
    m_styleWeights.assign(layers.size(), 0.0);
    const double perLayer = settings.styleWeight / double(settings.styleLayers.size());
    for (const LayerWeight& layer : settings.styleLayers) {
        const auto k = static_cast<size_t>(std::find(layers.begin(), layers.end(), layer.layer) -
                                           layers.begin());
        if (k == layers.size()) {
            throw ConfigError("the feature extractor lacks the style layer '" + layer.layer + "'");
        }
        m_styleGrams[k] = gramMatrix(features.backend(), styleActivations[k]);
        m_styleWeights[k] = perLayer * layer.weight;
    }
}

double StyleObjective::operator()(const std::vector<double>& x, std::vector<double>& gradient) {
    Backend& backend = m_features.backend();
    const Tensor input = Tensor::fromVector(m_shape, x);
    const std::vector<Tensor>& activations = m_features.forward(input.to(m_features.dtype()));
    m_gradients.resize(activations.size());
    m_scratch.resize(activations.size());
    m_parts = {};
    m_parts.content = contentLoss(backend, activations[m_contentIndex], m_contentTarget,
                                  m_settings.contentWeight, m_gradients[m_contentIndex]);
    for (size_t k = 0; k < activations.size(); ++k) {
        if (!m_styleGrams[k].defined()) {
            continue;
        }
        // The content layer's gradient already has its content term: add the style term.
        Tensor& target = k == m_contentIndex ? m_scratch[k] : m_gradients[k];
        m_parts.style +=
            styleLayerLoss(backend, activations[k], m_styleGrams[k], m_styleWeights[k], target);
        if (k == m_contentIndex) {
            backend.add(m_gradients[k], m_scratch[k], m_gradients[k]);
        }
    }
    Tensor inputGradient = m_features.backward(m_gradients).toHost().to(DType::F64);
    m_parts.tv = totalVariationLoss(input, m_pixelUnit, m_settings.tvWeight, inputGradient);
    gradient = flatten(inputGradient);
    return m_parts.content + m_parts.style + m_parts.tv;
}

Tensor styleTransfer(Graph& model, Backend& backend, const Tensor& content, const Tensor& style,
                     StyleSettings& settings, ProgressSink* sink, RunControl* control) {
    checkSettings(settings);
    const ArtModelDefaults defaults = artModelDefaults(model);
    completeLayers(settings, defaults);
    const auto [height, width] = styleOutputSize(settings, content.dim(1), content.dim(2));
    FeatureExtractor features(model, styleLayerNames(settings), backend);
    const DType dtype = features.dtype();
    const Tensor contentInput =
        toNetworkInput(resizeImage(content, height, width), defaults.scaling, dtype);
    const Tensor styleInput =
        toNetworkInput(resizeImage(style, height, width), defaults.scaling, dtype);
    StyleObjective objective(features, settings, defaults.scaling, contentInput, styleInput);
    std::vector<double> x = flatten(startingPoint(settings, contentInput, defaults.scaling, dtype));
    const auto optimizer = makePixelOptimizer(settings, defaults.scaling);
    const Objective f = [&](const std::vector<double>& at, std::vector<double>& g) {
        return objective(at, g);
    };
    const auto start = std::chrono::steady_clock::now();
    bool completed = true;
    double loss = 0;
    for (int i = 1; i <= settings.iterations && !optimizer->converged(); ++i) {
        if (control && !control->checkpoint()) {
            completed = false;
            break;
        }
        loss = optimizer->step(f, x);
        if (sink) {
            const StyleObjective::Parts& parts = objective.lastParts();
            ImageProgress p{
                "",
                i,
                settings.iterations,
                loss,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                {{"content", parts.content}, {"style", parts.style}, {"tv", parts.tv}},
                toRgbImage(Tensor::fromVector(contentInput.shape(), x), defaults.scaling)};
            sink->report(p);
        }
    }
    if (sink) {
        sink->report(
            RunFinished{completed ? RunFinished::Reason::Completed : RunFinished::Reason::Stopped,
                        "style transfer " + std::string(completed ? "finished" : "stopped") +
                            ": loss " + std::to_string(loss),
                        ""});
    }
    return toRgbImage(Tensor::fromVector(contentInput.shape(), x), defaults.scaling);
}

}  // namespace loom
