// The epoch loop: batches, progress, validation, learning-rate schedule, early stopping,
// and stopping cleanly on a request, on NaN / Inf or on an error.

#include <loom/DataParallel.h>
#include <loom/Error.h>
#include <loom/FrozenBase.h>
#include <loom/Trainer.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numbers>
#include <numeric>

namespace loom {

namespace {

using Clock = std::chrono::steady_clock;

// Above this, a frozen base's outputs are not kept: the network runs whole at every epoch.
constexpr int64_t kMaxFrozenBaseBytes = int64_t{4} << 30;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Reports how far computing a frozen base's outputs has got (a few times a second) and
/// passes a pause or stop on; false once a stop was requested.
struct BaseOutputProgress {
    BaseOutputProgress(ProgressSink* sink, RunControl* control, int64_t total, std::string stage)
        : sink(sink), control(control), total(total), stage(std::move(stage)) {}

    bool operator()(int64_t done) {
        const Clock::time_point now = Clock::now();
        if (sink != nullptr && (now - reported > std::chrono::milliseconds(200) || done == total)) {
            reported = now;
            const double elapsed = secondsSince(started);
            sink->report(PreparationProgress{
                stage, done, total,
                elapsed * double(total - done) / double(std::max<int64_t>(done, 1))});
        }
        return control == nullptr || control->checkpoint();
    }

    ProgressSink* sink;
    RunControl* control;
    int64_t total;
    std::string stage;
    Clock::time_point started = Clock::now();
    Clock::time_point reported{};
};

double scheduledRate(const ScheduleConfig& s, double base, int epoch, int epochs) {
    if (s.type == "step") {
        return base * std::pow(s.factor, epoch / s.every);
    }
    if (s.type == "exponential") {
        return base * std::pow(s.factor, epoch);
    }
    if (s.type == "cosine") {
        double progress = epochs > 0 ? static_cast<double>(epoch) / epochs : 0.0;
        return s.minLearningRate +
               (base - s.minLearningRate) * (1 + std::cos(std::numbers::pi * progress)) / 2;
    }
    return base;  // constant, and plateau's starting point
}

// A snapshot of every parameter, for restoring the best or the last good weights. It stays on
// the parameters' device: on a GPU a copy to the host every epoch would cost more than a small
// network's whole epoch.
using Snapshot = std::vector<Tensor>;

Snapshot takeSnapshot(Graph& graph, Backend& backend) {
    Snapshot s;
    for (auto& [name, p] : graph.parameters()) {
        Tensor copy = backend.allocate(p->value.shape(), p->value.dtype());
        backend.copy(p->value, copy);
        s.push_back(std::move(copy));
    }
    return s;
}

void restoreSnapshot(Graph& graph, Backend& backend, const Snapshot& s) {
    size_t i = 0;
    for (auto& [name, p] : graph.parameters()) {
        backend.copy(s.at(i++), p->value);
    }
}

// 2.6e+19, 0.0123, 100
std::string shortNumber(double value) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.3g", value);
    return text.data();
}

double monitored(const EpochProgress& e, const std::string& monitor) {
    if (monitor == "val_loss")
        return e.validationLoss;
    if (monitor == "val_accuracy")
        return -e.validationAccuracy;
    if (monitor == "accuracy")
        return -e.accuracy;
    return e.loss;
}

}  // namespace

std::vector<int64_t> Trainer::epochOrder(int64_t size, int epoch) const {
    if (m_config.shuffle) {
        return shuffledIndices(size, m_config.seed + static_cast<uint64_t>(epoch));
    }
    std::vector<int64_t> order(static_cast<size_t>(size));
    std::iota(order.begin(), order.end(), int64_t{0});
    return order;
}

int64_t Trainer::batchesPerEpoch(int64_t samples) const {
    if (m_collective == nullptr) {
        return (samples + m_config.batchSize - 1) / m_config.batchSize;
    }
    const int64_t global = m_config.batchSize * m_collective->worldSize();
    return samples / global + (samples % global >= m_collective->worldSize() ? 1 : 0);
}

