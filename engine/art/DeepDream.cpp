#include <loom/ArtImage.h>
#include <loom/DeepDream.h>
#include <loom/Error.h>
#include <loom/ImageLosses.h>
#include <loom/PixelPreprocessing.h>

#include <chrono>
#include <cmath>

namespace loom {

namespace {

// [1, C, H, W] <-> the [C, H, W] picture resizeImage takes.
Tensor resizeInput(const Tensor& input, const std::pair<int64_t, int64_t>& size) {
    Tensor resized =
        resizeImage(input.reshape(input.shape().withoutBatch()), size.first, size.second);
    return resized.reshape(resized.shape().withBatch(1));
}

// Shifts a [1, C, H, W] host tensor cyclically by (dy, dx): out[y + dy, x + dx] = in[y, x].
Tensor roll(const Tensor& t, int64_t dy, int64_t dx) {
    const int64_t channels = t.dim(1), height = t.dim(2), width = t.dim(3);
    const Tensor in = t.to(DType::F64);
    Tensor out = Tensor::empty(t.shape(), DType::F64);
    const double* src = in.data<double>();
    double* dst = out.data<double>();
    for (int64_t c = 0; c < channels; ++c) {
        for (int64_t y = 0; y < height; ++y) {
            const int64_t toY = ((y + dy) % height + height) % height;
            for (int64_t x = 0; x < width; ++x) {
                const int64_t toX = ((x + dx) % width + width) % width;
                dst[(c * height + toY) * width + toX] = src[(c * height + y) * width + x];
            }
        }
    }
    return out.to(t.dtype());
}

// The octave sizes, smallest first; the last is the picture's own.
std::vector<std::pair<int64_t, int64_t>> octaveSizes(int64_t height, int64_t width,
                                                     const DreamSettings& s) {
    std::vector<std::pair<int64_t, int64_t>> sizes;
    for (int i = s.octaves - 1; i >= 0; --i) {
        const double shrink = std::pow(s.octaveScale, i);
        sizes.emplace_back(static_cast<int64_t>(double(height) / shrink),
                           static_cast<int64_t>(double(width) / shrink));
    }
    return sizes;
}

void checkSettings(const DreamSettings& s) {
    if (s.octaves < 1 || s.iterations < 1 || !(s.octaveScale >= 1) || !(s.step > 0) ||
        s.jitter < 0 || s.maxLoss < 0) {
        throw ConfigError(
            "deep dream needs at least 1 octave and 1 iteration, an octave scale of at least 1, "
            "a step above 0 and a jitter and maximum loss of at least 0");
    }
}

// One gradient-ascent run over an octave's picture, updating `input` in place.
class DreamLoop {
public:
    DreamLoop(FeatureExtractor& features, const DreamSettings& settings, PixelScaling scaling,
              ProgressSink* sink, RunControl* control)
        : m_features(features),
          m_settings(settings),
          m_scaling(scaling),
          m_sink(sink),
          m_control(control),
          m_rng(settings.seed) {
        for (const LayerWeight& layer : settings.layers) {
            m_weights.push_back(layer.weight);
        }
    }

    /// False when a stop was requested.
    bool run(Tensor& input, const std::string& stage) {
        for (int i = 0; i < m_settings.iterations; ++i) {
            if (m_control && !m_control->checkpoint()) {
                return false;
            }
            const double loss = ascend(input);
            m_lastLoss = loss;
            ++m_step;
            report(input, stage, loss);
            if (m_settings.maxLoss > 0 && loss > m_settings.maxLoss) {
                break;
            }
        }
        return true;
    }

    double lastLoss() const { return m_lastLoss; }

private:
    double ascend(Tensor& input) {
        const int64_t j = m_settings.jitter;
        const int64_t dy = j ? static_cast<int64_t>(m_rng.uniform() * double(2 * j + 1)) - j : 0;
        const int64_t dx = j ? static_cast<int64_t>(m_rng.uniform() * double(2 * j + 1)) - j : 0;
        Tensor gradient;
        const double loss =
            dreamObjective(m_features, m_weights, j ? roll(input, dy, dx) : input, &gradient);
        if (j) {
            gradient = roll(gradient, -dy, -dx);
        }
        double meanAbs = 0;
        for (int64_t i = 0; i < gradient.numel(); ++i) {
            meanAbs += std::abs(gradient.at(i));
        }
        meanAbs /= static_cast<double>(gradient.numel());
        const double scale = m_settings.step / std::max(meanAbs, 1e-7);
        Tensor updated = input.to(DType::F64);
        const Tensor g = gradient.to(DType::F64);
        for (int64_t i = 0; i < updated.numel(); ++i) {
            updated.data<double>()[i] += scale * g.data<double>()[i];
        }
        input = updated.to(input.dtype());
        return loss;
    }

