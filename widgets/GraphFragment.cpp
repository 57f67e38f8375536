#include "GraphFragment.h"

#include <loom/Error.h>

#include <map>
#include <set>
#include <string>

namespace loom {

namespace {

constexpr char kFragmentFormat[] = "loom-layers";

/// name without a trailing "_<digits>", so that copies of "dense_3" are named "dense_4"...
std::string baseName(const std::string& name) {
    const size_t underscore = name.find_last_of('_');
    if (underscore == std::string::npos || underscore + 1 == name.size()) {
        return name;
    }
    for (size_t i = underscore + 1; i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') {
            return name;
        }
    }
    return name.substr(0, underscore);
}

std::string freeName(const std::string& name, const std::set<std::string>& taken) {
    if (!taken.count(name)) {
        return name;
    }
    const std::string base = baseName(name);
    for (int i = 1;; ++i) {
        std::string candidate = base + "_" + std::to_string(i);
        if (!taken.count(candidate)) {
            return candidate;
        }
    }
}

const nlohmann::json& fragmentLayers(const nlohmann::json& fragment) {
    if (!fragment.is_object() || fragment.value("format", "") != kFragmentFormat ||
        !fragment.contains("layers") || !fragment["layers"].is_array()) {
        throw GraphError("the clipboard holds no Loom layers");
    }
    for (const nlohmann::json& layer : fragment["layers"]) {
        if (!layer.is_object() || !layer.contains("name") || !layer["name"].is_string()) {
            throw GraphError("the copied layers are malformed: a layer has no name");
        }
    }
    return fragment["layers"];
}

}  // namespace

nlohmann::json copyLayers(const Graph& graph, const QStringList& names) {
    std::set<std::string> copied;
    for (const QString& name : names) {
        copied.insert(name.toStdString());
    }
    nlohmann::json layers = nlohmann::json::array();
    nlohmann::json json = graph.toJson();
    for (nlohmann::json& layer : json["layers"]) {
        if (!copied.count(layer["name"].get<std::string>())) {
            continue;
        }
        nlohmann::json inputs = nlohmann::json::array();
        for (const nlohmann::json& input : layer["inputs"]) {
            if (copied.count(input.get<std::string>())) {
                inputs.push_back(input);
            }
        }
        layer["inputs"] = std::move(inputs);
        layers.push_back(std::move(layer));
    }
    return {{"format", kFragmentFormat}, {"layers", std::move(layers)}};
}

nlohmann::json layersToPaste(const Graph& graph, const nlohmann::json& fragment, QPointF offset) {
    const nlohmann::json& layers = fragmentLayers(fragment);
    std::set<std::string> taken;
    for (const Graph::Node& node : graph.nodes()) {
        taken.insert(node.layer->name());
    }
    std::map<std::string, std::string> renamed;
    for (const nlohmann::json& layer : layers) {
        const std::string name = freeName(layer["name"].get<std::string>(), taken);
        taken.insert(name);
        renamed[layer["name"].get<std::string>()] = name;
    }
    nlohmann::json pasted = nlohmann::json::array();
    for (nlohmann::json layer : layers) {
        layer["name"] = renamed[layer["name"].get<std::string>()];
        nlohmann::json inputs = nlohmann::json::array();
        for (const nlohmann::json& input : layer.value("inputs", nlohmann::json::array())) {
            auto it = input.is_string() ? renamed.find(input.get<std::string>()) : renamed.end();
            if (it != renamed.end()) {
                inputs.push_back(it->second);
            }
        }
        layer["inputs"] = std::move(inputs);
        const nlohmann::json position = layer.value("position", nlohmann::json::array({0, 0}));
        const bool hasPosition = position.is_array() && position.size() == 2 &&
                                 position[0].is_number() && position[1].is_number();
        layer["position"] = {(hasPosition ? position[0].get<double>() : 0.0) + offset.x(),
                             (hasPosition ? position[1].get<double>() : 0.0) + offset.y()};
        pasted.push_back(std::move(layer));
    }
    return pasted;
}

}  // namespace loom
