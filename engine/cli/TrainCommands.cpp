// summary, train and evaluate.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/DataSource.h"
#include "cli/ModelFile.h"
#include "cli/ProgressPrinter.h"

#include <loom/BackgroundRun.h>
#include <loom/Error.h>
#include <loom/Trainer.h>
#include <loom/WeightsFile.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <thread>

namespace loom::cli {

namespace {

const std::string& modelPath(const Arguments& args) {
    if (args.positionals().empty()) {
        throw ConfigError("which model? pass a model file (e.g. examples/w1_softmax.json)");
    }
    return args.positionals()[0];
}

// --epochs, --batch, --optimizer, --lr and --seed override the model file's settings.
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
    if (c.epochs < 0 || c.batchSize < 1) {
        throw ConfigError("--epochs must be >= 0 and --batch >= 1");
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
    for (const std::string& note : data.notes) {
        std::printf("note: %s\n", note.c_str());
    }
    for (const SkippedFile& s : data.skipped) {
        std::printf("skipped: %s (%s)\n", s.path.c_str(), s.reason.c_str());
    }
}

void printEvaluation(const char* name, const EvaluationResult& r,
                     const std::vector<std::string>& classes, bool details) {
    std::printf("%s: loss %.4f", name, r.loss);
    if (!r.metrics) {
        std::printf(" (%lld samples)\n", static_cast<long long>(r.samples));
        return;
    }
    const ClassificationMetrics& m = *r.metrics;
    std::printf("  accuracy %.4f  top-%d %.4f  (%lld samples)\n", m.accuracy(), m.topK(),
                m.topKAccuracy(), static_cast<long long>(r.samples));
    if (!details) {
        return;
    }
    std::printf("\n%-14s %8s   confusion (rows: true, columns: predicted)\n", "class", "accuracy");
    std::vector<double> perClass = m.perClassAccuracy();
    for (int64_t t = 0; t < m.classes(); ++t) {
        std::string label =
            t < static_cast<int64_t>(classes.size()) ? classes[t] : std::to_string(t);
        std::printf("%-14.14s %8.4f  ", label.c_str(), perClass[static_cast<size_t>(t)]);
        for (int64_t p = 0; p < m.classes(); ++p) {
            std::printf(" %5lld", static_cast<long long>(
                                      m.confusion()[static_cast<size_t>(t * m.classes() + p)]));
        }
        std::printf("\n");
    }
}

volatile std::sig_atomic_t g_interrupted = 0;

void onInterrupt(int) {
    g_interrupted = 1;
}

// Trains on a worker thread while this one watches for Ctrl-C, which stops training at the
// end of the current batch (the weights are then still saved) instead of killing the process.
TrainingHistory trainInterruptibly(Trainer& trainer, const LoadedData& data,
                                   ProgressPrinter& printer) {
    std::atomic<bool> done{false};
    TrainingHistory history;
    BackgroundRun run([&](RunControl& control) {
        struct MarkDone {
            std::atomic<bool>& flag;
            ~MarkDone() { flag = true; }
        } mark{done};
        history = trainer.fit(data.train, data.validation ? &*data.validation : nullptr, &printer,
                              &control);
    });
    g_interrupted = 0;
    auto previous = std::signal(SIGINT, onInterrupt);
    while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (g_interrupted) {
            run.control().requestStop();
        }
    }
    std::signal(SIGINT, previous);
    run.wait();
    return history;
}

}  // namespace

int runSummary(int argc, char** argv) {
    Arguments args(argc, argv, 2, {}, {});
    ModelFile model = readModelFile(modelPath(args));
    model.graph.build(model.training.seed);
    std::fputs(modelSummary(model.graph).c_str(), stdout);
    return 0;
}

int runTrain(int argc, char** argv) {
    Arguments args(argc, argv, 2,
                   {"data", "epochs", "batch", "optimizer", "lr", "seed", "validation-split",
                    "weights", "save", "checkpoint", "threads"},
                   {});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    ModelFile model = readModelFile(modelPath(args));
    applyOverrides(args, model.training);
    if (auto split = args.number("validation-split")) {
        model.data["validation_split"] = *split;
    }
    model.graph.build(model.training.seed);
    if (auto weights = args.value("weights")) {
        loadWeights(model.graph, *weights);
    }
    const Shape input = model.graph.node(model.graph.inputNames().at(0)).outputShape;
    LoadedData data = loadData(args.value("data", ""), model.data, input);
    reportData(data);
    std::printf(
        "model: %s, %lld parameters; %s (%s), loss %s, batch %lld, %d epoch(s), %d threads\n",
        model.graph.name().c_str(), static_cast<long long>(model.graph.parameterCount()),
        model.training.optimizer.c_str(), model.training.optimizerParams.dump().c_str(),
        model.training.loss.c_str(), static_cast<long long>(model.training.batchSize),
        model.training.epochs, cpuThreads());
    Trainer trainer(model.graph, model.training);
    if (auto checkpoint = args.value("checkpoint")) {
        trainer.onEpochEnd = [&graph = model.graph, path = *checkpoint](const EpochProgress&) {
            saveWeights(graph, path);
        };
    }
    ProgressPrinter printer(stdout);
    TrainingHistory history = trainInterruptibly(trainer, data, printer);
    printer.printTable();
    if (data.test) {
        printEvaluation("test", trainer.evaluate(*data.test), data.train.classNames, false);
    }
    if (auto save = args.value("save")) {
        saveWeights(model.graph, *save);
        std::printf("weights saved to %s\n", save->c_str());
    }
    switch (history.finished.reason) {
        case RunFinished::Reason::Completed:
        case RunFinished::Reason::EarlyStopped:
            return 0;
        case RunFinished::Reason::Stopped:
            return 130;  // what a shell reports after Ctrl-C
        default:
            return 1;
    }
}

int runEvaluate(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"data", "weights", "batch", "threads"}, {});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    ModelFile model = readModelFile(modelPath(args));
    applyOverrides(args, model.training);
    model.graph.build(model.training.seed);
    auto weights = args.value("weights");
    if (!weights) {
        throw ConfigError("evaluate needs --weights FILE (written by loom-cli train --save)");
    }
    loadWeights(model.graph, *weights);
    const Shape input = model.graph.node(model.graph.inputNames().at(0)).outputShape;
    LoadedData data = loadData(args.value("data", ""), model.data, input);
    Trainer trainer(model.graph, model.training);
    const Dataset& target = data.test         ? *data.test
                            : data.validation ? *data.validation
                                              : data.train;
    printEvaluation(data.test ? "test" : "data", trainer.evaluate(target), data.train.classNames,
                    true);
    return 0;
}

}  // namespace loom::cli
