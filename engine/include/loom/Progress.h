#pragma once
/// How long work (training, art) reports progress and is controlled from another thread.
/// The worker calls a ProgressSink; ProgressQueue is the thread-safe sink a GUI drains on a
/// timer. RunControl is the stop / pause token the worker checks once per batch or step.

#include <loom/StatisticsSample.h>
#include <loom/Tensor.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace loom {

struct BatchProgress {
    int epoch = 0;  ///< 1-based
    int epochs = 0;
    int64_t batch = 0;  ///< 1-based within the epoch
    int64_t batches = 0;
    int64_t step = 0;     ///< batches since training began
    double loss = 0;      ///< this batch's loss
    double accuracy = 0;  ///< this batch's accuracy (NaN for regression)
    double learningRate = 0;
    double samplesPerSecond = 0;
    double etaSeconds = 0;  ///< to the end of training
};

struct EpochProgress {
    int epoch = 0;
    int epochs = 0;
    double loss = 0, accuracy = 0;                      ///< means over the epoch's batches
    double validationLoss = 0, validationAccuracy = 0;  ///< NaN without validation data
    double learningRate = 0;
    double seconds = 0;
    double samplesPerSecond = 0;
};

struct RunFinished {
    enum class Reason { Completed, Stopped, EarlyStopped, NonFinite, Failed } reason;
    std::string message;
    /// NonFinite: the loss became NaN or infinite, or the divergence guard saw it explode.
    std::string layer;  ///< for NonFinite: the first layer whose output was NaN, Inf or exploded
};

/// Work a run does before its first batch that takes a while: computing the outputs of a
/// frozen base once (<loom/FrozenBase.h>).
struct PreparationProgress {
    std::string stage;            ///< what is being done, for a person
    int64_t done = 0, total = 0;  ///< samples
    double etaSeconds = 0;
};

struct LogMessage {
    std::string text;
};

/// One step of a job that optimises a picture (deep dream, style transfer): its objective and
/// the picture so far, so a viewer can show it change.
struct ImageProgress {
    std::string stage;  ///< "octave 2/3"; empty for a job with one stage
    int64_t step = 0;   ///< 1-based, counted over the whole job
    int64_t steps = 0;
    double loss = 0;
    double seconds = 0;  ///< since the job began
    /// The loss's named terms ("content", "style", "tv") when it has several, for a chart.
    std::vector<std::pair<std::string, double>> terms;
    Tensor image;  ///< [3, H, W] RGB 0..255 on the host, a copy the receiver may keep
};

/// A trial of an experiment (<loom/Experiment.h>) begins: the events that follow, up to its
/// TrialEnded, are its run, so that a chart can draw each trial as a curve of its own.
struct TrialStarted {
    int trial = 0;  ///< 0-based
    int trials = 0;
    std::string name;  ///< its values: "sgd, lr 0.01"
};

/// A trial of an experiment has ended: its final numbers, a row of the experiment's table.
struct TrialEnded {
    int trial = 0;  ///< 0-based
    std::string name;
    double loss = NAN, accuracy = NAN;  ///< of its last finished epoch; NaN before one
    double validationLoss = NAN, validationAccuracy = NAN;  ///< NaN without validation data
    double testAccuracy = NAN;  ///< when it ran to the end and there are test data
    int epochs = 0;             ///< finished
    double seconds = 0;
    RunFinished finished{RunFinished::Reason::Completed, "", ""};
};

using ProgressEvent =
    std::variant<BatchProgress, EpochProgress, RunFinished, LogMessage, ImageProgress,
                 StatisticsSample, TrialStarted, TrialEnded, PreparationProgress>;

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    virtual void report(const ProgressEvent& event) = 0;
};

/// A sink that stores events until the consumer drains them (any thread to any thread).
class ProgressQueue : public ProgressSink {
public:
    void report(const ProgressEvent& event) override;
    std::vector<ProgressEvent> drain();

private:
    std::mutex m_mutex;
    std::vector<ProgressEvent> m_events;
};

/// Stop and pause requests for a running job; the job calls checkpoint() between steps.
class RunControl {
public:
    void requestStop();
    void setPaused(bool paused);
    bool stopRequested() const { return m_stop.load(); }
    bool paused() const { return m_paused.load(); }
    /// Blocks while paused; returns false when a stop was requested.
    bool checkpoint();
    /// Waits until the pause has taken effect: a job is held in checkpoint(), so it reports
    /// nothing more until it is resumed or stopped. False when none was within `timeout`.
    bool waitUntilHeld(std::chrono::milliseconds timeout);

private:
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_paused{false};
    std::mutex m_mutex;
    std::condition_variable m_resumed;
    int m_held = 0;  ///< jobs blocked in checkpoint() by the pause, under m_mutex
    std::condition_variable m_heldChanged;
};

}  // namespace loom
