#include "TrainingController.h"

#include "DeviceStatus.h"
#include "RunLabel.h"
#include "SampleImage.h"

#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Evaluation.h>
#include <loom/HandwrittenDigit.h>
#include <loom/LocalRanks.h>
#include <loom/Prediction.h>

#include <QFile>

#include <chrono>
#include <exception>
#include <mutex>
#include <numeric>

namespace loom {

namespace {

/// The device status line refreshes about once a second.
constexpr int kTicksPerStatus = 30;
/// The gallery shows this many misclassified samples.
constexpr size_t kMaxMistakes = 48;

/// Throws GraphError, saying what to change on the Network tab, when `graph` cannot train.
void requireTrainable(Graph& graph) {
    if (graph.nodes().empty()) {
        throw GraphError(QObject::tr("The network is empty: drag an Input layer and the layers "
                                     "that follow it onto the Network tab.")
                             .toStdString());
    }
    const std::vector<NodeDiagnostic> problems = graph.validate();
    if (!problems.empty()) {
        const NodeDiagnostic& first = problems.front();
        throw GraphError(first.node.empty() ? first.message
                                            : "layer '" + first.node + "' " + first.message);
    }
    if (graph.inputNames().empty()) {
        throw GraphError(QObject::tr("The network has no Input layer: add one from the palette on "
                                     "the Network tab and wire it to the first layer.")
                             .toStdString());
    }
    requireOneInputAndOutput(graph);
}

Shape modelInput(const Graph& graph) {
    return graph.node(graph.inputNames().at(0)).outputShape;
}

QStringList toQStringList(const std::vector<std::string>& names) {
    QStringList list;
    for (const std::string& name : names) {
        list << QString::fromStdString(name);
    }
    return list;
}

// What a person should read when a run failed: out-of-memory stops in plain words, every other
// engine message as it is (they already say what to do).
QString explainFailure(const RunFinished& finished) {
    const QString message = QString::fromStdString(finished.message);
    if (message.contains(QStringLiteral("std::bad_alloc"))) {
        return QObject::tr(
            "Training ran out of memory on this computer. Try a smaller batch "
            "size, a smaller model or less data.");
    }
    if (message.contains(QStringLiteral("out of GPU memory"))) {
        return QObject::tr("Training ran out of GPU memory: %1").arg(message);
    }
    return message;
}

// The model on held-out data as the Results tab shows it: confusion matrix, per-class
// accuracy and the first misclassified samples.
TrainingResults measure(Trainer& trainer, const Dataset& heldOut, const QString& name) {
    const ModelEvaluation evaluation = evaluateModel(trainer, heldOut, kMaxMistakes);
    const ClassificationMetrics& metrics = *evaluation.metrics;
    TrainingResults r{name,
                      toQStringList(heldOut.classNames),
                      metrics.confusion(),
                      metrics.perClassAccuracy(),
                      metrics.accuracy(),
                      {}};
    for (const Misclassified& m : evaluation.misclassified) {
        r.mistakes.push_back(
            {heldOut.subset({m.sample}).samples, m.trueClass, m.predictedClass, m.probability});
    }
    return r;
}

std::string dataKey(const nlohmann::json& section, const Shape& input) {
    return section.dump() + "|" + input.str();
}

}  // namespace

/// One run: its snapshot of the project, and what the worker produces. The GUI thread reads
/// the outputs only after the worker is done, except the checkpoint, which it may read at any
/// time under the lock.
struct TrainingController::Job {
    Project snapshot;
    std::shared_ptr<const LoadedData> data;  ///< loaded by the worker when null
    std::optional<TrainingHistory> history;
    std::optional<TrainingCheckpoint> final;  ///< where the run ended, taken by the worker
    std::optional<TrainingResults> results;
    std::optional<ExperimentPlan> plan;  ///< set for an experiment
    std::optional<ExperimentResult> experiment;
    std::string error;  ///< why the run could not start or finish

