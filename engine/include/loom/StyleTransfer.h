#pragma once
/// Neural style transfer (Gatys, Ecker and Bethge; the Keras neural_style_transfer example): a
/// picture whose activations at a content layer match the content picture's and whose Gram
/// matrices at the style layers match the style picture's, found by minimising
///   contentWeight * content + styleWeight / L * sum_l w_l style_l + tvWeight * TV
/// (ImageLosses.h) over the network's input with L-BFGS or Adam. The style picture is resized
/// to the output size.

#include <loom/ArtModel.h>
#include <loom/FeatureExtractor.h>
#include <loom/Lbfgs.h>
#include <loom/PixelAdam.h>
#include <loom/Progress.h>

#include <nlohmann/json.hpp>

#include <memory>

namespace loom {

enum class StyleStart { Content, Noise };
enum class PixelOptimizerKind { Lbfgs, Adam };

struct StyleSettings {
    std::string contentLayer;              ///< empty: the family's default
    std::vector<LayerWeight> styleLayers;  ///< empty: the family's defaults
    double contentWeight = 0.025;
    double styleWeight = 1.0;
    double tvWeight = 1.0;
    int64_t height = 0, width = 0;  ///< output size; 0: from the content picture's aspect
    int iterations = 100;
    StyleStart start = StyleStart::Content;
    uint64_t seed = 1;  ///< for the noise start
    PixelOptimizerKind optimizer = PixelOptimizerKind::Lbfgs;
    LbfgsOptions lbfgs;
    /// Adam's step in grey levels (0..255), converted to the network's input units.
    double adamGreyLevels = 2.0;

    nlohmann::json toJson() const;
};

/// The total loss as a function of the network's input pixels [1, 3, H, W] (flattened), with
/// the targets computed once from the content and style inputs.
class StyleObjective {
public:
    struct Parts {
        double content = 0, style = 0, tv = 0;
    };

    /// `features` must extract exactly the content layer and the style layers (each once).
    StyleObjective(FeatureExtractor& features, const StyleSettings& settings, PixelScaling scaling,
                   const Tensor& contentInput, const Tensor& styleInput);

    double operator()(const std::vector<double>& x, std::vector<double>& gradient);
    const Parts& lastParts() const { return m_parts; }
    const Shape& inputShape() const { return m_shape; }

private:
    FeatureExtractor& m_features;
    const StyleSettings& m_settings;
    Shape m_shape;
    double m_pixelUnit;  ///< one unit of network input in pixel units of 0..1
    size_t m_contentIndex = 0;
    std::vector<Tensor> m_styleGrams;  ///< per extractor layer; undefined for the content one
    std::vector<double> m_styleWeights;
    Tensor m_contentTarget;
    /// dLoss/d(activation) per layer and a buffer for the content layer's style term, kept
    /// between evaluations so that large layers are not allocated again each time.
    std::vector<Tensor> m_gradients, m_scratch;
    Parts m_parts;
};

/// The unique layers a StyleObjective needs, the content layer first.
std::vector<std::string> styleLayerNames(const StyleSettings& settings);

/// The output size for a content picture of this size: settings' height and width, either
/// one alone keeping the aspect, else the picture's own.
std::pair<int64_t, int64_t> styleOutputSize(const StyleSettings& settings, int64_t height,
                                            int64_t width);

/// The optimiser the settings ask for.
std::unique_ptr<PixelOptimizer> makePixelOptimizer(const StyleSettings& settings,
                                                   PixelScaling scaling);

/// Paints `content` in the manner of `style` (both [3, H, W] RGB 0..255) with `model` on
/// `backend`; returns the picture. Reports an ImageProgress after every iteration and a
/// RunFinished at the end to `sink` (may be null); stops after the current iteration when
/// `control` asks. Empty layer settings are completed with the family's defaults.
Tensor styleTransfer(Graph& model, Backend& backend, const Tensor& content, const Tensor& style,
                     StyleSettings& settings, ProgressSink* sink = nullptr,
                     RunControl* control = nullptr);

}  // namespace loom
