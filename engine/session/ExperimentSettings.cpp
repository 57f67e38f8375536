// The settings an experiment varies, applied to a project: its training section, or one of its
// layers' parameters.

#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/Json.h>
#include <loom/Optimizer.h>

#include <optional>

namespace loom {

namespace {

std::vector<std::string> splitPath(const std::string& setting) {
    std::vector<std::string> parts{""};
    for (char c : setting) {
        if (c == '.') {
            parts.emplace_back();
        } else {
            parts.back() += c;
        }
    }
    return parts;
}

// The path of a setting within the training section's JSON; none when it names no training key.
std::optional<std::vector<std::string>> trainingPath(const std::string& setting) {
    if (setting == "lr" || setting == "learning_rate") {
        return std::vector<std::string>{"optimizer", "params", "learning_rate"};
    }
    if (setting == "batch") {
        return std::vector<std::string>{"batch_size"};
    }
    std::vector<std::string> path = splitPath(setting);
    if (!TrainingConfig{}.toJson().contains(path[0])) {
        return std::nullopt;
    }
    return path;
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) {
        text += (text.empty() ? "" : ", ") + name;
    }
    return text;
}

std::string unknownSetting(const Project& project, const std::string& setting) {
    std::vector<std::string> trainingKeys, layers;
    const nlohmann::json training = TrainingConfig{}.toJson();
    for (const auto& [key, value] : training.items()) {
        trainingKeys.push_back(key);
    }
    for (const Graph::Node& node : project.graph.nodes()) {
        if (node.layer->type() != "Input") {
            layers.push_back(node.layer->name());
        }
    }
    return "unknown setting '" + setting +
           "': an experiment varies optimizer, lr, batch, epochs, seed, a key of the training "
           "section (" +
           joined(trainingKeys) +
           ") or a dotted path into one (optimizer.params.momentum), or LAYER.PARAM for a layer "
           "of this network (" +
           joined(layers) + ")";
}

ConfigError refused(const std::string& setting, const nlohmann::json& value, const Error& why) {
    return ConfigError(setting + " " + jsonExcerpt(value) + ": " + why.what());
}

// Checks what only building an optimizer checks: its name and parameters.
void checkOptimizer(const TrainingConfig& training) {
    makeOptimizer(training.optimizer, training.optimizerParams);
}

// A name keeps the learning rate (it is the experiment's, not the old optimizer's); the other
// parameters would not fit the new optimizer, so they go back to its defaults. An object is
// the training section's whole optimizer.
void setOptimizer(TrainingConfig& training, const nlohmann::json& value) {
    if (value.is_object()) {
        const TrainingConfig chosen = TrainingConfig::fromJson({{"optimizer", value}});
        training.optimizer = chosen.optimizer;
        training.optimizerParams = chosen.optimizerParams;
    } else if (!value.is_string()) {
        throw ConfigError(
            "the optimizer is a name (sgd, rmsprop, ...) or {\"type\": ..., "
            "\"params\": {...}}, not " +
            jsonExcerpt(value));
    } else if (value.get<std::string>() != training.optimizer) {
        nlohmann::json params = nlohmann::json::object();
        if (training.optimizerParams.contains("learning_rate")) {
            params["learning_rate"] = training.optimizerParams["learning_rate"];
        }
        training.optimizer = value.get<std::string>();
        training.optimizerParams = params;
    }
    checkOptimizer(training);
}

void setTrainingValue(TrainingConfig& training, const std::vector<std::string>& path,
                      const nlohmann::json& value) {
    nlohmann::json json = training.toJson();
    nlohmann::json* at = &json;
    std::string where = "training";
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        where += "." + path[i];
        if (!at->contains(path[i]) || !(*at)[path[i]].is_object()) {
            throw ConfigError(where + " is not a section with settings of its own");
        }
        at = &(*at)[path[i]];
    }
    (*at)[path.back()] = value;
    training = TrainingConfig::fromJson(json);
    checkOptimizer(training);
}

bool declaresParameter(const Layer& layer, const std::string& parameter) {
    for (const ParamSpec& spec : layer.kind().params) {
        if (spec.name == parameter) {
            return true;
        }
    }
    return false;
}

std::string parameterNames(const Layer& layer) {
    std::vector<std::string> names;
    for (const ParamSpec& spec : layer.kind().params) {
        names.push_back(spec.name);
    }
    return joined(names);
}

void setLayerParameter(Project& project, const std::string& setting, const nlohmann::json& value) {
    const size_t dot = setting.rfind('.');
    const std::string name = dot == std::string::npos ? "" : setting.substr(0, dot);
    const std::string parameter = dot == std::string::npos ? "" : setting.substr(dot + 1);
    if (name.empty() || !project.graph.contains(name)) {
        throw ConfigError(unknownSetting(project, setting));
    }
    const Layer& layer = *project.graph.node(name).layer;
    if (layer.type() == "Input") {
        throw ConfigError("'" + setting +
                          "': the Input layer's parameters cannot be varied, since the data are "
                          "loaded once for every trial");
    }
    if (!declaresParameter(layer, parameter)) {
        throw ConfigError("'" + setting + "': layer '" + name + "' (" + layer.type() +
                          ") has no parameter '" + parameter +
                          "'; its parameters: " + parameterNames(layer));
    }
    nlohmann::json json = project.graph.toJson();
    for (nlohmann::json& entry : json["layers"]) {
        if (entry["name"] == name) {
            entry["params"][parameter] = value;
        }
    }
    try {
        project.graph = Graph::fromJson(json);
    } catch (const Error& error) {
        throw refused(setting, value, error);
    }
    project.hasWeights = false;
    project.optimizer.reset();
    project.position = TrainingPosition{};
}

}  // namespace

void applySetting(Project& project, const std::string& setting, const nlohmann::json& value) {
    const std::optional<std::vector<std::string>> path = trainingPath(setting);
    if (!path) {
        setLayerParameter(project, setting, value);
        return;
    }
    try {
        if (setting == "optimizer") {
            setOptimizer(project.training, value);
        } else {
            setTrainingValue(project.training, *path, value);
        }
    } catch (const ConfigError& error) {
        throw refused(setting, value, error);
    }
}

Project trialProject(const Project& base, const ExperimentTrial& trial) {
    Project project = runSnapshot(base, true);
    if (trial.values.contains("optimizer")) {
        applySetting(project, "optimizer", trial.values["optimizer"]);
    }
    for (const auto& [setting, value] : trial.values.items()) {
        if (setting != "optimizer") {
            applySetting(project, setting, value);
        }
    }
    const std::vector<NodeDiagnostic> problems = project.graph.validate();
    if (!problems.empty()) {
        const NodeDiagnostic& first = problems.front();
        throw ConfigError("trial '" + trial.name +
                          "': " + (first.node.empty() ? "" : "layer '" + first.node + "': ") +
                          first.message);
    }
    return project;
}

}  // namespace loom
