#pragma once
/// Optimizers with Keras' names, hyperparameters and defaults: sgd (with momentum and
/// nesterov), rmsprop, adagrad, adam, adamw. The update rules run as Backend ops; the state
/// (slots per parameter and the step count) can be saved and restored so training resumes
/// exactly.

#include <loom/Backend.h>
#include <loom/Layer.h>
#include <loom/Params.h>
#include <loom/Registry.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace loom {

/// A parameter an optimizer updates, named "layer/weight".
struct NamedParameter {
    std::string name;
    Parameter* parameter;
    double learningRateFactor = 1.0;  ///< its layer's (Layer::learningRateFactor)
};

class Optimizer {
public:
    virtual ~Optimizer() = default;

    const std::string& type() const { return m_type; }
    const ParamSet& params() const { return m_params; }
    ParamSet& params() { return m_params; }

    double learningRate() const { return m_learningRate; }
    /// A schedule sets the rate for the coming steps.
    void setLearningRate(double lr) { m_learningRate = lr; }

    /// Applies one update to every trainable parameter with a gradient.
    void step(Backend& backend, const std::vector<NamedParameter>& parameters);
    int64_t iterations() const { return m_iterations; }

    /// The state: slot tensors by "layer/weight/slot" and the step count.
    std::map<std::string, Tensor> stateTensors() const;
    void restoreState(const std::map<std::string, Tensor>& state, int64_t iterations);

    /// Used by makeOptimizer.
    void initialise(std::string type, ParamSet params);

protected:
    /// Updates one parameter given its slots (created zero-filled from slotNames()), at the
    /// learning rate `lr` (the optimizer's, times the parameter's layer's factor).
    virtual void update(Backend& backend, Parameter& p, std::vector<Tensor>& slots, double lr) = 0;
    virtual std::vector<std::string> slotNames() const { return {}; }
    /// The value a new slot starts at (Adagrad starts its accumulator at 0.1).
    virtual double slotInitialValue() const { return 0.0; }

private:
    std::string m_type;
    ParamSet m_params;
    double m_learningRate = 0.01;
    int64_t m_iterations = 0;
    std::map<std::string, std::vector<Tensor>> m_slots;
};

struct OptimizerKind {
    static constexpr const char* registryNoun = "optimizer";
    std::string type;  ///< Keras' name: "sgd", "rmsprop", ...
    std::string description;
    std::vector<ParamSpec> params;  ///< the first is always learning_rate
    std::function<std::unique_ptr<Optimizer>()> create;
};

using OptimizerRegistry = Registry<OptimizerKind>;

/// Creates an optimizer by name with its hyperparameters (Keras' defaults for those not given).
std::unique_ptr<Optimizer> makeOptimizer(const std::string& type,
                                         const nlohmann::json& params = nlohmann::json::object());

}  // namespace loom
