#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/TrainingConfig.h>

#include <set>

namespace loom {

namespace {

void checkKeys(const nlohmann::json& json, const std::set<std::string>& known,
               const std::string& where) {
    if (!json.is_object()) {
        throw ConfigError(where + " must be a JSON object");
    }
    for (const auto& [key, value] : json.items()) {
        if (!known.count(key)) {
            std::string list;
            for (const std::string& k : known) {
                list += (list.empty() ? "" : ", ") + k;
            }
            throw ConfigError(where + ": unknown key '" + key + "'; known: " + list);
        }
    }
}

ScheduleConfig readSchedule(const nlohmann::json& json) {
    checkKeys(json, {"type", "factor", "every", "patience", "min_learning_rate"}, "schedule");
    ScheduleConfig s;
    s.type = json.value("type", s.type);
    static const std::set<std::string> types{"constant", "step", "exponential", "cosine",
                                             "plateau"};
    if (!types.count(s.type)) {
        throw ConfigError("schedule: unknown type '" + s.type +
                          "'; known: constant, step, exponential, cosine, plateau");
    }
    s.factor = json.value("factor", s.factor);
    s.every = json.value("every", s.every);
    s.patience = json.value("patience", s.patience);
    s.minLearningRate = json.value("min_learning_rate", s.minLearningRate);
    if (s.factor <= 0 || s.every < 1 || s.patience < 0 || s.minLearningRate < 0) {
        throw ConfigError("schedule: factor must be > 0, every >= 1, patience >= 0");
    }
    return s;
}

EarlyStoppingConfig readEarlyStopping(const nlohmann::json& json) {
    checkKeys(json, {"enabled", "monitor", "patience", "min_delta", "restore_best_weights"},
              "early_stopping");
    EarlyStoppingConfig e;
    e.enabled = json.value("enabled", true);
    e.monitor = json.value("monitor", e.monitor);
    static const std::set<std::string> monitors{"val_loss", "val_accuracy", "loss", "accuracy"};
    if (!monitors.count(e.monitor)) {
        throw ConfigError(
            "early_stopping: monitor must be val_loss, val_accuracy, loss or "
            "accuracy, not '" +
            e.monitor + "'");
    }
    e.patience = json.value("patience", e.patience);
    e.minDelta = json.value("min_delta", e.minDelta);
    e.restoreBestWeights = json.value("restore_best_weights", e.restoreBestWeights);
    return e;
}

TrainingConfig readConfig(const nlohmann::json& json) {
    checkKeys(json,
              {"optimizer", "loss", "batch_size", "epochs", "seed", "shuffle", "top_k", "schedule",
               "early_stopping", "metrics", "device"},
              "training");
    TrainingConfig c;
    if (json.contains("optimizer")) {
        const auto& o = json["optimizer"];
        if (o.is_string()) {
            c.optimizer = o.get<std::string>();
        } else {
            checkKeys(o, {"type", "params"}, "training.optimizer");
            c.optimizer = o.value("type", c.optimizer);
            c.optimizerParams = o.value("params", nlohmann::json::object());
        }
    }
    c.loss = json.value("loss", c.loss);
    c.batchSize = json.value("batch_size", c.batchSize);
    c.epochs = json.value("epochs", c.epochs);
    c.seed = json.value("seed", c.seed);
    c.shuffle = json.value("shuffle", c.shuffle);
    c.topK = json.value("top_k", c.topK);
    c.device = json.value("device", c.device);
    // Only the spelling is checked: a project saved on a GPU machine must still open on one
    // without, where "cuda" then fails (or "auto" falls back) when training starts.
    if (!isDeviceSpec(c.device)) {
        throw ConfigError("training: unknown device '" + c.device +
                          "'; use auto, cpu, cuda or cuda:N");
    }
    if (c.batchSize < 1 || c.batchSize > (1 << 20) || c.epochs < 0 || c.topK < 1) {
        throw ConfigError("training: batch_size must be 1..1048576, epochs >= 0, top_k >= 1");
    }
    if (json.contains("schedule")) {
        c.schedule = readSchedule(json["schedule"]);
    }
    if (json.contains("early_stopping")) {
        c.earlyStopping = readEarlyStopping(json["early_stopping"]);
    }
    return c;
}

}  // namespace

TrainingConfig TrainingConfig::fromJson(const nlohmann::json& json) {
    try {
        return readConfig(json);
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(std::string("training: a value has the wrong type (") + e.what() + ")");
    }
}

nlohmann::json TrainingConfig::toJson() const {
    return {
        {"optimizer", {{"type", optimizer}, {"params", optimizerParams}}},
        {"loss", loss},
        {"batch_size", batchSize},
        {"epochs", epochs},
        {"seed", seed},
        {"shuffle", shuffle},
        {"top_k", topK},
        {"device", device},
        {"schedule",
         {{"type", schedule.type},
          {"factor", schedule.factor},
          {"every", schedule.every},
          {"patience", schedule.patience},
          {"min_learning_rate", schedule.minLearningRate}}},
        {"early_stopping",
         {{"enabled", earlyStopping.enabled},
          {"monitor", earlyStopping.monitor},
          {"patience", earlyStopping.patience},
          {"min_delta", earlyStopping.minDelta},
          {"restore_best_weights", earlyStopping.restoreBestWeights}}},
    };
}

}  // namespace loom
