#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/TrainingConfig.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

/// json[key] as a T, or fallback when absent. nlohmann's own conversion casts a float such as
/// 1e300 or -1.5 straight to the integer type, which is undefined behaviour; a number that is
/// fractional or out of T's range is a ConfigError here instead.
template <typename T>
T wholeNumberOr(const nlohmann::json& json, const char* key, T fallback, const std::string& where) {
    auto found = json.find(key);
    if (found == json.end()) {
        return fallback;
    }
    const nlohmann::json& v = *found;
    using Limits = std::numeric_limits<T>;
    if (v.is_number_unsigned()) {
        if (v.get<uint64_t>() <= uint64_t(Limits::max())) {
            return T(v.get<uint64_t>());
        }
    } else if (v.is_number_integer()) {
        const int64_t i = v.get<int64_t>();
        if (i >= int64_t(Limits::min()) && (i < 0 || uint64_t(i) <= uint64_t(Limits::max()))) {
            return T(i);
        }
    } else if (v.is_number_float()) {
        // 2^digits is exact as a double, where T's max may not be (2^63 - 1 rounds up).
        const double d = v.get<double>(), end = std::ldexp(1.0, Limits::digits);
        if (d == std::floor(d) && d < end && d >= (Limits::is_signed ? -end : 0.0)) {
            return T(d);
        }
    } else {
        throw ConfigError(where + ": '" + key + "' must be a number, not " + jsonExcerpt(v));
    }
    throw ConfigError(where + ": '" + key + "' must be a whole number from " +
                      std::to_string(Limits::min()) + " to " + std::to_string(Limits::max()) +
                      ", not " + jsonExcerpt(v));
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
    s.every = wholeNumberOr(json, "every", s.every, "schedule");
    s.patience = wholeNumberOr(json, "patience", s.patience, "schedule");
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
    e.patience = wholeNumberOr(json, "patience", e.patience, "early_stopping");
    e.minDelta = json.value("min_delta", e.minDelta);
    e.restoreBestWeights = json.value("restore_best_weights", e.restoreBestWeights);
    return e;
}

DivergenceGuardConfig readDivergenceGuard(const nlohmann::json& json) {
    checkKeys(json, {"action", "factor"}, "divergence_guard");
    DivergenceGuardConfig g;
    g.action = json.value("action", g.action);
    if (g.action != "stop" && g.action != "warn" && g.action != "off") {
        throw ConfigError("divergence_guard: action must be stop, warn or off, not '" + g.action +
                          "'");
    }
    g.factor = json.value("factor", g.factor);
    if (!(g.factor > 1)) {
        throw ConfigError("divergence_guard: factor must be above 1");
    }
    return g;
}

StatisticsConfig readStatistics(const nlohmann::json& json) {
    checkKeys(json, {"enabled", "every"}, "statistics");
    StatisticsConfig s;
    s.enabled = json.value("enabled", s.enabled);
    s.every = wholeNumberOr(json, "every", s.every, "statistics");
    if (s.every < 0) {
        throw ConfigError("statistics: every must be 0 (about 20 samples an epoch) or more steps");
    }
    return s;
}

TrainingConfig readConfig(const nlohmann::json& json) {
    checkKeys(json,
              {"optimizer", "loss", "batch_size", "epochs", "seed", "shuffle", "top_k", "schedule",
               "early_stopping", "divergence_guard", "statistics", "metrics", "device", "workers",
               "sync_batch_norm"},
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
    c.batchSize = wholeNumberOr(json, "batch_size", c.batchSize, "training");
    c.epochs = wholeNumberOr(json, "epochs", c.epochs, "training");
    c.seed = wholeNumberOr(json, "seed", c.seed, "training");
    c.shuffle = json.value("shuffle", c.shuffle);
    c.topK = wholeNumberOr(json, "top_k", c.topK, "training");
    c.device = json.value("device", c.device);
    // Only the spelling is checked: a project saved on a GPU machine must still open on one
    // without, where "cuda" then fails (or "auto" falls back) when training starts.
    if (!isDeviceSpec(c.device)) {
        throw ConfigError("training: unknown device '" + c.device +
                          "'; use auto, cpu, cuda or cuda:N");
    }
    c.workers = wholeNumberOr(json, "workers", c.workers, "training");
    c.syncBatchNorm = json.value("sync_batch_norm", c.syncBatchNorm);
    if (c.workers < 1 || c.workers > TrainingConfig::kMaxWorkers) {
        throw ConfigError("training: workers must be 1.." +
                          std::to_string(TrainingConfig::kMaxWorkers));
    }
    if (c.workers > 1 && c.device != "cpu") {
        throw ConfigError("training: " + std::to_string(c.workers) +
                          " workers train on the CPU only in this Loom; set the device to cpu "
                          "or the workers to 1");
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
    // Absent in files saved before the guard existed: they train with its defaults.
    if (json.contains("divergence_guard")) {
        c.divergenceGuard = readDivergenceGuard(json["divergence_guard"]);
    }
    if (json.contains("statistics")) {
        c.statistics = readStatistics(json["statistics"]);
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
        {"workers", workers},
        {"sync_batch_norm", syncBatchNorm},
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
        {"divergence_guard",
         {{"action", divergenceGuard.action}, {"factor", divergenceGuard.factor}}},
        {"statistics", {{"enabled", statistics.enabled}, {"every", statistics.every}}},
    };
}

int64_t StatisticsConfig::interval(int64_t batchesPerEpoch) const {
    constexpr int64_t kSamplesPerEpoch = 20;
    return every > 0 ? every : std::max<int64_t>(1, batchesPerEpoch / kSamplesPerEpoch);
}

}  // namespace loom
