// An experiment's plan: its axes, the trials they make, and the two ways a person writes them
// (a model file's "experiment" section, loom-cli's --vary).

#include <loom/Dataset.h>
#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/Json.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>

namespace loom {

namespace {

// Beyond this a grid is a mistake (ten settings of four values): no one trains that many runs.
constexpr size_t kMaxGridSize = 1'000'000;

std::string plainText(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// "sgd" for the optimizer, which its value names; "lr 0.01" for every other setting.
std::string describeSetting(const std::string& setting, const nlohmann::json& value) {
    const std::string text = valueText(setting, value);
    return setting == "optimizer" ? text : setting + " " + text;
}

void checkAxis(const ExperimentAxis& axis) {
    if (axis.setting.empty()) {
        throw ConfigError("an experiment axis needs a setting to vary (such as lr or dense.units)");
    }
    if (axis.values.empty()) {
        throw ConfigError("experiment: '" + axis.setting + "' needs at least one value");
    }
    for (size_t i = 0; i < axis.values.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (axis.values[i] == axis.values[j]) {
                throw ConfigError("experiment: '" + axis.setting + "' lists " +
                                  jsonExcerpt(axis.values[i]) + " twice");
            }
        }
    }
}

void checkAxes(const std::vector<ExperimentAxis>& axes) {
    if (axes.empty()) {
        throw ConfigError(
            "an experiment needs a setting to vary: pass --vary KEY=v1,v2 (e.g. --vary "
            "optimizer=sgd,rmsprop,adagrad) or give the model an \"experiment\" section");
    }
    std::set<std::string> seen;
    for (const ExperimentAxis& axis : axes) {
        checkAxis(axis);
        if (!seen.insert(axis.setting).second) {
            throw ConfigError("experiment: '" + axis.setting + "' is varied twice");
        }
    }
}

// The trial at `index` of the grid, in its order (the last axis changing fastest).
ExperimentTrial gridTrial(const std::vector<ExperimentAxis>& axes, size_t index) {
    std::vector<size_t> positions(axes.size());
    for (size_t a = axes.size(); a-- > 0;) {
        positions[a] = index % axes[a].values.size();
        index /= axes[a].values.size();
    }
    ExperimentTrial trial{"", nlohmann::json::object()};
    for (size_t a = 0; a < axes.size(); ++a) {
        const nlohmann::json& value = axes[a].values[positions[a]];
        trial.values[axes[a].setting] = value;
        trial.name += (a == 0 ? "" : ", ") + describeSetting(axes[a].setting, value);
    }
    return trial;
}

std::string trimmed(const std::string& text) {
    const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
    auto begin = std::find_if_not(text.begin(), text.end(), space);
    auto end = std::find_if_not(text.rbegin(), text.rend(), space).base();
    return begin < end ? std::string(begin, end) : std::string();
}

// "a,[1,2],\"b,c\"" -> a | [1,2] | "b,c": commas split only outside brackets and quotes.
std::vector<std::string> splitValues(const std::string& text) {
    std::vector<std::string> pieces{""};
    int depth = 0;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted && c == '\\' && i + 1 < text.size()) {
            pieces.back() += c;
            pieces.back() += text[++i];
            continue;
        }
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && (c == '[' || c == '{')) {
            ++depth;
        } else if (!quoted && (c == ']' || c == '}')) {
            --depth;
        } else if (!quoted && depth == 0 && c == ',') {
            pieces.emplace_back();
            continue;
        }
        pieces.back() += c;
    }
    return pieces;
}

bool isBareWord(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
    });
}

nlohmann::json parseValue(const std::string& piece, const std::string& setting) {
    const std::string text = trimmed(piece);
    if (text.empty()) {
        throw ConfigError("--vary " + setting + ": a value is empty (values are separated by ',')");
    }
    try {
        return parseJson(text, "--vary " + setting);
    } catch (const IoError& error) {
        if (isBareWord(text)) {
            return text;  // a name such as sgd, which JSON would have quoted
        }
        throw ConfigError(error.what());
    }
}