void Trainer::requireSameJobOnEveryRank(const Dataset& train) {
    const std::string model =
        m_graph.toJson().dump() + m_config.toJson().dump() + m_position.toJson().dump();
    uint64_t hash = hashBytes(model.data(), model.size());
    const int64_t facts[] = {train.size(), train.classCount(), train.sampleShape().numel()};
    hash = hashBytes(facts, sizeof facts, hash);
    hash = hashBytes(
        train.samples.data<float>(),
        static_cast<size_t>(std::min<int64_t>(train.samples.numel(), 1 << 20)) * sizeof(float),
        hash);
    requireSameJob(*m_collective, hash);
}

struct Trainer::EpochState {
    ProgressSink* sink = nullptr;
    RunControl* control = nullptr;
    int epoch = 0;      ///< 0-based, counted from the first run
    int lastEpoch = 0;  ///< the epoch this fit() stops before
    int64_t stepsDone = 0, stepsTotal = 0;
    Clock::time_point start = Clock::now();
    EpochProgress progress;
    std::optional<RunFinished> finished;
    std::vector<double> startScales;  ///< each layer's output size at this fit()'s first batch
    std::vector<StatisticsSample>* statistics = nullptr;  ///< where samples are kept
    bool warnedOfDivergence = false;

    void report(const ProgressEvent& e) const {
        if (sink != nullptr) {
            sink->report(e);
        }
    }
};

void Trainer::runEpoch(EpochState& state, const Dataset& train) {
    const auto epochStart = Clock::now();
    std::vector<int64_t> order = epochOrder(train.size(), state.epoch);
    std::optional<EpochShard> shard;
    if (m_collective != nullptr) {
        shard =
            shardEpoch(order, m_config.batchSize, m_collective->rank(), m_collective->worldSize());
        order = shard->order;
    }
    BatchLoader loader(train, order, m_config.batchSize, targetForm(train),
                       m_augmenter ? &*m_augmenter : nullptr, state.epoch);
    Batch batch;
    double lossSum = 0, accuracySum = 0;
    int64_t seen = 0, batchIndex = 0;
    const RunFinished stopped{RunFinished::Reason::Stopped, "stopped by request", ""};
    while (loader.next(batch)) {
        // Data-parallel ranks stop, or pause, together after the step that tells them all:
        // a rank held here alone would leave the others waiting in the all-reduce.
        RankRequests requests;
        if (shard) {
            requests = {state.control != nullptr && state.control->stopRequested(),
                        state.control != nullptr && state.control->paused()};
        } else if (state.control != nullptr && !state.control->checkpoint()) {
            state.finished = stopped;
            return;
        }
        if (shard) {
            m_ctx.globalBatch = shard->globalBatches[static_cast<size_t>(batchIndex)];
            m_ctx.batchOffset = shard->offsets[static_cast<size_t>(batchIndex)];
        }
        StepResult r = trainStep(batch, state.epoch + 1, requests);
        ++batchIndex;
        if (r.statistics) {
            state.report(*r.statistics);
            state.statistics->push_back(std::move(*r.statistics));
        }
        if (!std::isfinite(r.loss)) {
            state.finished = nonFiniteStop(state, train, order, batch, batchIndex, r.loss);
            return;
        }
        if (divergenceStops(state, batchIndex, r.loss)) {
            return;
        }
        if (r.requests.stop) {
            state.finished = stopped;
            return;
        }
        const int64_t b = r.samples;
        seen += b;
        lossSum += r.loss * static_cast<double>(b);
        accuracySum += r.accuracy * static_cast<double>(b);
        ++state.stepsDone;
        const double elapsed = secondsSince(state.start);
        BatchProgress p{state.epoch + 1,
                        state.lastEpoch,
                        batchIndex,
                        loader.batchCount(),
                        m_position.step,
                        r.loss,
                        r.accuracy,
                        m_optimizer->learningRate(),
                        static_cast<double>(seen) / std::max(secondsSince(epochStart), 1e-9),
                        elapsed / static_cast<double>(state.stepsDone) *
                            static_cast<double>(state.stepsTotal - state.stepsDone)};
        state.report(p);
        if (r.requests.pause && state.control != nullptr) {
            // A stop asked for during the pause is agreed at the next step, as any other.
            state.control->checkpoint();
        }
    }
    EpochProgress& e = state.progress;
    e = EpochProgress{};
    e.epoch = state.epoch + 1;
    e.epochs = state.lastEpoch;
    e.loss = lossSum / static_cast<double>(std::max<int64_t>(seen, 1));
    e.accuracy = accuracySum / static_cast<double>(std::max<int64_t>(seen, 1));
    e.learningRate = m_optimizer->learningRate();
    e.seconds = secondsSince(epochStart);
    e.samplesPerSecond = static_cast<double>(seen) / std::max(e.seconds, 1e-9);
    e.validationLoss = e.validationAccuracy = std::nan("");
}

