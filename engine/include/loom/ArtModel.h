#pragma once
/// The pretrained networks deep dream and style transfer use: where the fetched ones live, how
/// each family wants its pixels scaled, and the layers each family dreams and paints with by
/// default. A family is recognised by its Keras layer names, so an imported VGG16 gets the
/// classic Gatys layers without any setting.

#include <loom/Graph.h>

#include <string>
#include <vector>

namespace loom {

/// How a network wants its RGB 0..255 pixels.
enum class PixelScaling {
    MinusOneToOne,  ///< x / 127.5 - 1 (Keras' InceptionV3 and MobileNetV2 preprocess_input)
    CaffeBgr,       ///< BGR with the ImageNet mean subtracted, 0..255 scale (Keras' VGG16/19)
};

/// One layer of an objective and its weight.
struct LayerWeight {
    std::string layer;
    double weight = 1.0;
};

enum class ArtFamily { InceptionV3, MobileNetV2, Vgg16, Vgg19, Other };

/// What a network family does by default.
struct ArtModelDefaults {
    ArtFamily family = ArtFamily::Other;
    std::string familyName;  ///< "InceptionV3", ..., "unknown network"
    PixelScaling scaling = PixelScaling::MinusOneToOne;
    std::vector<LayerWeight> dreamLayers;  ///< empty for an unknown network
    std::string contentLayer;
    std::vector<LayerWeight> styleLayers;
};

/// The family of `graph` (by its layer names) and that family's defaults. InceptionV3 dreams
/// with the Keras deep_dream example's mixed2 0.2, mixed3 0.5, mixed4 2.0, mixed5 1.5; VGG
/// paints with Gatys' block5_conv2 (content) and block1..5_conv1 (style).
ArtModelDefaults artModelDefaults(const Graph& graph);

/// The folder the fetched networks live in: LOOM_PRETRAINED_DIR, else
/// ${XDG_DATA_HOME:-~/.local/share}/loom/pretrained.
std::string pretrainedFolder();

/// The fetched network `name` ("inception_v3", "mobilenet_v2") as a built graph. Throws IoError
/// naming the command that fetches it when it is not there.
Graph loadPretrainedModel(const std::string& name);

/// Parses "mixed2:0.2,mixed3:0.5" (a name without ":w" weighs 1). Throws ConfigError.
std::vector<LayerWeight> parseLayerWeights(const std::string& text);

}  // namespace loom
