// The graph's JSON form: the one schema that model files, projects and the editor share.

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Json.h>

namespace loom {

namespace {

constexpr int kGraphFormatVersion = 1;

const nlohmann::json& member(const nlohmann::json& object, const char* key,
                             const std::string& where) {
    auto it = object.find(key);
    if (it == object.end()) {
        throw GraphError(where + ": missing \"" + key + "\"");
    }
    return *it;
}

std::string stringMember(const nlohmann::json& object, const char* key, const std::string& where) {
    const nlohmann::json& value = member(object, key, where);
    if (!value.is_string()) {
        throw GraphError(where + ": \"" + key + "\" must be a string, got " + jsonExcerpt(value));
    }
    return value.get<std::string>();
}

std::vector<std::string> stringList(const nlohmann::json& value, const std::string& where) {
    if (!value.is_array()) {
        throw GraphError(where + " must be a list of layer names, got " + jsonExcerpt(value));
    }
    std::vector<std::string> names;
    for (const auto& item : value) {
        if (!item.is_string()) {
            throw GraphError(where + " must hold layer names, got " + jsonExcerpt(item));
        }
        names.push_back(item.get<std::string>());
    }
    return names;
}

}  // namespace

std::string Graph::addFromJson(const nlohmann::json& entry, std::string where) {
    if (!entry.is_object()) {
        throw GraphError(where + " must be a JSON object");
    }
    std::string name = stringMember(entry, "name", where);
    where += " ('" + name + "')";
    std::string type = stringMember(entry, "type", where);
    nlohmann::json params = entry.value("params", nlohmann::json::object());
    std::vector<std::string> inputs;
    if (entry.contains("inputs")) {
        inputs = stringList(entry["inputs"], where + " \"inputs\"");
    }
    add(type, name, params, inputs);
    Graph::Node& node = this->node(name);
    if (entry.contains("trainable")) {
        if (!entry["trainable"].is_boolean()) {
            throw GraphError(where + ": \"trainable\" must be true or false");
        }
        node.layer->setTrainable(entry["trainable"].get<bool>());
    }
    if (entry.contains("learning_rate_factor")) {
        const nlohmann::json& factor = entry["learning_rate_factor"];
        if (!factor.is_number() || factor.get<double>() < 0 || factor.get<double>() > 1e6) {
            throw GraphError(where + ": \"learning_rate_factor\" must be a number from 0 up");
        }
        node.layer->setLearningRateFactor(factor.get<double>());
    }
    if (entry.contains("group")) {
        if (!entry["group"].is_string()) {
            throw GraphError(where + ": \"group\" must be a name");
        }
        node.group = entry["group"].get<std::string>();
    }
    if (entry.contains("position")) {
        const auto& pos = entry["position"];
        if (!pos.is_array() || pos.size() != 2 || !pos[0].is_number() || !pos[1].is_number()) {
            throw GraphError(where + ": \"position\" must be [x, y]");
        }
        node.x = pos[0].get<double>();
        node.y = pos[1].get<double>();
    }
    return name;
}

static Graph readGraph(const nlohmann::json& json);

Graph Graph::fromJson(const nlohmann::json& json) {
    try {
        return readGraph(json);
    } catch (const nlohmann::json::exception& e) {
        throw GraphError(std::string("malformed graph JSON: ") + e.what());
    }
}

static Graph readGraph(const nlohmann::json& json) {
    if (!json.is_object()) {
        throw GraphError("a graph must be a JSON object");
    }
    if (json.value("format", "") != "loom-graph") {
        throw GraphError("not a Loom graph: \"format\" must be \"loom-graph\"");
    }
    int version = json.value("version", 0);
    if (version > kGraphFormatVersion) {
        throw GraphError("the graph was written in format version " + std::to_string(version) +
                         " by a newer Loom; this one reads up to version " +
                         std::to_string(kGraphFormatVersion));
    }
    Graph graph;
    if (json.contains("name") && json["name"].is_string()) {
        graph.setName(json["name"].get<std::string>());
    }
    const nlohmann::json& layers = member(json, "layers", "graph");
    if (!layers.is_array()) {
        throw GraphError("graph: \"layers\" must be a list");
    }
    for (size_t i = 0; i < layers.size(); ++i) {
        graph.addFromJson(layers[i], "layer #" + std::to_string(i + 1));
    }
    if (json.contains("outputs")) {
        graph.setOutputs(stringList(json["outputs"], "graph \"outputs\""));
    }
    return graph;
}

nlohmann::json Graph::toJson() const {
    nlohmann::json layers = nlohmann::json::array();
    for (const Node& n : m_nodes) {
        nlohmann::json entry;
        entry["name"] = n.layer->name();
        entry["type"] = n.layer->type();
        entry["params"] = n.layer->params().toJson();
        entry["inputs"] = n.inputs;
        entry["trainable"] = n.layer->trainable();
        if (n.layer->learningRateFactor() != 1.0) {
            entry["learning_rate_factor"] = n.layer->learningRateFactor();
        }
        entry["position"] = {n.x, n.y};
        if (!n.group.empty()) {
            entry["group"] = n.group;
        }
        layers.push_back(std::move(entry));
    }
    nlohmann::json json;
    json["format"] = "loom-graph";
    json["version"] = kGraphFormatVersion;
    json["name"] = m_name;
    json["layers"] = std::move(layers);
    if (!m_explicitOutputs.empty()) {
        json["outputs"] = m_explicitOutputs;
    }
    return json;
}

}  // namespace loom
