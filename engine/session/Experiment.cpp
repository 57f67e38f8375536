// Running an experiment: its trials one after another, each recorded as a run, the best kept.

#include <loom/Devices.h>
#include <loom/Experiment.h>
#include <loom/LocalRanks.h>
#include <loom/RunRecorder.h>
#include <loom/Trainer.h>

#include <chrono>
#include <cmath>
#include <set>

namespace loom {

namespace {

using Clock = std::chrono::steady_clock;

bool ranToTheEnd(const RunFinished& finished) {
    return finished.reason == RunFinished::Reason::Completed ||
           finished.reason == RunFinished::Reason::EarlyStopped;
}

TrialEnded summarise(int index, const ExperimentTrial& trial, const TrainingHistory& history) {
    TrialEnded ended;
    ended.trial = index;
    ended.name = trial.name;
    ended.epochs = static_cast<int>(history.epochs.size());
    ended.finished = history.finished;
    if (!history.epochs.empty()) {
        const EpochProgress& last = history.epochs.back();
        ended.loss = last.loss;
        ended.accuracy = last.accuracy;
        ended.validationLoss = last.validationLoss;
        ended.validationAccuracy = last.validationAccuracy;
    }
    return ended;
}

double accuracyOn(Trainer& trainer, const Dataset& data) {
    const EvaluationResult result = trainer.evaluate(data);
    return result.metrics ? result.metrics->accuracy() : NAN;
}

// Runs the trials of one experiment and gathers what they leave: the table's rows, the run
// records and the best trial's weights.
class TrialRunner {
public:
    TrialRunner(const Project& base, const LoadedData& data, ProgressSink* sink,
                RunControl* control, size_t trials)
        : m_base(base),
          m_data(data),
          m_sink(sink),
          m_control(control),
          m_trials(static_cast<int>(trials)),
          m_experiment(nextExperimentName(base.runs)) {
        m_result.metric = experimentMetric(data);
        for (const RunRecord& run : base.runs) {
            m_runNames.insert(run.name);
        }
    }

    void run(const ExperimentTrial& trial) {
        const int index = static_cast<int>(m_result.trials.size());
        Project project = trialProject(m_base, trial);
        report(TrialStarted{index, m_trials, trial.name});
        RunRecorder recorder(m_sink);
        const std::string startedAt = isoTimestampNow();
        const auto start = Clock::now();
        Trainer trainer(project.graph, project.training,
                        backendFor(parseDevice(project.training.device)));
        const auto prepare = [&](Trainer& rank) {
            if (m_data.augmentation) {
                rank.setAugmentation(*m_data.augmentation, m_data.normalization);
            }
        };
        prepare(trainer);
        const TrainingHistory history = fitOnLocalRanks(
            trainer, project.graph, project.training.workers, prepare, m_data.train,
            m_data.validation ? &*m_data.validation : nullptr, &recorder, m_control);
        TrialEnded ended = summarise(index, trial, history);
        if (ranToTheEnd(history.finished) && m_data.test) {
            ended.testAccuracy = accuracyOn(trainer, *m_data.test);
        }
        ended.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        keepIfBest(ended, project.graph, trainer);
        RunRecord record = makeRunRecord(project, history, recorder.takeBatches(), startedAt);
        record.name = uniqueRunName(trial.name);
        record.experiment = {
            {"name", m_experiment}, {"trial", index + 1}, {"values", trial.values}};
        m_result.runs.push_back(std::move(record));
        m_result.trials.push_back(ended);
        report(ended);
    }

    ExperimentResult take() { return std::move(m_result); }

private:
    void report(const ProgressEvent& event) {
        if (m_sink != nullptr) {
            m_sink->report(event);
        }
    }

    // Only a trial that trained all it was asked to competes: a stopped one's numbers are of a
    // shorter run.
    void keepIfBest(const TrialEnded& ended, const Graph& graph, Trainer& trainer) {
        if (!ranToTheEnd(ended.finished) || std::isnan(metricValue(ended, m_result.metric))) {
            return;
        }
        if (m_result.best && !isBetter(ended, m_result.trials[*m_result.best], m_result.metric)) {
            return;
        }
        m_result.best = static_cast<size_t>(ended.trial);
        m_result.bestWeights = takeCheckpoint(graph, trainer);
    }

    // Two experiments with the same values would otherwise give two runs one name, and a
    // chart's legend could not tell them apart.
    std::string uniqueRunName(const std::string& name) {
        std::string unique = name;
        for (int copy = 2; m_runNames.count(unique) > 0; ++copy) {
            unique = name + " (" + std::to_string(copy) + ")";
        }
        m_runNames.insert(unique);
        return unique;
    }

    const Project& m_base;
    const LoadedData& m_data;
    ProgressSink* m_sink;
    RunControl* m_control;
    int m_trials;
    std::string m_experiment;
    std::set<std::string> m_runNames;
    ExperimentResult m_result;
};

}  // namespace

ExperimentMetric experimentMetric(const LoadedData& data) {
    if (!data.validation) {
        return ExperimentMetric::Loss;
    }
    return data.validation->isClassification() ? ExperimentMetric::ValidationAccuracy
                                               : ExperimentMetric::ValidationLoss;
}

double metricValue(const TrialEnded& trial, ExperimentMetric metric) {
    switch (metric) {
        case ExperimentMetric::ValidationAccuracy:
            return trial.validationAccuracy;
        case ExperimentMetric::ValidationLoss:
            return trial.validationLoss;
        case ExperimentMetric::Loss:
            break;
    }
    return trial.loss;
}

bool isBetter(const TrialEnded& a, const TrialEnded& b, ExperimentMetric metric) {
    const double x = metricValue(a, metric), y = metricValue(b, metric);
    if (std::isnan(x)) {
        return false;
    }
    if (std::isnan(y)) {
        return true;
    }
    if (metric == ExperimentMetric::ValidationAccuracy) {
        // A small validation set often ties: the lower loss is then the surer classifier.
        return x > y || (x == y && isBetter(a, b, ExperimentMetric::ValidationLoss));
    }
    return x < y;
}

bool adoptBestTrial(Project& project, ExperimentResult& result) {
    if (!result.best || !result.bestWeights) {
        return false;
    }
    const RunRecord& best = result.runs.at(*result.best);
    Project trial = trialProject(project, {best.name, best.experiment.at("values")});
    project.training = trial.training;
    project.graph = std::move(trial.graph);
    adoptRun(project, *result.bestWeights);
    result.bestWeights.reset();
    return true;
}

ExperimentResult runExperiment(const Project& base, const ExperimentPlan& plan,
                               const LoadedData& data, ProgressSink* sink, RunControl* control) {
    const std::vector<ExperimentTrial> trials = plan.trials();
    for (const ExperimentTrial& trial : trials) {
        trialProject(base, trial);  // a mistake in the last trial's settings fails before the first
    }
    TrialRunner runner(base, data, sink, control, trials.size());
    for (const ExperimentTrial& trial : trials) {
        if (control != nullptr && control->stopRequested()) {
            break;
        }
        runner.run(trial);
    }
    return runner.take();
}

}  // namespace loom