RunFinished Trainer::nonFiniteStop(const EpochState& state, const Dataset& train,
                                   const std::vector<int64_t>& order, const Batch& batch,
                                   int64_t batchIndex, double loss) const {
    const std::string layer = firstNonFiniteLayer();
    const std::string when =
        "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at epoch " +
        std::to_string(state.epoch + 1) + ", batch " + std::to_string(batchIndex);
    if (layer != m_graph.inputNames()[0]) {
        return {RunFinished::Reason::NonFinite,
                when +
                    (layer.empty() ? ""
                                   : "; it first appeared in the output of layer '" + layer + "'") +
                    ". The weights are those from the start of this epoch; try a lower "
                    "learning rate",
                layer};
    }
    // The data itself, not the learning rate: name the first bad sample as the data set counts.
    const float* x = batch.samples.data<float>();
    const int64_t at =
        std::find_if(x, x + batch.samples.numel(), [](float v) { return !std::isfinite(v); }) - x;
    const int64_t row = at / std::max<int64_t>(batch.samples.numel() / batch.samples.dim(0), 1);
    const int64_t sample =
        order.at(static_cast<size_t>((batchIndex - 1) * m_config.batchSize + row));
    return {RunFinished::Reason::NonFinite,
            when + ": the training data itself holds NaN or infinite values: sample " +
                std::to_string(sample) + (train.source.empty() ? "" : " of " + train.source) +
                " (counting from 0) is the first in this batch. Correct or leave out such samples "
                "(for a CSV file, set the data section's non_finite to drop)",
            layer};
}

bool Trainer::divergenceStops(EpochState& state, int64_t batchIndex, double loss) {
    const DivergenceGuardConfig& guard = m_config.divergenceGuard;
    double& start = m_position.startingLoss;
    if (std::isnan(start)) {
        start = loss;
    }
    if (guard.action == "off") {
        return false;
    }
    if (state.startScales.empty()) {
        state.startScales = outputScales();
    }
    // A loss that starts at zero has no size to grow from.
    if (state.warnedOfDivergence || !(start > 0 && loss > guard.factor * start)) {
        return false;
    }
    const std::string layer = firstExplodedLayer(state.startScales);
    const std::string what =
        "the loss grew from " + shortNumber(start) + " to " + shortNumber(loss) + ", more than " +
        shortNumber(guard.factor) + " times where the run started, at epoch " +
        std::to_string(state.epoch + 1) + ", batch " + std::to_string(batchIndex) +
        (layer.empty() ? "" : "; the outputs of layer '" + layer + "' exploded first");
    if (guard.action == "warn") {
        state.warnedOfDivergence = true;
        state.report(LogMessage{"warning: " + what + " (the divergence guard only warns)"});
        return false;
    }
    state.finished = RunFinished{RunFinished::Reason::NonFinite,
                                 "the divergence guard stopped training: " + what +
                                     ". The weights are those from the start of this epoch; "
                                     "try a lower learning rate",
                                 layer};
    return true;
}

