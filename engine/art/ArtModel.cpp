#include <loom/ArtModel.h>
#include <loom/Error.h>
#include <loom/FiniteWeights.h>
#include <loom/TfjsModel.h>

#include <cstdlib>
#include <filesystem>

namespace loom {

namespace {

std::string environment(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

ArtModelDefaults named(ArtFamily family, std::string name, PixelScaling scaling) {
    ArtModelDefaults d;
    d.family = family;
    d.familyName = std::move(name);
    d.scaling = scaling;
    return d;
}

ArtModelDefaults inceptionV3() {
    ArtModelDefaults d = named(ArtFamily::InceptionV3, "InceptionV3", PixelScaling::MinusOneToOne);
    d.dreamLayers = {{"mixed2", 0.2}, {"mixed3", 0.5}, {"mixed4", 2.0}, {"mixed5", 1.5}};
    // Style needs the early, high-resolution layers for colour and brush strokes; content
    // one mixed block deeper keeps the layout without the pixels.
    d.contentLayer = "mixed3";
    for (const char* layer :
         {"activation_1", "activation_3", "activation_5", "mixed0", "mixed1", "mixed2"}) {
        d.styleLayers.push_back({layer, 1.0});
    }
    return d;
}

ArtModelDefaults mobileNetV2() {
    ArtModelDefaults d = named(ArtFamily::MobileNetV2, "MobileNetV2", PixelScaling::MinusOneToOne);
    d.dreamLayers = {
        {"block_6_expand_relu", 0.5}, {"block_10_expand_relu", 1.5}, {"block_13_expand_relu", 2.0}};
    d.contentLayer = "block_10_expand_relu";
    for (const char* layer : {"Conv1_relu", "block_1_expand_relu", "block_3_expand_relu",
                              "block_6_expand_relu", "block_10_expand_relu"}) {
        d.styleLayers.push_back({layer, 1.0});
    }
    return d;
}

ArtModelDefaults vgg(bool nineteen) {
    ArtModelDefaults d = named(nineteen ? ArtFamily::Vgg19 : ArtFamily::Vgg16,
                               nineteen ? "VGG19" : "VGG16", PixelScaling::CaffeBgr);
    d.dreamLayers = {{"block4_conv3", 1.0}, {"block5_conv3", 1.0}};
    d.contentLayer = "block5_conv2";
    for (int block = 1; block <= 5; ++block) {
        d.styleLayers.push_back({"block" + std::to_string(block) + "_conv1", 1.0});
    }
    return d;
}

}  // namespace

ArtModelDefaults artModelDefaults(const Graph& graph) {
    if (graph.contains("mixed5") && graph.contains("conv2d_1") && graph.contains("activation_5")) {
        return inceptionV3();
    }
    if (graph.contains("block_13_expand_relu") && graph.contains("Conv1_relu")) {
        return mobileNetV2();
    }
    if (graph.contains("block5_conv2") && graph.contains("block1_conv1")) {
        return vgg(graph.contains("block5_conv4"));
    }
    return named(ArtFamily::Other, "unknown network", PixelScaling::MinusOneToOne);
}

std::string pretrainedFolder() {
    const std::string data =
        environment("XDG_DATA_HOME", environment("HOME", ".") + "/.local/share");
    return environment("LOOM_PRETRAINED_DIR", data + "/loom/pretrained");
}

Graph loadPretrainedModel(const std::string& name) {
    const std::string path = pretrainedFolder() + "/" + name + "/model.json";
    if (!std::filesystem::exists(path)) {
        throw IoError("the pretrained network '" + name + "' is not in " + pretrainedFolder() +
                      "; fetch it (about 25 MB, once) with: node examples/fetch_pretrained.js" +
                      (std::getenv("LOOM_PRETRAINED_DIR") ? " " + pretrainedFolder() : ""));
    }
    Graph graph = loadTfjsModel(path);
    requireFiniteWeights(graph, path);
    return graph;
}

std::vector<LayerWeight> parseLayerWeights(const std::string& text) {
    std::vector<LayerWeight> layers;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = std::min(text.find(',', start), text.size());
        std::string item = text.substr(start, end - start);
        size_t colon = item.find(':');
        LayerWeight entry{item.substr(0, colon), 1.0};
        if (colon != std::string::npos) {
            char* stop = nullptr;
            entry.weight = std::strtod(item.c_str() + colon + 1, &stop);
            if (stop == item.c_str() + colon + 1 || *stop != '\0') {
                throw ConfigError("layer weight '" + item + "' is not NAME:NUMBER");
            }
        }
        if (entry.layer.empty()) {
            throw ConfigError("empty layer name in '" + text +
                              "' (expected NAME:WEIGHT,NAME:WEIGHT,...)");
        }
        layers.push_back(std::move(entry));
        start = end + 1;
    }
    return layers;
}

}  // namespace loom
