#pragma once
/// Evaluation: how well a trained model does on a data set (loss, accuracy, top-k, per-class
/// accuracy, confusion matrix) and which samples it gets wrong, for the window's Results tab
/// and loom-cli evaluate alike.

#include <loom/Dataset.h>
#include <loom/Metrics.h>
#include <loom/Trainer.h>

#include <cstddef>
#include <optional>
#include <vector>

namespace loom {

/// A sample the model put in the wrong class.
struct Misclassified {
    int64_t sample = 0;  ///< its index in the evaluated data set
    int64_t trueClass = 0;
    int64_t predictedClass = 0;
    double probability = 0;  ///< the model's probability for predictedClass
};

struct ModelEvaluation {
    int64_t samples = 0;
    double loss = 0;
    /// Accuracy, top-k, per-class accuracy and the confusion matrix, for classification data.
    std::optional<ClassificationMetrics> metrics;
    std::vector<Misclassified> misclassified;  ///< the first ones, in sample order
};

/// The trained model on every sample of `data`, in inference mode, with up to
/// `maxMisclassified` of the samples it classifies wrongly.
ModelEvaluation evaluateModel(Trainer& trainer, const Dataset& data, size_t maxMisclassified = 0);

}  // namespace loom