void Trainer::finishEpoch(EpochState& state, const Dataset* validation) {
    if (state.finished) {
        return;
    }
    if (m_collective != nullptr) {
        requireSameWeights(*m_collective, m_graph,
                           "after epoch " + std::to_string(state.epoch + 1));
    }
    EpochProgress& e = state.progress;
    if (validation != nullptr) {
        EvaluationResult v = evaluate(*validation);
        e.validationLoss = v.loss;
        e.validationAccuracy = v.metrics ? v.metrics->accuracy() : std::nan("");
    }
    state.report(e);
}

TrainingHistory Trainer::fit(const Dataset& train, const Dataset* validation, ProgressSink* sink,
                             RunControl* control) {
    if (train.size() == 0) {
        throw DataError("the training data" + (train.source.empty() ? "" : " " + train.source) +
                        " holds no samples: there is nothing to train on");
    }
    checkCompatible(train);
    if (validation != nullptr) {
        checkCompatible(*validation);
    }
    m_allReduceSeconds = {};
    if (m_collective != nullptr) {
        requireSameJobOnEveryRank(train);
    }
    if (m_augmenter) {
        m_augmenter->checkSampleShape(train.sampleShape());
    }
    // Augmented samples differ at every epoch, so a base's outputs cannot be kept.
    const std::string baseEnd = m_augmenter ? std::string() : frozenBaseEnd(m_graph);
    const int64_t samples = train.size() + (validation != nullptr ? validation->size() : 0);
    const int64_t bytes =
        samples *
        m_graph.node(baseEnd.empty() ? m_graph.inputNames()[0] : baseEnd).outputShape.numel() *
        int64_t(sizeof(float));
    if (baseEnd.empty() || bytes > kMaxFrozenBaseBytes) {
        return fitOn(train, validation, sink, control);
    }
    return fitOnBaseOutputs(train, validation, baseEnd, sink, control);
}

TrainingHistory Trainer::fitOnBaseOutputs(const Dataset& train, const Dataset* validation,
                                          const std::string& baseEnd, ProgressSink* sink,
                                          RunControl* control) {
    // The base's layers keep no batch of their own: their outputs are not the batches'.
    const std::vector<bool> base = m_graph.ancestorsOf(baseEnd);
    const auto forget = [&] {
        for (size_t i = 0; i < base.size(); ++i) {
            if (base[i]) {
                Graph::Node& n = m_graph.node(m_graph.nodes()[i].layer->name());
                n.output = n.preActivation = Tensor();
            }
        }
    };
    struct ForgetsAtTheEnd {
        std::function<void()> end;
        ~ForgetsAtTheEnd() { end(); }
    } ends{[&] {
        m_givenLayer.clear();
        forget();
    }};
    BaseOutputProgress progress(sink, control,
                                train.size() + (validation != nullptr ? validation->size() : 0),
                                "Computing the frozen layers up to '" + baseEnd + "' once");
    std::optional<Dataset> baseTrain =
        layerOutputs(train, baseEnd, [&](int64_t done) { return progress(done); });
    std::optional<Dataset> baseValidation;
    if (baseTrain && validation != nullptr) {
        baseValidation = layerOutputs(*validation, baseEnd,
                                      [&](int64_t done) { return progress(train.size() + done); });
    }
    if (!baseTrain || (validation != nullptr && !baseValidation)) {
        TrainingHistory stopped;
        stopped.finished = RunFinished{RunFinished::Reason::Stopped, "stopped by request", ""};
        if (sink != nullptr) {
            sink->report(stopped.finished);
        }
        return stopped;
    }
    if (sink != nullptr) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f", secondsSince(progress.started));
        sink->report(LogMessage{"the frozen layers up to '" + baseEnd +
                                "' were computed once for the " + std::to_string(progress.total) +
                                " samples in " + seconds +
                                " s; each epoch trains the layers after them"});
    }
    forget();
    m_givenLayer = baseEnd;
    return fitOn(*baseTrain, baseValidation ? &*baseValidation : nullptr, sink, control);
}

