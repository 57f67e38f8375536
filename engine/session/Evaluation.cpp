#include <loom/Evaluation.h>
#include <loom/Prediction.h>

namespace loom {

namespace {

std::vector<Misclassified> firstMisclassified(const Tensor& outputs, const Tensor& labels,
                                              size_t limit) {
    const Tensor probabilities = classProbabilities(outputs);
    std::vector<Misclassified> wrong;
    for (int64_t i = 0; i < labels.dim(0) && wrong.size() < limit; ++i) {
        const ClassProbability likeliest = topClasses(probabilities, i, 1).front();
        const auto truth = static_cast<int64_t>(labels.at(i));
        if (likeliest.classIndex != truth) {
            wrong.push_back({i, truth, likeliest.classIndex, likeliest.probability});
        }
    }
    return wrong;
}

}  // namespace

ModelEvaluation evaluateModel(Trainer& trainer, const Dataset& data, size_t maxMisclassified) {
    EvaluationResult result = trainer.evaluate(data);
    ModelEvaluation evaluation{result.samples, result.loss, std::move(result.metrics), {}};
    // A second pass, only when mistakes are wanted: the metrics keep no per-sample outputs.
    if (evaluation.metrics && maxMisclassified > 0) {
        evaluation.misclassified =
            firstMisclassified(trainer.predict(data.samples), data.targets, maxMisclassified);
    }
    return evaluation;
}

}  // namespace loom