    void report(const Tensor& input, const std::string& stage, double loss) {
        if (!m_sink) {
            return;
        }
        ImageProgress p;
        p.stage = stage;
        p.step = m_step;
        p.steps = int64_t{m_settings.octaves} * m_settings.iterations;
        p.loss = loss;
        p.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        p.image = toRgbImage(input, m_scaling);
        m_sink->report(p);
    }

    FeatureExtractor& m_features;
    const DreamSettings& m_settings;
    PixelScaling m_scaling;
    ProgressSink* m_sink;
    RunControl* m_control;
    Rng m_rng;
    std::vector<double> m_weights;
    int64_t m_step = 0;
    double m_lastLoss = 0;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

}  // namespace

nlohmann::json DreamSettings::toJson() const {
    nlohmann::json weights = nlohmann::json::object();
    for (const LayerWeight& layer : layers) {
        weights[layer.layer] = layer.weight;
    }
    return {{"kind", "deep_dream"},        {"layers", weights}, {"octaves", octaves},
            {"octave_scale", octaveScale}, {"step", step},      {"iterations", iterations},
            {"max_loss", maxLoss},         {"jitter", jitter},  {"seed", seed}};
}

double dreamObjective(FeatureExtractor& features, const std::vector<double>& weights,
                      const Tensor& input, Tensor* gradient) {
    const std::vector<Tensor>& activations = features.forward(input);
    std::vector<Tensor> gradients(activations.size());
    double loss = 0;
    for (size_t i = 0; i < activations.size(); ++i) {
        loss += dreamLayerLoss(features.backend(), activations[i], weights.at(i), gradients[i]);
    }
    if (gradient) {
        *gradient = features.backward(gradients).toHost();
    }
    return loss;
}

Tensor deepDream(Graph& model, Backend& backend, const Tensor& picture, DreamSettings& settings,
                 ProgressSink* sink, RunControl* control) {
    checkSettings(settings);
    const ArtModelDefaults defaults = artModelDefaults(model);
    if (settings.layers.empty()) {
        settings.layers = defaults.dreamLayers;
    }
    if (settings.layers.empty()) {
        throw ConfigError("choose the layers to dream with: Loom has no defaults for this " +
                          defaults.familyName);
    }
    std::vector<std::string> names;
    for (const LayerWeight& layer : settings.layers) {
        names.push_back(layer.layer);
    }
    FeatureExtractor features(model, names, backend);
    const Tensor original = toNetworkInput(picture, defaults.scaling, features.dtype());
    const auto sizes = octaveSizes(picture.dim(1), picture.dim(2), settings);
    Tensor shrunk = resizeInput(original, sizes.front());
    Tensor input = original;
    DreamLoop loop(features, settings, defaults.scaling, sink, control);
    bool completed = true;
    for (size_t octave = 0; octave < sizes.size() && completed; ++octave) {
        input = resizeInput(input, sizes[octave]);
        completed = loop.run(
            input, "octave " + std::to_string(octave + 1) + "/" + std::to_string(sizes.size()));
        // The detail shrinking lost: the original at this size minus the shrunk one enlarged.
        const Tensor sameSize = resizeInput(original, sizes[octave]);
        const Tensor enlarged = resizeInput(shrunk, sizes[octave]);
        for (int64_t i = 0; i < input.numel() && completed; ++i) {
            input.set(i, input.at(i) + sameSize.at(i) - enlarged.at(i));
        }
        shrunk = sameSize;
    }
    if (sink) {
        sink->report(
            RunFinished{completed ? RunFinished::Reason::Completed : RunFinished::Reason::Stopped,
                        "deep dream " + std::string(completed ? "finished" : "stopped") +
                            ": objective " + std::to_string(loop.lastLoss()),
                        ""});
    }
    return toRgbImage(input, defaults.scaling);
}

}  // namespace loom
