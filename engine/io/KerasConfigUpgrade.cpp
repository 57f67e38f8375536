// Keras 1 / Keras 3 configs -> the Keras 2 form. Keras 1 names are those of its layer
// constructors; Keras 3's functional nodes are those of functional.py's serialize_node.

#include "io/KerasConfigUpgrade.h"

#include <loom/Error.h>
#include <loom/Json.h>

#include <string>

namespace loom {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const json& cfg, const std::string& cls, const std::string& message) {
    throw IoError("Keras layer '" + cfg.value("name", std::string("?")) + "' (" + cls +
                  "): " + message);
}

/// Moves cfg[from] to cfg[to] (when to is not already set), converting the value.
template <typename Convert>
void rename(json& cfg, const char* from, const char* to, Convert convert) {
    if (!cfg.contains(from)) {
        return;
    }
    if (!cfg.contains(to)) {
        cfg[to] = convert(cfg[from]);
    }
    cfg.erase(from);
}

void rename(json& cfg, const char* from, const char* to) {
    rename(cfg, from, to, [](const json& v) { return v; });
}

/// Keras 1's dim_ordering: "th" is channels_first (Theano's NCHW), "tf" channels_last.
void upgradeDimOrdering(json& cfg, const std::string& cls) {
    rename(cfg, "dim_ordering", "data_format", [&](const json& v) {
        if (v == "th") {
            return json("channels_first");
        }
        if (v == "tf") {
            return json("channels_last");
        }
        fail(cfg, cls, "dim_ordering " + jsonExcerpt(v) + " is neither 'th' nor 'tf'");
    });
}

void upgradeBorderMode(json& cfg, const std::string& cls) {
    rename(cfg, "border_mode", "padding", [&](const json& v) {
        if (v != "valid" && v != "same") {
            fail(cfg, cls, "border_mode " + jsonExcerpt(v) + " is not supported (valid or same)");
        }
        return v;
    });
}

/// Keras 1.2 ZeroPadding2D: (rows, cols), (top, bottom, left, right) or a dict of *_pad.
void upgradeZeroPadding(json& cfg) {
    const json v = cfg.value("padding", json(1));
    if (v.is_array() && v.size() == 4) {
        cfg["padding"] = {{v[0], v[1]}, {v[2], v[3]}};
    } else if (v.is_object()) {
        cfg["padding"] = {{v.at("top_pad"), v.at("bottom_pad")},
                          {v.at("left_pad"), v.at("right_pad")}};
    }
}

/// Keras 1 Merge layers in functional models; only the modes Loom has a layer for.
std::string upgradeMerge(json& cfg) {
    const std::string mode = cfg.value("mode", std::string("sum"));
    if (mode == "sum") {
        return "Add";
    }
    if (mode == "concat") {
        cfg["axis"] = cfg.value("concat_axis", json(-1));
        return "Concatenate";
    }
    fail(cfg, "Merge", "merge mode '" + mode + "' is not supported (sum or concat)");
}

/// One Keras 1 layer {class_name, config} in place.
void upgradeKeras1Layer(json& layer) {
    std::string cls = layer.at("class_name").get<std::string>();
    json& cfg = layer.at("config");
    if (!cfg.is_object()) {
        return;
    }
    if (cls == "Convolution2D" || cls == "AtrousConvolution2D") {
        rename(cfg, "nb_filter", "filters");
        if (cfg.contains("nb_row") || cfg.contains("nb_col")) {
            cfg["kernel_size"] = {cfg.value("nb_row", json(1)), cfg.value("nb_col", json(1))};
            cfg.erase("nb_row");
            cfg.erase("nb_col");
        }
        rename(cfg, "subsample", "strides");
        rename(cfg, "atrous_rate", "dilation_rate");
        cls = "Conv2D";
    } else if (cls == "Merge") {
        cls = upgradeMerge(cfg);
    } else if (cls == "BatchNormalization" && cfg.value("mode", 0) != 0) {
        fail(cfg, cls,
             "mode " + jsonExcerpt(cfg["mode"]) +
                 " normalises with the batch's own statistics at test time, which Loom "
                 "does not do (only mode 0)");
    } else if (cls == "ZeroPadding2D") {
        upgradeZeroPadding(cfg);
    }
    if (cls == "Dense") {
        rename(cfg, "output_dim", "units");
    }
    rename(cfg, "bias", "use_bias");
    if (cls == "Dropout") {
        rename(cfg, "p", "rate");
    }
    upgradeBorderMode(cfg, cls);
    upgradeDimOrdering(cfg, cls);
    layer["class_name"] = cls;
}

/// Keras 3 keras tensor references, in argument order: {"class_name": "__keras_tensor__",
/// "config": {"keras_history": [layer, node, tensor]}} anywhere inside args.
void collectKerasTensors(const json& value, json& refs) {
    if (value.is_object()) {
        if (value.value("class_name", std::string()) == "__keras_tensor__") {
            json ref = value.at("config").at("keras_history");
            ref.push_back(json::object());
            refs.push_back(ref);
            return;
        }
        for (const auto& [key, member] : value.items()) {
            collectKerasTensors(member, refs);
        }
    } else if (value.is_array()) {
        for (const json& member : value) {
            collectKerasTensors(member, refs);
        }
    }
}

/// Keras 3's [{"args": [...], "kwargs": {...}}] nodes -> Keras 2's [[[name, node, tensor, {}]]].
void upgradeKeras3Nodes(json& layer) {
    if (!layer.contains("inbound_nodes") || !layer["inbound_nodes"].is_array()) {
        return;
    }
    json nodes = json::array();
    for (const json& node : layer["inbound_nodes"]) {
        if (!node.is_object()) {
            return;  // already Keras 1/2 lists
        }
        json refs = json::array();
        collectKerasTensors(node.value("args", json::array()), refs);
        nodes.push_back(refs);
    }
    layer["inbound_nodes"] = nodes;
}

/// Keras 3 writes a model's single input or output as one [name, node, tensor] ref.
void wrapSingleRef(json& config, const char* key) {
    if (config.contains(key) && config[key].is_array() && !config[key].empty() &&
        config[key][0].is_string()) {
        config[key] = json::array({config[key]});
    }
}

}  // namespace

nlohmann::json upgradeKerasConfig(const nlohmann::json& modelConfig) {
    json upgraded = modelConfig;
    if (!upgraded.is_object() || !upgraded.contains("config")) {
        return upgraded;  // the converter says what is missing
    }
    json& config = upgraded["config"];
    json empty = json::array();
    json& layers = config.is_array()                                 ? config
                   : config.is_object() && config.contains("layers") ? config["layers"]
                                                                     : empty;
    if (!layers.is_array()) {
        throw IoError("the Keras model config's layers are not a list");
    }
    for (json& layer : layers) {
        if (!layer.is_object()) {
            throw IoError("a Keras layer entry is not an object: " + jsonExcerpt(layer));
        }
        upgradeKeras1Layer(layer);
        upgradeKeras3Nodes(layer);
    }
    if (config.is_object()) {
        wrapSingleRef(config, "input_layers");
        wrapSingleRef(config, "output_layers");
    }
    return upgraded;
}

}  // namespace loom
