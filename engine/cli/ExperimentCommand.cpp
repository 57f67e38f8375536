// experiment: train a model once per combination of settings and compare the runs.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"
#include "cli/ProgressPrinter.h"
#include "cli/TrainingSetup.h"

#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/NetworkChecks.h>
#include <loom/Platform.h>
#include <loom/WeightsFile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

namespace loom::cli {

namespace {

// A line as each trial starts, then its training as train prints it.
class TrialPrinter : public ProgressSink {
public:
    void report(const ProgressEvent& event) override {
        if (const auto* started = std::get_if<TrialStarted>(&event)) {
            std::printf("\ntrial %d/%d: %s\n", started->trial + 1, started->trials,
                        started->name.c_str());
            std::fflush(stdout);
        } else if (!std::holds_alternative<TrialEnded>(event)) {
            m_training.report(event);
        }
    }

private:
    ProgressPrinter m_training{stdout};
};

// The plan in the model's "experiment" section, with the settings --vary names instead of its
// own when there are any, and --random's sample size.
ExperimentPlan planOf(const Arguments& args, const ModelFile& model) {
    ExperimentPlan plan =
        model.experiment.empty() ? ExperimentPlan{} : ExperimentPlan::fromJson(model.experiment);
    if (!args.values("vary").empty()) {
        plan.axes.clear();
        for (const std::string& vary : args.values("vary")) {
            plan.axes.push_back(parseVary(vary));
        }
    }
    if (auto random = args.integer("random")) {
        if (*random < 0) {
            throw ConfigError("--random takes how many trials to sample (0: every combination)");
        }
        plan.randomTrials = static_cast<size_t>(*random);
    }
    return plan;
}

const char* metricName(ExperimentMetric metric) {
    switch (metric) {
        case ExperimentMetric::ValidationAccuracy:
            return "val_acc";
        case ExperimentMetric::ValidationLoss:
            return "val_loss";
        case ExperimentMetric::Loss:
            break;
    }
    return "loss";
}

std::string number(double value) {
    if (std::isnan(value)) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", value);
    return text;
}

const char* endingOf(const RunFinished& finished) {
    switch (finished.reason) {
        case RunFinished::Reason::Completed:
            return "";
        case RunFinished::Reason::Stopped:
            return "stopped";
        case RunFinished::Reason::EarlyStopped:
            return "early stop";
        case RunFinished::Reason::NonFinite:
            return "diverged";
        case RunFinished::Reason::Failed:
            break;
    }
    return "failed";
}

// One row of text cells per trial, under a header: the varied values, then the final numbers.
std::vector<std::vector<std::string>> tableCells(const ExperimentPlan& plan,
                                                 const ExperimentResult& result,
                                                 const std::vector<size_t>& order) {
    std::vector<std::vector<std::string>> rows(1);
    rows[0] = {"", "trial"};
    for (const ExperimentAxis& axis : plan.axes) {
        rows[0].push_back(axis.setting);
    }
    for (const char* column :
         {"loss", "accuracy", "val_loss", "val_acc", "test_acc", "epochs", "time", "ended"}) {
        rows[0].push_back(column);
    }
    for (size_t index : order) {
        const TrialEnded& t = result.trials[index];
        const nlohmann::json& values = result.runs[index].experiment.at("values");
        std::vector<std::string> row{result.best == index ? "*" : "", std::to_string(index + 1)};
        for (const ExperimentAxis& axis : plan.axes) {
            row.push_back(valueText(axis.setting, values.at(axis.setting)));
        }
        for (double value :
             {t.loss, t.accuracy, t.validationLoss, t.validationAccuracy, t.testAccuracy}) {
            row.push_back(number(value));
        }
        row.push_back(std::to_string(t.epochs));
        row.push_back(formatDuration(t.seconds));
        row.push_back(endingOf(t.finished));
        rows.push_back(std::move(row));
    }
    return rows;
}

void printRows(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths(rows[0].size(), 0);
    for (const auto& row : rows) {
        for (size_t c = 0; c < row.size(); ++c) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            line += row[c] + std::string(widths[c] - row[c].size() + 2, ' ');
        }
        line.erase(line.find_last_not_of(' ') + 1);
        std::printf("%s\n", line.c_str());
    }
}

// The trials from best to worst by the experiment's metric; those without a value last.
void printTable(const ExperimentPlan& plan, const ExperimentResult& result) {
    std::vector<size_t> order(result.trials.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return isBetter(result.trials[a], result.trials[b], result.metric);
    });
    std::printf("\ntrials by %s (* the best):\n", metricName(result.metric));
    printRows(tableCells(plan, result, order));
    if (!result.best) {
        std::printf("none is the best: no trial that ran to the end has a %s\n",
                    metricName(result.metric));
    }
}

