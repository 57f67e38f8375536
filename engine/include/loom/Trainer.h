#pragma once
/// Trainer: fits a built graph to a data set with a loss and an optimizer, epoch by epoch,
/// reporting through a ProgressSink and obeying a RunControl (stop and pause take effect
/// within one batch). With the same seed and data, CPU runs are bit-identical.

#include <loom/Augmentation.h>
#include <loom/BatchLoader.h>
#include <loom/Collective.h>
#include <loom/Dataset.h>
#include <loom/Graph.h>
#include <loom/LayerStatistics.h>
#include <loom/Loss.h>
#include <loom/Metrics.h>
#include <loom/Optimizer.h>
#include <loom/Progress.h>
#include <loom/TrainingConfig.h>

#include <cmath>
#include <functional>
#include <memory>
#include <optional>

namespace loom {

class GradientReducer;

struct EvaluationResult {
    double loss = 0;
    std::optional<ClassificationMetrics> metrics;  ///< for classification data
    int64_t samples = 0;
};

/// Where a training run stands, so that a saved project resumes exactly: the next epoch (from
/// 0), the steps taken (they advance dropout masks) and the schedule's, early stopping's and
/// the divergence guard's memory. Together with the weights and the optimizer state this is all a
/// resume needs.
struct TrainingPosition {
    int epoch = 0;
    int64_t step = 0;
    double plateauBest = INFINITY;
    int plateauWait = 0;
    double plateauRate = NAN;  ///< NaN: the optimizer's base rate
    double earlyStoppingBest = INFINITY;
    int earlyStoppingWait = 0;
    double startingLoss = NAN;  ///< the run's first batch loss, the divergence guard's reference

    nlohmann::json toJson() const;
    /// Throws ConfigError for a malformed or out-of-range position.
    static TrainingPosition fromJson(const nlohmann::json& json);
};

struct TrainingHistory {
    std::vector<EpochProgress> epochs;
    std::vector<StatisticsSample> statistics;  ///< as config.statistics asked
    RunFinished finished{RunFinished::Reason::Completed, "", ""};
};

/// Throws GraphError naming the layers when a built or validated graph has other than one
/// Input layer and one output: what Trainer needs.
void requireOneInputAndOutput(const Graph& graph);

class Trainer {
public:
    Trainer(Graph& graph, TrainingConfig config, Backend& backend = cpuBackend());
    ~Trainer();

    /// Trains config.epochs more epochs from position(): a second call, or a call after
    /// setPosition() with the optimizer state restored, continues where the last one stopped.
    TrainingHistory fit(const Dataset& train, const Dataset* validation,
                        ProgressSink* sink = nullptr, RunControl* control = nullptr);
    /// Loss and metrics over a whole data set, in inference mode.
    EvaluationResult evaluate(const Dataset& data);
    /// The model's outputs for samples [N, ...], in inference mode, batch by batch.
    Tensor predict(const Tensor& samples);

