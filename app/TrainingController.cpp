#include "TrainingController.h"

#include "DeviceStatus.h"
#include "RunLabel.h"
#include "SampleImage.h"

#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/ImageFolder.h>
#include <loom/Metrics.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>

namespace loom {

namespace {

/// The device status line refreshes about once a second.
constexpr int kTicksPerStatus = 30;
/// The gallery shows this many misclassified samples.
constexpr size_t kMaxMistakes = 48;

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

// The model's probabilities for one row of its outputs: softmax unless they already are.
std::vector<double> probabilities(const float* outputs, int64_t classes) {
    std::vector<double> p(outputs, outputs + classes);
    double sum = 0;
    bool inRange = true;
    for (double v : p) {
        sum += v;
        inRange = inRange && v >= 0 && v <= 1;
    }
    if (inRange && std::abs(sum - 1) < 1e-3) {
        return p;
    }
    const double top = *std::max_element(p.begin(), p.end());
    sum = 0;
    for (double& v : p) {
        v = std::exp(v - top);
        sum += v;
    }
    for (double& v : p) {
        v /= sum;
    }
    return p;
}

// The model's scores on held-out data as a confusion matrix, per-class accuracy and the first
// misclassified samples.
TrainingResults measure(Trainer& trainer, const Dataset& heldOut, const QString& name) {
    const Tensor scores = trainer.predict(heldOut.samples);
    ClassificationMetrics metrics(heldOut.classCount(), 1);
    metrics.add(scores, heldOut.targets);
    TrainingResults r{name,
                      toQStringList(heldOut.classNames),
                      metrics.confusion(),
                      metrics.perClassAccuracy(),
                      metrics.accuracy(),
                      {}};
    const int64_t classes = heldOut.classCount();
    for (int64_t i = 0; i < heldOut.size() && r.mistakes.size() < kMaxMistakes; ++i) {
        const std::vector<double> p = probabilities(scores.data<float>() + i * classes, classes);
        const auto predicted = std::max_element(p.begin(), p.end()) - p.begin();
        const auto truth = static_cast<int64_t>(heldOut.targets.data<float>()[i]);
        if (predicted != truth) {
            r.mistakes.push_back(
                {heldOut.subset({i}).samples, truth, predicted, p[static_cast<size_t>(predicted)]});
        }
    }
    return r;
}

std::string dataKey(const nlohmann::json& section, const Shape& input) {
    return section.dump() + "|" + input.str();
}

}  // namespace

/// One run's inputs, copied when it starts, and its outputs, read by the GUI thread only after
/// the worker is done.
struct TrainingController::Job {
    TrainingConfig config;
    nlohmann::json dataSection;
    std::shared_ptr<const LoadedData> data;  ///< loaded by the worker when null
    std::unique_ptr<Trainer> trainer;
    std::optional<TrainingHistory> history;
    std::optional<TrainingResults> results;
    std::string error;  ///< why the run could not start or finish
};

TrainingController::TrainingController(Project& project, QObject* parent)
    : QObject(parent),
      m_project(project),
      m_pump([this](std::vector<ProgressEvent>&& events) { drain(std::move(events)); }) {}

TrainingController::~TrainingController() {
    // The worker uses the project and posts to this object: it must end first.
    m_run.reset();
}

bool TrainingController::train(Start start) {
    if (m_state != State::Idle) {
        return false;
    }
    auto job = std::make_shared<Job>();
    try {
        job->config = m_project.training;
        job->dataSection = m_project.data;
        if (start == Start::FromScratch) {
            // A graph read back from its own description has everything but the weights.
            m_project.graph = Graph::fromJson(m_project.graph.toJson());
            m_project.position = TrainingPosition{};
            m_project.optimizer.reset();
            m_project.hasWeights = false;
        }
        m_project.graph.build(job->config.seed);
        if (m_data && m_dataKey == dataKey(job->dataSection, modelInput(m_project.graph))) {
            job->data = m_data;
        }
    } catch (const std::exception& e) {
        reportFailure(QString::fromUtf8(e.what()), QString());
        return false;
    }
    startJob(std::move(job));
    return true;
}

void TrainingController::startJob(std::shared_ptr<Job> job) {
    m_job = job;
    m_trainer.reset();
    m_batches.clear();
    m_results.reset();
    m_startedAt = isoTimestampNow();
    m_runIndex = static_cast<int>(m_project.runs.size());
    m_ticksToStatus = 0;
    Project& project = m_project;
    ProgressQueue& queue = m_pump.queue();
    m_run = std::make_unique<BackgroundRun>([job, &project, &queue, this](RunControl& control) {
        try {
            if (!job->data) {
                job->data = std::make_shared<const LoadedData>(
                    loadData("", job->dataSection, modelInput(project.graph)));
            }
            for (const std::string& note : job->data->notes) {
                queue.report(LogMessage{note});
            }
            job->trainer = std::make_unique<Trainer>(project.graph, job->config,
                                                     backendFor(parseDevice(job->config.device)));
            restoreTrainingState(project, *job->trainer);
            const LoadedData& d = *job->data;
            job->history = job->trainer->fit(d.train, d.validation ? &*d.validation : nullptr,
                                             &queue, &control);
            const Dataset* heldOut = d.test ? &*d.test : d.validation ? &*d.validation : nullptr;
            if (heldOut && heldOut->isClassification() &&
                job->history->finished.reason != RunFinished::Reason::Failed) {
                job->results = measure(*job->trainer, *heldOut,
                                       d.test ? QObject::tr("test") : QObject::tr("validation"));
            }
        } catch (const std::exception& e) {
            job->error = e.what();
        }
        QMetaObject::invokeMethod(this, &TrainingController::finishRun, Qt::QueuedConnection);
    });
    emit runStarted(m_runIndex,
                    runLabel("Run " + std::to_string(m_runIndex + 1), m_job->config.toJson()));
    emit deviceStatusChanged(deviceStatusText(m_job->config.device));
    m_pump.start();
    setState(State::Running);
}

void TrainingController::setPaused(bool paused) {
    if (!m_run || m_state == State::Stopping || (m_state == State::Paused) == paused) {
        return;
    }
    m_run->control().setPaused(paused);
    setState(paused ? State::Paused : State::Running);
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
        emit deviceStatusChanged(deviceStatusText(m_job->config.device));
    }
}

