#pragma once

#include "MisclassifiedGallery.h"
#include "ProgressPump.h"

#include <loom/BackgroundRun.h>
#include <loom/DataSource.h>
#include <loom/Progress.h>
#include <loom/Project.h>
#include <loom/Trainer.h>

#include <QImage>
#include <QObject>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace loom {

/// What the trained model gets right and wrong on held-out data (the test set, else the
/// validation set), for the Results tab.
struct TrainingResults {
    QString heldOutName;  ///< "test" or "validation"
    QStringList classNames;
    std::vector<int64_t> confusion;  ///< [true][predicted], classNames.size() squared
    std::vector<double> perClassAccuracy;
    double accuracy = 0;
    std::vector<Mistake> mistakes;  ///< the first misclassified samples
};

/// A model's answer for one image: the image as the model saw it and the likeliest classes.
struct Prediction {
    QString error;  ///< empty when it worked
    QImage image;
    std::vector<std::pair<QString, double>> top;  ///< class and probability, likeliest first
};

/// TrainingController: trains the project's network on a worker thread and keeps the GUI
/// informed. The worker loads the project's data (through the engine's loadData, as loom-cli
/// does), fits with a Trainer that reports into a ProgressQueue, then measures the model on
/// held-out data; the GUI thread drains the queue about 30 times a second and passes batches
/// and epochs on by signal, so the window stays smooth however fast batches go. A finished or
/// stopped run is appended to Project::runs with its batch and epoch tables.
///
/// While state() is not Idle the worker uses the project's graph: the document must not edit
/// it (runningChanged says when).
class TrainingController : public QObject {
    Q_OBJECT

public:
    enum class State { Idle, Running, Paused, Stopping };
    enum class Start {
        Continue,     ///< from the current weights and optimizer state, as Keras' fit() does
        FromScratch,  ///< freshly initialised weights (seeded), optimizer and position reset
    };

    explicit TrainingController(Project& project, QObject* parent = nullptr);
    ~TrainingController() override;

    State state() const { return m_state; }
    /// The longest time, in milliseconds, the GUI event loop did not run while training (the
    /// gap between two drain ticks beyond their interval), since the last train().
    double longestStallMs() const { return m_pump.longestStallMs(); }
    /// The longest time one drain tick took (handling progress, including the slots it calls).
    double longestDrainMs() const { return m_pump.longestDrainMs(); }
    /// The last run's results on held-out data; none before a classification run finished.
    const std::optional<TrainingResults>& results() const { return m_results; }
    /// Classifies an image file with the trained model (only while Idle).
    Prediction predictImage(const QString& path, int top = 5);

public slots:
    /// Starts training; false (and trainingFailed) when it cannot start.
    bool train(Start start = Start::Continue);
    void setPaused(bool paused);
    /// Asks the run to stop; it does within one batch and is recorded as stopped.
    void stop();

signals:
    void stateChanged(State state);
    void runningChanged(bool running);
    /// A run began; `run` is the index its record will have in Project::runs, `name` its label
    /// for legends (runLabel).
    void runStarted(int run, const QString& name);
    void batchesReported(int run, const std::vector<BatchProgress>& batches);
    void epochReported(int run, const EpochProgress& epoch);
    void logMessage(const QString& text);
    void deviceStatusChanged(const QString& status);
    /// The run is now Project::runs[run].
    void runRecorded(int run, const RunRecord& record);
    /// Training ended, or could not start, for a reason the user must see: NaN or Inf (with
    /// the layer where it first appeared, so the canvas can mark it), out of memory, bad data.
    void trainingFailed(const QString& message, const QString& layer);
    void resultsReady();

private:
    /// What the worker produces; the GUI thread reads it only after the job ended.
    struct Job;

    void startJob(std::shared_ptr<Job> job);
    void drain(std::vector<ProgressEvent>&& events);
    void handle(const ProgressEvent& event);
    void finishRun();
    void setState(State state);
    void reportFailure(const QString& message, const QString& layer);
    /// An image file as one sample the model takes, normalised as its training data were.
    Dataset readForModel(const QString& path) const;

    Project& m_project;
    std::unique_ptr<Trainer> m_trainer;
    std::shared_ptr<const LoadedData> m_data;
    std::string m_dataKey;  ///< what m_data was loaded from: the data section and input shape
    ProgressPump m_pump;
    std::shared_ptr<Job> m_job;
    std::unique_ptr<BackgroundRun> m_run;
    State m_state = State::Idle;
    int m_runIndex = -1;
    std::vector<BatchProgress> m_batches;
    std::string m_startedAt;
    std::optional<TrainingResults> m_results;
    int m_ticksToStatus = 0;
};

}  // namespace loom