uint64_t wholeNumber(const nlohmann::json& section, const char* key, uint64_t fallback) {
    const auto found = section.find(key);
    if (found == section.end()) {
        return fallback;
    }
    // Signed or unsigned: a number written in code is signed, one read from a file unsigned.
    if (!found->is_number_integer() ||
        (!found->is_number_unsigned() && found->get<int64_t>() < 0)) {
        throw ConfigError(std::string("experiment: \"") + key +
                          "\" must be a whole number of 0 or more, not " + jsonExcerpt(*found));
    }
    return found->get<uint64_t>();
}

}  // namespace

std::string valueText(const std::string& setting, const nlohmann::json& value) {
    if (setting != "optimizer" || !value.is_object()) {
        return plainText(value);
    }
    std::string text = plainText(value.value("type", nlohmann::json("sgd")));
    const nlohmann::json params = value.value("params", nlohmann::json::object());
    for (const auto& [name, parameter] : params.items()) {
        text +=
            " " + (name == "learning_rate" ? std::string("lr") : name) + " " + plainText(parameter);
    }
    return text;
}

size_t ExperimentPlan::gridSize() const {
    size_t size = 1;
    for (const ExperimentAxis& axis : axes) {
        if (axis.values.size() > kMaxGridSize / size) {
            throw ConfigError("the experiment's grid has more than " +
                              std::to_string(kMaxGridSize) +
                              " combinations; vary fewer settings or fewer values, or pass "
                              "\"random\": N to train a sample of them");
        }
        size *= axis.values.size();
    }
    return size;
}

std::vector<ExperimentTrial> ExperimentPlan::trials() const {
    checkAxes(axes);
    const size_t size = gridSize();
    std::vector<int64_t> indices(size);
    std::iota(indices.begin(), indices.end(), int64_t{0});
    if (randomTrials != 0 && randomTrials < size) {
        indices = shuffledIndices(static_cast<int64_t>(size), seed);
        indices.resize(randomTrials);
        std::sort(indices.begin(), indices.end());
    }
    std::vector<ExperimentTrial> trials;
    trials.reserve(indices.size());
    for (int64_t index : indices) {
        trials.push_back(gridTrial(axes, static_cast<size_t>(index)));
    }
    return trials;
}

ExperimentPlan ExperimentPlan::fromJson(const nlohmann::json& json) {
    if (!json.is_object()) {
        throw ConfigError(
            "\"experiment\" must be a JSON object such as {\"vary\": {\"optimizer\": "
            "[\"sgd\", \"rmsprop\"]}}");
    }
    for (const auto& [key, value] : json.items()) {
        if (key != "vary" && key != "random" && key != "seed") {
            throw ConfigError("experiment: unknown key '" + key + "'; known: vary, random, seed");
        }
    }
    const nlohmann::json vary = json.value("vary", nlohmann::json::object());
    if (!vary.is_object()) {
        throw ConfigError("experiment: \"vary\" must map settings to lists of values, not " +
                          jsonExcerpt(vary));
    }
    ExperimentPlan plan;
    for (const auto& [setting, values] : vary.items()) {
        if (!values.is_array()) {
            throw ConfigError("experiment: '" + setting + "' must be a list of values, not " +
                              jsonExcerpt(values));
        }
        plan.axes.push_back({setting, std::vector<nlohmann::json>(values.begin(), values.end())});
    }
    checkAxes(plan.axes);
    plan.randomTrials = wholeNumber(json, "random", plan.randomTrials);
    plan.seed = wholeNumber(json, "seed", plan.seed);
    return plan;
}

nlohmann::json ExperimentPlan::toJson() const {
    nlohmann::json vary = nlohmann::json::object();
    for (const ExperimentAxis& axis : axes) {
        vary[axis.setting] = axis.values;
    }
    return {{"vary", vary}, {"random", randomTrials}, {"seed", seed}};
}

ExperimentAxis parseVary(const std::string& text) {
    const size_t equals = text.find('=');
    const std::string setting = trimmed(text.substr(0, equals));
    if (equals == std::string::npos || setting.empty()) {
        throw ConfigError("--vary takes KEY=v1,v2,... (e.g. --vary lr=0.1,0.01), not '" + text +
                          "'");
    }
    ExperimentAxis axis{setting, {}};
    for (const std::string& piece : splitValues(text.substr(equals + 1))) {
        axis.values.push_back(parseValue(piece, setting));
    }
    checkAxis(axis);
    return axis;
}

}  // namespace loom