void save(ModelFile& model, const ExperimentPlan& plan, ExperimentResult& result,
          const std::string& path) {
    model.experiment = plan.toJson();
    model.runs.insert(model.runs.end(), result.runs.begin(), result.runs.end());
    const bool adopted = adoptBestTrial(model, result);
    writeModelFile(model, path);
    std::printf("project saved to %s with the %zu trials' runs%s\n", path.c_str(),
                result.runs.size(), adopted ? " and the best trial's settings and weights" : "");
}

bool anyEnded(const ExperimentResult& result, std::initializer_list<RunFinished::Reason> reasons) {
    return std::any_of(result.trials.begin(), result.trials.end(), [&](const TrialEnded& t) {
        return std::find(reasons.begin(), reasons.end(), t.finished.reason) != reasons.end();
    });
}

// Refused from shapes, as train refuses a network too large to train, before the first
// weight of any trial is allocated.
void requireFits(const ExperimentTrial& trial, const Project& project) {
    if (auto shortfall = trainingMemoryShortfall(project.graph, project.training)) {
        throw Error("trial '" + trial.name + "': " + *shortfall);
    }
}

// Where --save writes, checked before the training whose result it would hold.
std::optional<std::string> checkedSavePath(const Arguments& args) {
    const std::optional<std::string> path = args.value("save");
    if (path && std::filesystem::path(*path).extension() != ".loom") {
        throw ConfigError(
            "--save writes the project with every trial's run: give it a name "
            "ending in .loom, not '" +
            *path + "'");
    }
    if (path) {
        requireWritableTarget(*path);
    }
    return path;
}

}  // namespace

int runExperiment(int argc, char** argv) {
    Arguments args(argc, argv, 2,
                   {"vary", "random", "data", "epochs", "batch", "optimizer", "lr", "seed", "save",
                    "threads", "device"},
                   {});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    ModelFile model = readModelFile(modelPath(args), args);
    applyOverrides(args, model.training);
    const ExperimentPlan plan = planOf(args, model);
    const std::vector<ExperimentTrial> trials = plan.trials();
    for (const ExperimentTrial& trial : trials) {
        requireFits(trial, trialProject(model, trial));  // before the data load
    }
    const std::optional<std::string> savePath = checkedSavePath(args);
    if (!model.graph.validate().empty()) {
        model.graph.build();  // throws the network's first problem, as every command reports it
    }
    const LoadedData data = loadData(dataSpec(args, model), model.data, modelInput(model.graph));
    reportData(data);
    std::printf("experiment: %zu trials of %s, each from scratch; %d threads; best by %s\n",
                trials.size(), model.graph.name().c_str(), cpuThreads(),
                metricName(experimentMetric(data)));
    TrialPrinter printer;
    ExperimentResult result;
    const int stopSignal = runInterruptibly([&](RunControl& control) {
        result = loom::runExperiment(model, plan, data, &printer, &control);
    });
    printTable(plan, result);
    if (savePath) {
        save(model, plan, result, *savePath);
    }
    if (anyEnded(result, {RunFinished::Reason::Stopped})) {
        return StopSignals::exitStatusFor(stopSignal);  // as a shell reports it
    }
    // Some trials may diverge or fail, as comparing settings finds out; all of them is an error.
    return anyEnded(result, {RunFinished::Reason::Completed, RunFinished::Reason::EarlyStopped})
               ? 0
               : 1;
}

}  // namespace loom::cli