    Optimizer& optimizer() { return *m_optimizer; }
    const TrainingPosition& position() const { return m_position; }
    void setPosition(const TrainingPosition& position) { m_position = position; }
    const TrainingConfig& config() const { return m_config; }
    /// From now on fit() augments its training batches (never validation or evaluate()), with
    /// the epoch's randomness; the samples went through `normalization`.
    void setAugmentation(const AugmentationOptions& options, const Normalization& normalization);
    /// Data-parallel training with the other ranks of `collective` (<loom/DataParallel.h>):
    /// from now on fit() trains on this rank's slice of each global batch of
    /// config.batchSize x world samples, with the gradients averaged over the ranks before
    /// every step, so that every rank takes the same step; every rank must call fit() alike.
    /// Reported losses and accuracies are the global batch's. On the CPU backend only.
    void setCollective(Collective& collective);
    /// Ends data-parallel training: fit() trains alone again, and the collective may go.
    void leaveJob();
    /// In data-parallel training, the seconds spent on gradients' all-reduce since fit()
    /// started: waited for by this thread (what overlap with backward did not hide), and in all.
    struct AllReduceSeconds {
        double waited = 0, communicating = 0;
    };
    AllReduceSeconds allReduceSeconds() const { return m_allReduceSeconds; }
    /// Called after each epoch (checkpointing); its exceptions stop training cleanly.
    std::function<void(const EpochProgress&)> onEpochEnd;

private:
    /// What the user asked of a step: in data-parallel training, of any rank's, so that every
    /// rank stops, or pauses, after the same step.
    struct RankRequests {
        bool stop = false;
        bool pause = false;
    };
    struct StepResult {
        double loss;
        double accuracy;
        std::optional<StatisticsSample> statistics;  ///< when this step was one to sample
        int64_t samples = 0;  ///< in the batch: the global batch in data-parallel training
        RankRequests requests;
    };
    /// What a data-parallel step sums over the ranks besides the gradients: loss and accuracy
    /// (each times the samples), the samples, and the stop and pause requests.
    static constexpr size_t kStepMetrics = 5;
    struct EpochState;
    TrainingHistory fitOn(const Dataset& train, const Dataset* validation, ProgressSink* sink,
                          RunControl* control);
    /// The outputs of `layer` for every sample, computed once in inference mode (host);
    /// `afterBatch(samples done)` is called after each batch, and nothing is returned when it
    /// returns false (a stop).
    std::optional<Dataset> layerOutputs(const Dataset& data, const std::string& layer,
                                        const std::function<bool(int64_t)>& afterBatch);
    /// fit() on the outputs of the frozen base ending at `baseEnd`, computed once.
    TrainingHistory fitOnBaseOutputs(const Dataset& train, const Dataset* validation,
                                     const std::string& baseEnd, ProgressSink* sink,
                                     RunControl* control);
    /// The model's outputs for a batch: from the input, or from m_givenLayer's outputs.
    std::vector<Tensor> forwardBatch(ExecutionContext& ctx, const Tensor& samples);
    StepResult trainStep(const Batch& batch, int epoch, RankRequests requests);
    /// Backward; in data-parallel training, with the gradients averaged over the ranks and
    /// `result` made the global batch's.
    void backwardAndReduce(bool fused, StepResult& result);
    void runEpoch(EpochState& state, const Dataset& train);
    void finishEpoch(EpochState& state, const Dataset* validation);
    std::vector<int64_t> epochOrder(int64_t size, int epoch) const;
    /// Training steps in an epoch of `samples` samples (global batches in data-parallel
    /// training).
    int64_t batchesPerEpoch(int64_t samples) const;
    /// In data-parallel training: throws unless every rank trains this model on these data.
    void requireSameJobOnEveryRank(const Dataset& train);
    TargetForm targetForm(const Dataset& data) const;
    bool fusesWithOutput() const;
    RunFinished nonFiniteStop(const EpochState& state, const Dataset& train,
                              const std::vector<int64_t>& order, const Batch& batch,
                              int64_t batchIndex, double loss) const;
    bool divergenceStops(EpochState& state, int64_t batchIndex, double loss);
    /// The first layer, in the order the graph runs, whose output `faulty` picks (given the
    /// node's index and its output); empty when none does.
    std::string firstLayerWhere(
        const std::function<bool(size_t node, const Tensor& output)>& faulty) const;
    std::string firstNonFiniteLayer() const;
    std::string firstExplodedLayer(const std::vector<double>& startScales) const;
    std::vector<double> outputScales() const;
    void checkCompatible(const Dataset& data) const;

    Graph& m_graph;
    TrainingConfig m_config;
    Backend& m_backend;
    std::unique_ptr<Loss> m_loss;
    std::unique_ptr<Optimizer> m_optimizer;
    ExecutionContext m_ctx;
    Tensor m_lossValue, m_lossGrad;
    TrainingPosition m_position;
    double m_baseLearningRate;
    std::vector<NamedParameter> m_parameters;
    std::optional<LayerStatisticsCollector> m_statistics;  ///< during fit(), when enabled
    /// During fit() on a frozen base's outputs (<loom/FrozenBase.h>): the base's last layer,
    /// whose outputs the batches hold; empty otherwise.
    std::string m_givenLayer;
    std::optional<Augmenter> m_augmenter;
    Collective* m_collective = nullptr;  ///< in data-parallel training
    std::unique_ptr<GradientReducer> m_reducer;
    AllReduceSeconds m_allReduceSeconds;
};

}  // namespace loom
