// summary, train and evaluate.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"
#include "cli/ProgressPrinter.h"
#include "cli/TrainingSetup.h"
#include "cli/Workers.h"

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Evaluation.h>
#include <loom/NetworkChecks.h>
#include <loom/Platform.h>
#include <loom/RunRecorder.h>
#include <loom/Trainer.h>
#include <loom/WeightsFile.h>

#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

namespace loom::cli {

namespace {

void printEvaluation(const char* name, const ModelEvaluation& r,
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

// An evaluation whose loss is NaN or infinite measured nothing: an error, not a result.
void requireFiniteLoss(const ModelEvaluation& result) {
    if (!std::isfinite(result.loss)) {
        throw Error(std::string("the loss is ") + (std::isnan(result.loss) ? "NaN" : "infinite") +
                    ", so the numbers above mean nothing: the network's outputs overflowed or "
                    "are not numbers. Its weights (or the data) hold values that are too large, "
                    "NaN or infinite");
    }
}

bool isProjectPath(const std::string& path) {
    return path.size() > 5 && path.compare(path.size() - 5, 5, ".loom") == 0;
}

// Writes weights, or the whole project (state, run history) when the name ends in .loom.
void saveTrained(ModelFile& model, Trainer& trainer, const std::string& path) {
    if (isProjectPath(path)) {
        captureTrainingState(trainer, model);
        writeModelFile(model, path);
    } else {
        saveWeights(model.graph, path);
    }
}

// Trains until the end, or until a stop signal stops training at the end of the current batch
// (the weights are then still saved). Returns the history and the signal that stopped it, if
// any.
std::pair<TrainingHistory, int> trainInterruptibly(Trainer& trainer, const LoadedData& data,
                                                   ProgressSink& printer) {
    TrainingHistory history;
    const int stopSignal = runInterruptibly([&](RunControl& control) {
        history = trainer.fit(data.train, data.validation ? &*data.validation : nullptr, &printer,
                              &control);
    });
    return {std::move(history), stopSignal};
}

// Every sample of `spec`, normalised as the training data were: those the data section names,
// or when it names none, these.
void evaluateWholeSource(Trainer& trainer, const ModelFile& model, const std::string& spec) {
    const Shape input = modelInput(model.graph);
    const Normalization normalization =
        trainingNormalization(model.data.value("source", spec), model.data, input);
    EvaluationData data = loadEvaluationData(spec, model.data, input, normalization);
    reportNotes(data.notes, data.skipped);
    std::printf("evaluating %lld samples of %s\n", static_cast<long long>(data.data.size()),
                data.data.source.c_str());
    const ModelEvaluation result = evaluateModel(trainer, data.data);
    printEvaluation("data", result, data.data.classNames, true);
    requireFiniteLoss(result);
}

// What training held out of the model's own data: the test set, else the validation set.
void evaluateHeldOut(Trainer& trainer, const ModelFile& model, const std::string& spec) {
    LoadedData data = loadData(spec, model.data, modelInput(model.graph));
    reportNotes(data.notes, data.skipped);
    const auto [name, heldOut] = data.test         ? std::pair{"test", &*data.test}
                                 : data.validation ? std::pair{"validation", &*data.validation}
                                                   : std::pair{"training", &data.train};
    std::printf("evaluating the %lld %s samples of %s\n", static_cast<long long>(heldOut->size()),
                name, spec.c_str());
    const ModelEvaluation result = evaluateModel(trainer, *heldOut);
    printEvaluation(name, result, heldOut->classNames, true);
    requireFiniteLoss(result);
}

// How much of training the gradients' all-reduce took, hidden behind backward or not.
void printAllReduceShare(const Trainer& trainer, const TrainingHistory& history) {
    double seconds = 0;
    for (const EpochProgress& e : history.epochs) {
        seconds += e.seconds;
    }
    const Trainer::AllReduceSeconds allReduce = trainer.allReduceSeconds();
    std::printf(
        "all-reduce of gradients: %.2f s in all, of which training waited %.2f s (%.1f%% of "
        "%.2f s of epochs)\n",
        allReduce.communicating, allReduce.waited,
        100.0 * allReduce.waited / std::max(seconds, 1e-9), seconds);
}

}  // namespace

int runSummary(int argc, char** argv) {
    Arguments args(argc, argv, 2, {}, {kAllowNonFiniteWeights});
    ModelFile model = readModelFile(modelPath(args), args);
    // A summary needs shapes only: building would allocate and initialise every weight. A
    // model with problems (or no layers) is built all the same, for the error every command
    // gives about it: build throws it before creating any weight.
    if (model.graph.nodes().empty() || !model.graph.validate().empty()) {
        model.graph.build();
    }
    std::fputs(modelSummary(model.graph).c_str(), stdout);
    if (auto shortfall = trainingMemoryShortfall(model.graph, model.training)) {
        std::printf("warning: %s\n", shortfall->c_str());
    }
    return 0;
}

int runTrain(int argc, char** argv) {
    std::set<std::string> options = {
        "data",   "epochs",     "batch",      "optimizer", "lr",
        "seed",   "weights",    "save",       "threads",   "validation-split",
        "device", "checkpoint", "stats-every"};
    options.insert(kJobOptions.begin(), kJobOptions.end());
    Arguments args(argc, argv, 2, options, {"stats", "no-stats", "sync-batch-norm"});
    if (auto workers = args.integer("workers")) {
        return runWorkers(argc, argv, static_cast<int>(*workers), args);
    }
    const std::optional<JobPlace> place = jobPlaceOf(args);
    if (place && place->rank > 0) {
        // One rank reports and saves for the job; the others print only their errors.
        std::fflush(stdout);
        if (std::freopen("/dev/null", "w", stdout) == nullptr) {
            throw Error("cannot quiet rank " + std::to_string(place->rank) + "'s output");
        }
    }
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    ModelFile model = readModelFile(modelPath(args), args);
    if (!place && model.training.workers > 1) {
        return runWorkers(argc, argv, model.training.workers, args);  // the project's workers
    }
    applyOverrides(args, model.training);
    if (args.flag("sync-batch-norm")) {
        model.training.syncBatchNorm = true;
    }
    if (auto split = args.number("validation-split")) {
        model.data["validation_split"] = *split;
    }
    if (model.graph.validate().empty()) {
        // Refused from shapes, before the first weight is allocated.
        if (auto shortfall = trainingMemoryShortfall(model.graph, model.training)) {
            throw Error(*shortfall);
        }
    }
    prepareWeights(model, args, false, "train");
    for (const char* target : {"save", "checkpoint"}) {
        if (auto path = args.value(target)) {
            requireWritableTarget(*path);  // before the training whose result it would hold
        }
    }
    LoadedData data = loadData(dataSpec(args, model), model.data, modelInput(model.graph));
    reportData(data);
    std::printf(
        "model: %s, %lld parameters; %s (%s), loss %s, batch %lld, %d epoch(s), %d threads\n",
        model.graph.name().c_str(), static_cast<long long>(model.graph.parameterCount()),
        model.training.optimizer.c_str(), model.training.optimizerParams.dump().c_str(),
        model.training.loss.c_str(), static_cast<long long>(model.training.batchSize),
        model.training.epochs, cpuThreads());
    Trainer trainer(model.graph, model.training, backendOf(model.training));
    if (data.augmentation) {
        trainer.setAugmentation(*data.augmentation, data.normalization);
    }
    restoreTrainingState(model, trainer);
    std::unique_ptr<Collective> job;
    if (place) {
        job = connectCollective(*place);
        trainer.setCollective(*job);
        std::printf("rank %d of %d: batch %lld a rank, %lld in all\n", job->rank(),
                    job->worldSize(), static_cast<long long>(model.training.batchSize),
                    static_cast<long long>(model.training.batchSize * job->worldSize()));
    }
    const bool savesForTheJob = !job || job->rank() == 0;
    if (model.position.epoch > 0) {
        std::printf("resuming after epoch %d (step %lld) with the saved optimizer state\n",
                    model.position.epoch, static_cast<long long>(model.position.step));
    }
    ProgressPrinter printer(stdout);
    RunRecorder recorder(&printer);
    const std::string startedAt = isoTimestampNow();
    if (auto checkpoint = args.value("checkpoint"); checkpoint && savesForTheJob) {
        // Runs on the training thread, as the recorder does, between two epochs.
        trainer.onEpochEnd = [&, path = *checkpoint](const EpochProgress&) {
            model.runs.push_back(recorder.partialRun(model, startedAt));
            try {
                saveTrained(model, trainer, path);
            } catch (...) {
                model.runs.pop_back();
                throw;
            }
            model.runs.pop_back();
        };
    }
    auto [history, stopSignal] = trainInterruptibly(trainer, data, recorder);
    printer.printTable();
    if (job) {
        printAllReduceShare(trainer, history);
    }
    model.runs.push_back(makeRunRecord(model, history, recorder.takeBatches(), startedAt));
    if (data.test) {
        printEvaluation("test", evaluateModel(trainer, *data.test), data.test->classNames, false);
    }
    if (auto save = args.value("save"); save && savesForTheJob) {
        saveTrained(model, trainer, *save);
        std::printf("%s saved to %s\n", isProjectPath(*save) ? "project" : "weights",
                    save->c_str());
        if (isProjectPath(*save) && !model.runs.back().statistics.empty()) {
            std::printf("with %zu samples of layer statistics (loom-cli stats %s)\n",
                        model.runs.back().statistics.size(), save->c_str());
        }
    }
    switch (history.finished.reason) {
        case RunFinished::Reason::Completed:
        case RunFinished::Reason::EarlyStopped:
            return 0;
        case RunFinished::Reason::Stopped:
            return StopSignals::exitStatusFor(stopSignal);  // as a shell reports it
        default:
            return 1;
    }
}

int runEvaluate(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"data", "weights", "batch", "threads", "device"},
                   {kAllowNonFiniteWeights});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    ModelFile model = readModelFile(modelPath(args), args);
    applyOverrides(args, model.training);
    prepareWeights(model, args, true, "evaluate");
    Trainer trainer(model.graph, model.training, backendOf(model.training));
    if (auto spec = args.value("data")) {
        evaluateWholeSource(trainer, model, *spec);
    } else {
        evaluateHeldOut(trainer, model, dataSpec(args, model));
    }
    return 0;
}

}  // namespace loom::cli