void TrainingController::handle(const ProgressEvent& event) {
    if (const auto* epoch = std::get_if<EpochProgress>(&event)) {
        emit epochReported(m_runIndex, *epoch);
    } else if (const auto* log = std::get_if<LogMessage>(&event)) {
        emit logMessage(QString::fromStdString(log->text));
    }
}

void TrainingController::finishRun() {
    m_pump.drainNow();
    m_pump.stop();
    m_run.reset();
    std::shared_ptr<Job> job = std::move(m_job);
    if (job->data && job->data != m_data) {
        m_data = job->data;
        m_dataKey = dataKey(job->dataSection, modelInput(m_project.graph));
    }
    m_trainer = std::move(job->trainer);
    if (job->history) {
        RunRecord record =
            makeRunRecord(m_project, *job->history, std::move(m_batches), m_startedAt);
        m_project.runs.push_back(record);
        captureTrainingState(*m_trainer, m_project);
        m_project.hasWeights = true;
        emit runRecorded(m_runIndex, record);
        const RunFinished& finished = job->history->finished;
        if (finished.reason == RunFinished::Reason::NonFinite ||
            finished.reason == RunFinished::Reason::Failed) {
            reportFailure(explainFailure(finished), QString::fromStdString(finished.layer));
        }
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

Dataset TrainingController::readForModel(const QString& path) const {
    const Shape input = modelInput(m_project.graph);
    // A flat input (a 784-input MLP) learned from pictures: read the picture at the size its
    // training samples have as pictures, then lay it out as the model's input.
    const QImage trainingPicture = sampleImage(m_data->train.samples.slice(0, 1), 0);
    const bool grey = input.rank() == 3 ? input[0] == 1 : trainingPicture.isGrayscale();
    const int height = input.rank() == 3 ? int(input[1]) : trainingPicture.height();
    const int width = input.rank() == 3 ? int(input[2]) : trainingPicture.width();
    Dataset one;
    Tensor image = readImage(path.toStdString(), height, width, grey);
    one.samples = image.reshape(image.shape().withBatch(1));
    m_data->normalization.apply(one);
    return one;
}

Prediction TrainingController::predictImage(const QString& path, int top) {
    Prediction prediction;
    if (m_state != State::Idle || !m_trainer || !m_data) {
        prediction.error = m_state != State::Idle ? tr("Wait until training has stopped.")
                                                  : tr("Train the model first.");
        return prediction;
    }
    try {
        const Dataset one = readForModel(path);
        prediction.image = sampleImage(one.samples, 0);
        const Shape input = modelInput(m_project.graph);
        const Tensor scores = m_trainer->predict(one.samples.reshape(input.withBatch(1)));
        const std::vector<double> p = probabilities(scores.data<float>(), scores.dim(1));
        std::vector<size_t> order(p.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
        const QStringList names = toQStringList(m_data->train.classNames);
        for (size_t i = 0; i < std::min(static_cast<size_t>(std::max(top, 0)), p.size()); ++i) {
            const size_t c = order[i];
            prediction.top.emplace_back(
                c < static_cast<size_t>(names.size()) ? names[int(c)] : QString::number(c), p[c]);
        }
    } catch (const std::exception& e) {
        prediction.error = QString::fromUtf8(e.what());
    }
    return prediction;
}

}  // namespace loom
