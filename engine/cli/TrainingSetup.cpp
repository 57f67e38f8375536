#include "cli/TrainingSetup.h"

#include <loom/BackgroundRun.h>
#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Platform.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace loom::cli {

const std::string& modelPath(const Arguments& args) {
    if (args.positionals().empty()) {
        throw ConfigError("which model? pass a model file (e.g. examples/w1_softmax.json)");
    }
    return args.positionals()[0];
}

Shape modelInput(const Graph& graph) {
    return graph.node(graph.inputNames().at(0)).outputShape;
}

std::string dataSpec(const Arguments& args, const ModelFile& model) {
    std::string spec = args.value("data", model.data.value("source", ""));
    if (spec.empty()) {
        throw ConfigError(
            "no data: pass --data (e.g. --data fashion-mnist) or give the model file a "
            "\"data\" section with a \"source\"");
    }
    return spec;
}

void applyOverrides(const Arguments& args, TrainingConfig& c) {
    c.epochs = static_cast<int>(args.integer("epochs").value_or(c.epochs));
    c.batchSize = args.integer("batch").value_or(c.batchSize);
    if (auto optimizer = args.value("optimizer"); optimizer && *optimizer != c.optimizer) {
        c.optimizer = *optimizer;
        c.optimizerParams = nlohmann::json::object();
    }
    if (auto lr = args.number("lr")) {
        c.optimizerParams["learning_rate"] = *lr;
    }
    c.seed = static_cast<uint64_t>(args.integer("seed").value_or(static_cast<int64_t>(c.seed)));
    c.device = args.value("device", c.device);
    if (c.epochs < 0 || c.batchSize < 1) {
        throw ConfigError("--epochs must be >= 0 and --batch >= 1");
    }
    if (args.flag("stats") && args.flag("no-stats")) {
        throw ConfigError("--stats and --no-stats contradict each other; pass one");
    }
    c.statistics.enabled = (c.statistics.enabled || args.flag("stats")) && !args.flag("no-stats");
    if (auto every = args.integer("stats-every")) {
        if (*every < 0) {
            throw ConfigError("--stats-every must be 0 (about 20 samples an epoch) or more steps");
        }
        c.statistics.every = *every;
    }
}

Backend& backendOf(const TrainingConfig& c) {
    Backend& backend = backendFor(parseDevice(c.device));
    if (backend.device().kind != DeviceKind::CPU) {
        for (const DeviceInfo& info : availableDevices()) {
            if (info.device == backend.device()) {
                std::printf("device: %s\n", info.describe().c_str());
            }
        }
    }
    return backend;
}

void reportNotes(const std::vector<std::string>& notes, const std::vector<SkippedFile>& skipped) {
    for (const std::string& note : notes) {
        std::printf("note: %s\n", note.c_str());
    }
    for (const SkippedFile& s : skipped) {
        std::printf("skipped: %s (%s)\n", s.path.c_str(), s.reason.c_str());
    }
}

void reportData(const LoadedData& data) {
    std::printf("data: %lld training samples of shape %s",
                static_cast<long long>(data.train.size()), data.train.sampleShape().str().c_str());
    if (data.validation) {
        std::printf(", %lld validation", static_cast<long long>(data.validation->size()));
    }
    if (data.test) {
        std::printf(", %lld test", static_cast<long long>(data.test->size()));
    }
    std::printf(", %lld classes\n", static_cast<long long>(data.train.classCount()));
    if (data.augmentation) {
        std::printf("augmentation: %s\n", data.augmentation->toJson().dump().c_str());
    }
    reportNotes(data.notes, data.skipped);
}

int runInterruptibly(const std::function<void(RunControl&)>& job) {
    std::atomic<bool> done{false};
    BackgroundRun run([&](RunControl& control) {
        struct MarkDone {
            std::atomic<bool>& flag;
            ~MarkDone() { flag = true; }
        } mark{done};
        job(control);
    });
    {
        const StopSignals stopSignals;
        while (!done) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (StopSignals::received() != 0) {
                run.control().requestStop();
            }
        }
    }
    run.wait();
    return StopSignals::received();
}

}  // namespace loom::cli