TrainingHistory Trainer::fitOn(const Dataset& train, const Dataset* validation, ProgressSink* sink,
                               RunControl* control) {
    TrainingHistory history;
    EpochState state;
    state.sink = sink;
    state.control = control;
    state.stepsTotal = m_config.epochs * batchesPerEpoch(train.size());
    TrainingPosition& at = m_position;
    if (std::isnan(at.plateauRate)) {
        at.plateauRate = m_baseLearningRate;
    }
    state.lastEpoch = at.epoch + m_config.epochs;
    state.statistics = &history.statistics;
    if (m_config.statistics.enabled) {
        m_statistics.emplace(m_config.statistics.interval(batchesPerEpoch(train.size())));
    }
    Snapshot best, lastGood;
    for (state.epoch = at.epoch; state.epoch < state.lastEpoch && !state.finished; ++state.epoch) {
        const ScheduleConfig& s = m_config.schedule;
        m_optimizer->setLearningRate(
            s.type == "plateau"
                ? at.plateauRate
                : scheduledRate(s, m_baseLearningRate, state.epoch, state.lastEpoch));
        lastGood = takeSnapshot(m_graph, m_backend);
        try {
            runEpoch(state, train);
            finishEpoch(state, validation);
        } catch (const std::exception& error) {
            state.finished = RunFinished{RunFinished::Reason::Failed, error.what(), ""};
        }
        if (state.finished) {
            if (state.finished->reason == RunFinished::Reason::NonFinite) {
                restoreSnapshot(m_graph, m_backend, lastGood);
            }
            break;
        }
        const EpochProgress& e = state.progress;
        history.epochs.push_back(e);
        at.epoch = state.epoch + 1;
        const double plateauValue = validation != nullptr ? e.validationLoss : e.loss;
        if (plateauValue < at.plateauBest) {
            at.plateauBest = plateauValue;
            at.plateauWait = 0;
        } else if (++at.plateauWait >= s.patience) {  // as Keras: after `patience` flat epochs
            at.plateauRate = std::max(at.plateauRate * s.factor, s.minLearningRate);
            at.plateauWait = 0;
        }
        const EarlyStoppingConfig& es = m_config.earlyStopping;
        const double value = es.enabled ? monitored(e, es.monitor) : 0.0;
        if (!es.enabled) {
        } else if (value < at.earlyStoppingBest - es.minDelta) {
            at.earlyStoppingBest = value;
            at.earlyStoppingWait = 0;
            best = es.restoreBestWeights ? takeSnapshot(m_graph, m_backend) : Snapshot{};
        } else if (++at.earlyStoppingWait >= es.patience) {
            if (!best.empty()) {
                restoreSnapshot(m_graph, m_backend, best);
            }
            state.finished = RunFinished{RunFinished::Reason::EarlyStopped,
                                         es.monitor + " stopped improving after epoch " +
                                             std::to_string(e.epoch - at.earlyStoppingWait),
                                         ""};
        }
        // After the position moved on: a checkpoint taken now resumes with the next epoch.
        try {
            if (onEpochEnd) {
                onEpochEnd(e);
            }
        } catch (const std::exception& error) {
            state.finished = RunFinished{RunFinished::Reason::Failed, error.what(), ""};
        }
    }
    m_statistics.reset();
    history.finished = state.finished.value_or(
        RunFinished{RunFinished::Reason::Completed, "training finished", ""});
    state.report(history.finished);
    return history;
}

}  // namespace loom
