// Keras compile settings <-> TrainingConfig. Keras 1 and standalone Keras 2 name the rate
// "lr" and start Adagrad's accumulator at zero; tf.keras and Keras 3 say "learning_rate" and
// write initial_accumulator_value.

#include "io/KerasTraining.h"

#include "io/KerasNaming.h"

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/Loss.h>
#include <loom/Optimizer.h>

#include <cctype>

namespace loom {
namespace {

using nlohmann::json;

struct OptimizerName {
    const char* loom;
    const char* keras;
};

constexpr OptimizerName kOptimizers[] = {
    {"sgd", "SGD"},   {"rmsprop", "RMSprop"}, {"adagrad", "Adagrad"},
    {"adam", "Adam"}, {"adamw", "AdamW"},
};

std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

/// "Adam", "keras.optimizers.Adam" or "Custom>Adam" -> "adam" when Loom has it.
std::optional<std::string> loomOptimizer(const std::string& kerasClass) {
    std::string base = kerasClass.substr(kerasClass.find_last_of(".>") + 1);
    for (const OptimizerName& o : kOptimizers) {
        if (lower(base) == o.loom) {
            return o.loom;
        }
    }
    return std::nullopt;
}

/// One hyperparameter, copied when it is a number or a bool.
void copyParam(const json& from, const char* key, json& to, const char* as = nullptr) {
    if (from.contains(key) && (from[key].is_number() || from[key].is_boolean())) {
        to[as != nullptr ? as : key] = from[key];
    }
}

json optimizerParams(const std::string& type, const json& cfg, std::vector<std::string>& warnings) {
    json params = json::object();
    copyParam(cfg, "lr", params, "learning_rate");
    copyParam(cfg, "learning_rate", params);
    if (cfg.contains("learning_rate") && cfg["learning_rate"].is_object()) {
        warnings.push_back("the learning-rate schedule " + jsonExcerpt(cfg["learning_rate"]) +
                           " was left out; Loom uses its own schedules");
    }
    if (cfg.value("decay", 0.0) != 0.0) {
        warnings.push_back("Keras' per-step learning-rate decay was left out");
    }
    if (type == "sgd") {
        copyParam(cfg, "momentum", params);
        copyParam(cfg, "nesterov", params);
    } else if (type == "rmsprop") {
        copyParam(cfg, "rho", params);
        copyParam(cfg, "epsilon", params);
        if (cfg.value("momentum", 0.0) != 0.0 || cfg.value("centered", false)) {
            warnings.push_back("RMSprop's momentum and centered options were left out");
        }
    } else if (type == "adagrad") {
        copyParam(cfg, "epsilon", params);
        // Keras before tf.keras started the accumulator at zero and did not say so.
        params["initial_accumulator_value"] = cfg.value("initial_accumulator_value", 0.0);
    } else {
        copyParam(cfg, "beta_1", params);
        copyParam(cfg, "beta_2", params);
        copyParam(cfg, "epsilon", params);
        if (type == "adamw") {
            copyParam(cfg, "weight_decay", params);
        }
        if (cfg.value("amsgrad", false)) {
            warnings.push_back("Adam's amsgrad option was left out");
        }
    }
    return params;
}

/// "mse", "categorical_crossentropy", {"class_name": "CategoricalCrossentropy", ...} or a
/// one-output list/dict of those -> Loom's loss name.
std::optional<std::string> lossName(const json& loss, std::vector<std::string>& warnings) {
    if ((loss.is_array() || loss.is_object()) && loss.size() == 1 && !loss.contains("class_name")) {
        return lossName(loss.begin().value(), warnings);
    }
    std::string name;
    if (loss.is_string()) {
        name = loss.get<std::string>();
    } else if (loss.is_object() && loss.contains("class_name")) {
        const json& cfg = loss.value("config", json());
        if (cfg.is_string()) {
            name = cfg.get<std::string>();  // a serialized loss function
        } else {
            name = kerasSnakeCase(loss["class_name"].get<std::string>());
            if (cfg.is_object() && cfg.value("from_logits", false)) {
                warnings.push_back(
                    "the loss works on logits (from_logits), which Loom's losses "
                    "do not; the training settings were left out");
                return std::nullopt;
            }
        }
    }
    try {
        return makeLoss(name)->type();
    } catch (const ConfigError&) {
        warnings.push_back("the loss " + jsonExcerpt(loss) +
                           " is not one Loom has; the training settings were left out");
        return std::nullopt;
    }
}

std::optional<TrainingConfig> readTraining(const json& config, std::vector<std::string>& warnings) {
    const json optimizer = config.contains("optimizer_config") ? config["optimizer_config"]
                                                               : config.value("optimizer", json());
    if (!optimizer.is_object() || !optimizer.contains("class_name")) {
        warnings.push_back("the training settings name no optimizer and were left out");
        return std::nullopt;
    }
    const std::string cls = optimizer["class_name"].is_string()
                                ? optimizer["class_name"].get<std::string>()
                                : jsonExcerpt(optimizer["class_name"]);
    std::optional<std::string> type = loomOptimizer(cls);
    if (!type) {
        warnings.push_back("the optimizer '" + cls +
                           "' is not one Loom has; the training settings were left out");
        return std::nullopt;
    }
    std::optional<std::string> loss = lossName(config.value("loss", json()), warnings);
    if (!loss) {
        return std::nullopt;
    }
    const json& cfg = optimizer.value("config", json::object());
    TrainingConfig training;
    training.optimizer = *type;
    training.optimizerParams =
        optimizerParams(*type, cfg.is_object() ? cfg : json::object(), warnings);
    training.loss = *loss;
    try {
        makeOptimizer(training.optimizer, training.optimizerParams);
    } catch (const ConfigError& e) {
        warnings.push_back(std::string("the optimizer settings were left out: ") + e.what());
        return std::nullopt;
    }
    return training;
}

}  // namespace

std::optional<TrainingConfig> trainingFromKeras(const json& config,
                                                std::vector<std::string>& warnings) {
    try {
        return readTraining(config, warnings);
    } catch (const json::exception& e) {
        warnings.push_back(std::string("the training settings were left out: ") + e.what());
        return std::nullopt;
    }
}

std::string kerasOptimizerClass(const std::string& optimizerType) {
    for (const OptimizerName& o : kOptimizers) {
        if (optimizerType == o.loom) {
            return o.keras;
        }
    }
    throw IoError("the optimizer '" + optimizerType + "' has no Keras counterpart");
}

json kerasTrainingConfig(const TrainingConfig& training, const json* optimizerParams) {
    const std::string cls = kerasOptimizerClass(training.optimizer);
    json params =
        optimizerParams != nullptr
            ? *optimizerParams
            : makeOptimizer(training.optimizer, training.optimizerParams)->params().toJson();
    params["name"] = cls;
    if (training.optimizer == "rmsprop") {
        params["momentum"] = 0.0;
        params["centered"] = false;
    } else if (training.optimizer == "adam" || training.optimizer == "adamw") {
        params["amsgrad"] = false;
    }
    const bool classifier = training.loss != "mean_squared_error";
    return {{"optimizer_config", {{"class_name", cls}, {"config", params}}},
            {"loss", training.loss},
            {"metrics", classifier ? json::array({"accuracy"}) : json(nullptr)},
            {"weighted_metrics", nullptr},
            {"loss_weights", nullptr},
            {"sample_weight_mode", nullptr}};
}

std::vector<KerasSlot> kerasSlots(const std::string& optimizerType, const json& optimizerParams) {
    if (optimizerType == "sgd") {
        if (optimizerParams.value("momentum", 0.0) > 0.0) {
            return {{"momentum", "momentum"}};
        }
        return {};
    }
    if (optimizerType == "rmsprop") {
        return {{"velocity", "rms"}};
    }
    if (optimizerType == "adagrad") {
        return {{"accumulator", "accumulator"}};
    }
    return {{"momentum", "m"}, {"velocity", "v"}};
}

}  // namespace loom