    std::shared_ptr<const TrainingCheckpoint> checkpoint() const {
        std::lock_guard lock(checkpointMutex);
        return lastEpoch;
    }
    void setCheckpoint(std::shared_ptr<const TrainingCheckpoint> checkpoint) {
        std::lock_guard lock(checkpointMutex);
        lastEpoch = std::move(checkpoint);
    }

private:
    mutable std::mutex checkpointMutex;
    std::shared_ptr<const TrainingCheckpoint> lastEpoch;
};

// The worker's part of a run: everything between Train and the end of the run, on the job's
// own snapshot. Never throws: what goes wrong ends up in job.error or the history.
void TrainingController::trainJob(Job& job, ProgressQueue& queue, RunControl& control) {
    try {
        Graph& graph = job.snapshot.graph;
        graph.build(job.snapshot.training.seed);
        if (!job.data) {
            job.data = std::make_shared<const LoadedData>(
                loadData("", job.snapshot.data, modelInput(graph)));
        }
        for (const std::string& note : job.data->notes) {
            queue.report(LogMessage{note});
        }
        if (job.plan) {
            job.experiment =
                loom::runExperiment(job.snapshot, *job.plan, *job.data, &queue, &control);
            return;
        }
        Trainer trainer(graph, job.snapshot.training,
                        backendFor(parseDevice(job.snapshot.training.device)));
        const LoadedData& d = *job.data;
        const auto prepare = [&](Trainer& rank) {
            restoreTrainingState(job.snapshot, rank);
            if (d.augmentation) {
                rank.setAugmentation(*d.augmentation, d.normalization);
            }
        };
        prepare(trainer);
        trainer.onEpochEnd = [&](const EpochProgress&) {
            job.setCheckpoint(
                std::make_shared<const TrainingCheckpoint>(takeCheckpoint(graph, trainer)));
        };
        job.history =
            fitOnLocalRanks(trainer, graph, job.snapshot.training.workers, prepare, d.train,
                            d.validation ? &*d.validation : nullptr, &queue, &control);
        const bool failed = job.history->finished.reason == RunFinished::Reason::Failed ||
                            job.history->finished.reason == RunFinished::Reason::NonFinite;
        const Dataset* heldOut = d.test ? &*d.test : d.validation ? &*d.validation : nullptr;
        // A stop takes effect within one batch: measuring held-out data could take a minute.
        if (heldOut && heldOut->isClassification() && !failed && !control.stopRequested()) {
            job.results = measure(trainer, *heldOut,
                                  d.test ? QObject::tr("test") : QObject::tr("validation"));
        }
        if (!failed) {
            job.final = takeCheckpoint(graph, trainer);
        }
    } catch (const std::exception& e) {
        job.error = e.what();
    }
}

TrainingController::TrainingController(Project& project, QObject* parent)
    : QObject(parent),
      m_project(project),
      m_pump([this](std::vector<ProgressEvent>&& events) { drain(std::move(events)); }) {}

TrainingController::~TrainingController() {
    // The worker reports into m_pump's queue: it must end before the pump goes.
    m_run.reset();
}

bool TrainingController::train(Start start) {
    if (m_state != State::Idle) {
        return false;
    }
    std::shared_ptr<Job> job = newJob(start == Start::FromScratch);
    if (!job) {
        return false;
    }
    startJob(std::move(job));
    return true;
}

bool TrainingController::runExperiment(const ExperimentPlan& plan) {
    if (m_state != State::Idle) {
        return false;
    }
    std::shared_ptr<Job> job = newJob(true);
    if (!job) {
        return false;
    }
    try {
        for (const ExperimentTrial& trial : plan.trials()) {
            trialProject(job->snapshot, trial);  // a mistake is shown before anything runs
        }
    } catch (const std::exception& e) {
        reportFailure(QString::fromUtf8(e.what()), QString());
        return false;
    }
    // The trials' names follow the project's runs: none alike, "Experiment N" counting on.
    for (const RunRecord& run : m_project.runs) {
        RunRecord named;
        named.name = run.name;
        named.experiment = run.experiment;
        job->snapshot.runs.push_back(std::move(named));
    }
    job->plan = plan;
    startJob(std::move(job));
    return true;
}

std::shared_ptr<TrainingController::Job> TrainingController::newJob(bool fromScratch) {
    auto job = std::make_shared<Job>();
    try {
        job->snapshot = runSnapshot(m_project, fromScratch);
        requireTrainable(job->snapshot.graph);
        if (m_data && m_dataKey == dataKey(job->snapshot.data, modelInput(job->snapshot.graph))) {
            job->data = m_data;
        }
    } catch (const std::exception& e) {
        reportFailure(QString::fromUtf8(e.what()), QString());
        return nullptr;
    }
    return job;
}

bool TrainingController::keepBestTrial() {
    if (!m_experiment || m_state != State::Idle || !adoptBestTrial(m_project, *m_experiment)) {
        return false;
    }
    m_experiment.reset();
    m_bestTrialRun.reset();
    return true;
}

void TrainingController::startJob(std::shared_ptr<Job> job) {
    m_job = job;
    m_batches.clear();
    m_epochs.clear();
    m_statistics.clear();
    m_results.reset();
    m_experiment.reset();
    m_bestTrialRun.reset();
    m_startedAt = isoTimestampNow();
    m_runIndex = static_cast<int>(m_project.runs.size());
    m_runName = nextRunName(m_project.runs);
    m_ticksToStatus = 0;
    ProgressQueue& queue = m_pump.queue();
    m_run = std::make_unique<BackgroundRun>(
        [job, &queue](RunControl& control) { trainJob(*job, queue, control); });
    if (!job->plan) {
        emit runStarted(m_runIndex, runLabel(m_runName, job->snapshot.training.toJson()));
    }
    emit deviceStatusChanged(
        deviceStatusText(job->snapshot.training.device, job->snapshot.training.workers));
    m_pump.start(*m_run, [this] { finishRun(); });
    setState(State::Running);
}

std::optional<RunInProgress> TrainingController::runInProgress() const {
    if (!m_job) {
        return std::nullopt;
    }
    RunInProgress run;
    run.record.name = m_runName;
    run.record.startedAt = m_startedAt;
    run.record.finishedAt = isoTimestampNow();
    run.record.training = m_job->snapshot.training.toJson();
    run.record.batches = m_batches;
    run.record.epochs = m_epochs;
    run.record.statistics = m_statistics;
    run.record.finished = {
        RunFinished::Reason::Stopped,
        "saved while training, after " + std::to_string(m_epochs.size()) + " finished epochs", ""};
    run.checkpoint = m_job->checkpoint();
    return run;
}

void TrainingController::stopAndWait() {
    if (!m_run) {
        return;
    }
    m_run->control().setPaused(false);
    m_run->control().requestStop();
    m_run->wait();
    finishRun();
}

void TrainingController::setPaused(bool paused) {
    if (!m_run || m_state == State::Stopping || (m_state == State::Paused) == paused) {
        return;
    }
    m_run->control().setPaused(paused);
    setState(paused ? State::Paused : State::Running);
}

bool TrainingController::waitUntilPaused(int timeoutMs) {
    if (!m_run || m_state != State::Paused ||
        !m_run->control().waitUntilHeld(std::chrono::milliseconds(timeoutMs))) {
        return false;
    }
    m_pump.drainNow();
    return true;
}

void TrainingController::stop() {
    if (!m_run || m_state == State::Stopping) {
        return;
    }
    m_run->control().requestStop();
    setState(State::Stopping);
}

void TrainingController::drain(std::vector<ProgressEvent>&& events) {
    // Batches go on in one signal per tick, in order with the epochs and messages between them.
    std::vector<BatchProgress> batches;
    const auto passOnBatches = [&] {
        if (!batches.empty()) {
            m_batches.insert(m_batches.end(), batches.begin(), batches.end());
            emit batchesReported(m_runIndex, batches);
            batches.clear();
        }
    };
    for (const ProgressEvent& event : events) {
        if (const auto* batch = std::get_if<BatchProgress>(&event)) {
            batches.push_back(*batch);
        } else {
            passOnBatches();
            handle(event);
        }
    }
    passOnBatches();
    if (++m_ticksToStatus >= kTicksPerStatus) {
        m_ticksToStatus = 0;
        emit deviceStatusChanged(
            deviceStatusText(m_job->snapshot.training.device, m_job->snapshot.training.workers));
    }
}

void TrainingController::handle(const ProgressEvent& event) {
    if (const auto* epoch = std::get_if<EpochProgress>(&event)) {
        m_epochs.push_back(*epoch);
        emit epochReported(m_runIndex, *epoch);
    } else if (const auto* sample = std::get_if<StatisticsSample>(&event)) {
        m_statistics.push_back(*sample);
        emit statisticsReported(m_runIndex, *sample);
    } else if (const auto* log = std::get_if<LogMessage>(&event)) {
        emit logMessage(QString::fromStdString(log->text));
    } else if (const auto* preparation = std::get_if<PreparationProgress>(&event)) {
        emit preparationReported(m_runIndex, *preparation);
    } else if (const auto* started = std::get_if<TrialStarted>(&event)) {
        // Each trial is a run of its own on the chart, numbered as it will be recorded.
        m_runIndex = static_cast<int>(m_project.runs.size()) + started->trial;
        m_runName = started->name;
        m_batches.clear();
        m_epochs.clear();
        m_statistics.clear();
        m_startedAt = isoTimestampNow();
        emit runStarted(m_runIndex, QString::fromStdString(started->name));
    } else if (const auto* ended = std::get_if<TrialEnded>(&event)) {
        emit trialEnded(m_runIndex, *ended);
    }
}

void TrainingController::finishRun() {
    if (!m_job) {
        return;  // stopAndWait finished it already
    }
    m_pump.drainNow();
    m_pump.stop();
    m_run.reset();
    std::shared_ptr<Job> job = std::move(m_job);
    if (job->data && job->data != m_data) {
        m_data = job->data;
        m_dataKey = dataKey(job->snapshot.data, modelInput(job->snapshot.graph));
        m_dataSection = job->snapshot.data;
    }
    if (job->experiment) {
        recordExperiment(*job);
    } else if (job->history) {
        recordRun(*job);
    } else {
        emit runDiscarded(m_runIndex);
    }
    if (!job->error.empty()) {
        reportFailure(explainFailure({RunFinished::Reason::Failed, job->error, ""}), QString());
    }
    m_results = std::move(job->results);
    setState(State::Idle);
    if (m_results) {
        emit resultsReady();
    }
}

void TrainingController::recordRun(Job& job) {
    RunRecord record = makeRunRecord(job.snapshot, *job.history, std::move(m_batches), m_startedAt);
    record.name = m_runName;
    m_project.runs.push_back(record);
    // A run that failed keeps the weights of its last finished epoch, never NaN ones.
    std::shared_ptr<const TrainingCheckpoint> lastEpoch = job.checkpoint();
    std::optional<TrainingCheckpoint> trained = std::move(job.final);
    if (!trained && lastEpoch) {
        trained =
            TrainingCheckpoint{lastEpoch->graph.copy(), lastEpoch->optimizer, lastEpoch->position};
    }
    if (trained) {
        const size_t layers = m_project.graph.nodes().size();
        const size_t kept = adoptRun(m_project, *trained);
        if (kept < layers) {
            emit logMessage(tr("The network was edited during training: %1 of %2 layers took "
                               "the trained weights; the others start afresh at the next run.")
                                .arg(kept)
                                .arg(layers));
        }
    }
    emit runRecorded(m_runIndex, record);
    const RunFinished& finished = job.history->finished;
    if (finished.reason == RunFinished::Reason::NonFinite ||
        finished.reason == RunFinished::Reason::Failed) {
        reportFailure(explainFailure(finished), QString::fromStdString(finished.layer));
    }
}

void TrainingController::recordExperiment(Job& job) {
    ExperimentResult& result = *job.experiment;
    const int first = static_cast<int>(m_project.runs.size());
    for (const RunRecord& record : result.runs) {
        m_project.runs.push_back(record);  // the result keeps its own: keeping the best reads it
        emit runRecorded(static_cast<int>(m_project.runs.size()) - 1, m_project.runs.back());
    }
    if (result.best) {
        m_bestTrialRun = first + static_cast<int>(*result.best);
    }
    m_experiment = std::move(result);
    emit experimentFinished();
}

void TrainingController::reportFailure(const QString& message, const QString& layer) {
    emit trainingFailed(message, layer);
}

void TrainingController::setState(State state) {
    if (state == m_state) {
        return;
    }
    const bool wasRunning = m_state != State::Idle;
    m_state = state;
    emit stateChanged(state);
    if (wasRunning != (state != State::Idle)) {
        emit runningChanged(state != State::Idle);
    }
}

SamplePreprocessing TrainingController::preprocessing() const {
    return SamplePreprocessing::forModel(m_dataSection, modelInput(m_project.graph),
                                         m_data->normalization);
}

Prediction TrainingController::predictImage(const QString& path, int top) {
    if (!m_project.hasWeights || !m_project.graph.isBuilt() || !m_data) {
        return {tr("Train the model first."), {}, {}, {}, -1};
    }
    try {
        const SamplePreprocessing p = preprocessing();
        return predictSample(p, p.read(QFile::encodeName(path).toStdString()), top);
    } catch (const std::exception& e) {
        return {QString::fromUtf8(e.what()), {}, {}, {}, -1};
    }
}

Prediction TrainingController::predictHeldOut(const Tensor& sample, int top) {
    if (!m_project.hasWeights || !m_project.graph.isBuilt() || !m_data) {
        return {tr("Train the model first."), {}, {}, {}, -1};
    }
    try {
        return predictSample(preprocessing(), sample, top);
    } catch (const std::exception& e) {
        return {QString::fromUtf8(e.what()), {}, {}, {}, -1};
    }
}

Prediction TrainingController::predictDrawing(const Tensor& ink, int top) {
    if (!m_project.hasWeights || !m_project.graph.isBuilt() || !m_data) {
        return {tr("Train the model first."), {}, {}, {}, -1};
    }
    try {
        const SamplePreprocessing p = preprocessing();
        if (p.picture != Shape{1, 28, 28}) {
            return {tr("The drawing pad is for models with a 28x28 grey input (MNIST's digits); "
                       "this model's input is %1.")
                        .arg(QString::fromStdString(p.picture.str())),
                    {},
                    {},
                    {},
                    -1};
        }
        return predictSample(p, p.fromPixels(mnistDigit(ink)), top);
    } catch (const std::exception& e) {
        return {QString::fromUtf8(e.what()), {}, {}, {}, -1};
    }
}

Prediction TrainingController::predictSample(const SamplePreprocessing& preprocessing,
                                             const Tensor& sample, int top) {
    Prediction prediction;
    prediction.sample = sample;
    Trainer trainer(m_project.graph, m_project.training);
    const QStringList names = toQStringList(m_data->train.classNames);
    for (const ClassProbability& c : loom::predictSample(trainer, sample, top)) {
        prediction.top.emplace_back(
            c.classIndex < names.size() ? names[int(c.classIndex)] : QString::number(c.classIndex),
            c.probability);
        if (prediction.classIndex < 0) {
            prediction.classIndex = c.classIndex;
        }
    }
    prediction.image =
        sampleImage(prediction.sample.reshape(preprocessing.picture.withBatch(1)), 0);
    return prediction;
}

std::optional<TrainedModel> TrainingController::trainedModel() const {
    if (!m_project.hasWeights || !m_project.graph.isBuilt() || !m_data) {
        return std::nullopt;
    }
    return TrainedModel{m_project.graph.copy(), preprocessing().picture,
                        toQStringList(m_data->train.classNames)};
}

Tensor TrainingController::normalizedLikeTraining(const Tensor& raw) const {
    Dataset samples;
    samples.samples = raw.clone();
    if (m_data) {
        m_data->normalization.apply(samples);
    }
    return samples.samples;
}

std::optional<Dataset> TrainingController::heldOutSamples(int64_t count, int64_t first) const {
    const Dataset* heldOut = !m_data              ? nullptr
                             : m_data->test       ? &*m_data->test
                             : m_data->validation ? &*m_data->validation
                                                  : nullptr;
    if (!heldOut || first < 0 || first >= heldOut->size()) {
        return std::nullopt;
    }
    std::vector<int64_t> chosen(size_t(std::min(count, heldOut->size() - first)));
    std::iota(chosen.begin(), chosen.end(), first);
    return heldOut->subset(chosen);
}

}  // namespace loom
