#pragma once
/// Losses with Keras' names. A loss takes the model's output and the target and gives the
/// mean loss over the batch and the gradient to start backpropagation from. When the output
/// layer ends in the activation the loss fuses with (softmax for the categorical losses,
/// sigmoid for binary cross-entropy), it works on the pre-activation instead: numerically
/// stable, and the gradient is simply (probabilities - target) / N.

#include <loom/Backend.h>
#include <loom/Params.h>
#include <loom/Registry.h>

#include <functional>
#include <memory>
#include <string>

namespace loom {

class Loss {
public:
    virtual ~Loss() = default;
    virtual std::string type() const = 0;

    /// The activation this loss fuses with, or Linear.
    virtual ActivationKind fusedActivation() const { return ActivationKind::Linear; }

    /// loss (one element) = the mean loss. `output` is the model's output, or its
    /// pre-activation when fromPreActivation (only when the output's activation is
    /// fusedActivation()). grad, when given, receives dLoss/d(that tensor).
    virtual void compute(Backend& backend, const Tensor& output, const Tensor& target,
                         bool fromPreActivation, Tensor& loss, Tensor* grad) = 0;

    /// The shape of a target for an output of this per-sample shape.
    virtual Shape targetShape(const Shape& outputShape) const { return outputShape; }
};

struct LossKind {
    static constexpr const char* registryNoun = "loss";
    std::string type;  ///< Keras' name: "categorical_crossentropy"
    std::vector<std::string> aliases;
    std::string description;
    std::function<std::unique_ptr<Loss>()> create;
};

using LossRegistry = Registry<LossKind>;

/// Creates a loss by Keras name or alias ("mse" for mean_squared_error).
std::unique_ptr<Loss> makeLoss(const std::string& name);

}  // namespace loom
