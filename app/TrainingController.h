#pragma once

#include "MisclassifiedGallery.h"
#include "ProgressPump.h"

#include <loom/BackgroundRun.h>
#include <loom/DataSource.h>
#include <loom/Experiment.h>
#include <loom/Prediction.h>
#include <loom/Progress.h>
#include <loom/Project.h>
#include <loom/RunSnapshot.h>
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
    Tensor sample;                                ///< [1, ...input]: what the model was given
    int64_t classIndex = -1;                      ///< the likeliest class
};

/// A copy of the trained network and what showing its inputs as pictures needs, for work
/// beside the document (explanations on a worker thread).
struct TrainedModel {
    Graph graph;
    Shape picture;  ///< [C, H, W] of the model's input
    QStringList classNames;
};

/// TrainingController: trains the project's network on a worker thread and keeps the GUI
/// informed. A run works on its own snapshot of the project (runSnapshot: the network with a
/// copy of its weights, the settings and the data section as they were at Train), so the
/// document stays free for edits, undo and saves; the worker loads the data (through the
/// engine's loadData, as loom-cli does), fits with a Trainer that reports into a ProgressQueue,
/// hands over a checkpoint at every epoch end, then measures the model on held-out data. The
/// GUI thread drains the queue about 30 times a second and passes batches and epochs on by
/// signal, so the window stays smooth however fast batches go. When the run ends, its record is
/// appended to Project::runs and its weights go into the layers the document still has
/// unchanged (adoptRun), in one step on the GUI thread.
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
    /// Classifies an image file with the project's trained network, preprocessed as the data
    /// of the last run were.
    Prediction predictImage(const QString& path, int top = 5);
    /// Classifies a sample [1, ...input] already made as the training data were (a held-out
    /// sample of the Results tab).
    Prediction predictHeldOut(const Tensor& sample, int top = 5);
    /// Classifies a drawing (DrawingPad::ink) made into an MNIST digit (mnistDigit); an error
    /// unless the model takes a 28x28 grey picture.
    Prediction predictDrawing(const Tensor& ink, int top = 5);
    /// The trained network, copied; none before a run has trained it.
    std::optional<TrainedModel> trainedModel() const;
    /// Up to `count` samples of the last run's held-out data (the test set, else the
    /// validation set) from sample `first` on, copied, as the model saw them; none before a run
    /// loaded data with any, or when it has no sample `first`.
    std::optional<Dataset> heldOutSamples(int64_t count, int64_t first = 0) const;
    /// Samples of raw pixel values (a Data-tab preview's) normalised as the last run's training
    /// data were; unchanged before any run.
    Tensor normalizedLikeTraining(const Tensor& raw) const;
    /// The run in progress as a save writes it; none while Idle.
    std::optional<RunInProgress> runInProgress() const;
    /// Stops the run, if any, within one batch and waits for it: when this returns the run's
    /// results are in the project (as after runRecorded) and the state is Idle.
    void stopAndWait();
    /// Waits, up to timeoutMs, until a pause has taken effect: the worker is held between two
    /// batches, and every batch it reported before has been passed on (batchesReported). False
    /// when no run is paused or its worker was not held in time.
    bool waitUntilPaused(int timeoutMs);

public slots:
    /// Starts training; false (and trainingFailed) when it cannot start.
    bool train(Start start = Start::Continue);
    /// Starts an experiment: the plan's trials one after another, each from scratch on its own
    /// snapshot (loom::runExperiment), each announced by runStarted and recorded as a run, in
    /// Project::runs, when the experiment ends. Stop ends the trial within one batch and
    /// starts no other. False (and trainingFailed) when it cannot start.
    bool runExperiment(const ExperimentPlan& plan);
    /// The best trial of the last experiment, as its index in Project::runs; none before an
    /// experiment ended with one, or once it was kept.
    std::optional<int> bestTrialRun() const { return m_bestTrialRun; }
    /// Makes the last experiment's best trial the project's (its settings, network parameters
    /// and weights: loom::adoptBestTrial); false when there is none to keep.
    bool keepBestTrial();
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
    void preparationReported(int run, const PreparationProgress& preparation);
    /// A layer statistics sample of the run (TrainingConfig::statistics).
    void statisticsReported(int run, const StatisticsSample& sample);
    void logMessage(const QString& text);
    void deviceStatusChanged(const QString& status);
    /// The run is now Project::runs[run]; the project holds its weights.
    void runRecorded(int run, const RunRecord& record);
    /// The run that runStarted announced ended before training began (its data could not be
    /// loaded, say): it has no record and `run` is free again.
    void runDiscarded(int run);
    /// Training ended, or could not start, for a reason the user must see: NaN or Inf (with
    /// the layer where it first appeared, so the canvas can mark it), out of memory, bad data.
    void trainingFailed(const QString& message, const QString& layer);
    void resultsReady();
    /// A trial of the experiment ended (its run is recorded when the experiment ends).
    void trialEnded(int run, const TrialEnded& trial);
    /// The experiment ended; bestTrialRun() says which of its runs did best.
    void experimentFinished();

private:
    /// What the worker produces; the GUI thread reads it only after the job ended.
    struct Job;

    static void trainJob(Job& job, ProgressQueue& queue, RunControl& control);
    void startJob(std::shared_ptr<Job> job);
    void drain(std::vector<ProgressEvent>&& events);
    void handle(const ProgressEvent& event);
    void finishRun();
    void recordRun(Job& job);
    void recordExperiment(Job& job);
    std::shared_ptr<Job> newJob(bool fromScratch);
    void setState(State state);
    void reportFailure(const QString& message, const QString& layer);
    /// Classifies a sample [1, ...input] that `preprocessing` made.
    Prediction predictSample(const SamplePreprocessing& preprocessing, const Tensor& sample,
                             int top);
    SamplePreprocessing preprocessing() const;

    Project& m_project;
    std::shared_ptr<const LoadedData> m_data;  ///< the last run's data, kept for the next
    std::string m_dataKey;  ///< what m_data was loaded from: the data section and input shape
    nlohmann::json m_dataSection;  ///< the data section m_data was loaded by
    ProgressPump m_pump;
    std::shared_ptr<Job> m_job;
    std::unique_ptr<BackgroundRun> m_run;
    State m_state = State::Idle;
    int m_runIndex = -1;
    std::string m_runName;
    std::vector<BatchProgress> m_batches;
    std::vector<EpochProgress> m_epochs;
    std::vector<StatisticsSample> m_statistics;
    std::string m_startedAt;
    std::optional<TrainingResults> m_results;
    std::optional<ExperimentResult> m_experiment;  ///< the last one, until its best is kept
    std::optional<int> m_bestTrialRun;
    int m_ticksToStatus = 0;
};

}  // namespace loom
