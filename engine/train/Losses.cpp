// The losses, with Keras' names. Each is a thin dispatch to the backend's loss kernel; the
// categorical losses fuse with a softmax output and binary cross-entropy with a sigmoid one.

#include <loom/Error.h>
#include <loom/Loss.h>

namespace loom {

namespace {

// Keras' backend epsilon: probabilities are clipped to [eps, 1 - eps] before the log.
constexpr double kProbabilityEpsilon = 1e-7;

void checkMatching(const Tensor& output, const Tensor& target, const std::string& loss) {
    if (output.shape() != target.shape()) {
        throw ShapeError(loss + ": the model's output has shape " + output.shape().str() +
                         " but the target has shape " + target.shape().str());
    }
}

class CategoricalCrossEntropy final : public Loss {
public:
    std::string type() const override { return "categorical_crossentropy"; }
    ActivationKind fusedActivation() const override { return ActivationKind::Softmax; }

    void compute(Backend& backend, const Tensor& output, const Tensor& target,
                 bool fromPreActivation, Tensor& loss, Tensor* grad) override {
        checkMatching(output, target, type());
        if (fromPreActivation) {
            backend.softmaxCrossEntropy(output, target, loss, grad);
        } else {
            backend.crossEntropy(output, target, kProbabilityEpsilon, loss, grad);
        }
    }
};

class SparseCategoricalCrossEntropy final : public Loss {
public:
    std::string type() const override { return "sparse_categorical_crossentropy"; }
    ActivationKind fusedActivation() const override { return ActivationKind::Softmax; }

    void compute(Backend& backend, const Tensor& output, const Tensor& target,
                 bool fromPreActivation, Tensor& loss, Tensor* grad) override {
        if (output.rank() != 2 || target.rank() != 1 || target.dim(0) != output.dim(0)) {
            throw ShapeError(type() + ": expects outputs [N, classes] and labels [N], got " +
                             output.shape().str() + " and " + target.shape().str());
        }
        if (!fromPreActivation) {
            throw Error(type() + " needs the output layer to end in a softmax activation");
        }
        backend.sparseSoftmaxCrossEntropy(output, target, loss, grad);
    }

    Shape targetShape(const Shape&) const override { return Shape{}; }
};

class BinaryCrossEntropy final : public Loss {
public:
    std::string type() const override { return "binary_crossentropy"; }
    ActivationKind fusedActivation() const override { return ActivationKind::Sigmoid; }

    void compute(Backend& backend, const Tensor& output, const Tensor& target,
                 bool fromPreActivation, Tensor& loss, Tensor* grad) override {
        checkMatching(output, target, type());
        if (fromPreActivation) {
            backend.sigmoidBinaryCrossEntropy(output, target, loss, grad);
        } else {
            backend.binaryCrossEntropy(output, target, kProbabilityEpsilon, loss, grad);
        }
    }
};

class MeanSquaredError final : public Loss {
public:
    std::string type() const override { return "mean_squared_error"; }

    void compute(Backend& backend, const Tensor& output, const Tensor& target, bool, Tensor& loss,
                 Tensor* grad) override {
        checkMatching(output, target, type());
        backend.meanSquaredError(output, target, loss, grad);
    }
};

template <class L>
LossKind lossKind(std::string type, std::vector<std::string> aliases, std::string description) {
    return {std::move(type), std::move(aliases), std::move(description),
            [] { return std::make_unique<L>(); }};
}

[[maybe_unused]] const bool registered = [] {
    auto& registry = LossRegistry::instance();
    registry.add(lossKind<CategoricalCrossEntropy>(
        "categorical_crossentropy", {"categorical_cross_entropy"},
        "Cross-entropy against one-hot (or probability) targets"));
    registry.add(lossKind<SparseCategoricalCrossEntropy>(
        "sparse_categorical_crossentropy", {"sparse_categorical_cross_entropy"},
        "Cross-entropy against integer class labels"));
    registry.add(lossKind<BinaryCrossEntropy>("binary_crossentropy", {"binary_cross_entropy"},
                                              "Cross-entropy of independent yes/no outputs"));
    registry.add(lossKind<MeanSquaredError>("mean_squared_error", {"mse"},
                                            "Mean squared error, for regression"));
    return true;
}();

}  // namespace

std::unique_ptr<Loss> makeLoss(const std::string& name) {
    for (const LossKind* kind : LossRegistry::instance().all()) {
        for (const std::string& alias : kind->aliases) {
            if (alias == name) {
                return kind->create();
            }
        }
    }
    return LossRegistry::instance().find(name).create();
}

}  // namespace loom
