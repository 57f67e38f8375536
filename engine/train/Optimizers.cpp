// The optimizers, with Keras' names, hyperparameters and defaults. Formulas: see the update
// ops in Backend.h.

#include <loom/Optimizer.h>

namespace loom {

namespace {

ParamSpec learningRate(double def) {
    return ParamSpec::real("learning_rate", def, 0.0, 10.0, "Step size");
}

ParamSpec epsilon() {
    return ParamSpec::real("epsilon", 1e-7, 0.0, 1.0, "Added to the denominator for stability");
}

class Sgd final : public Optimizer {
protected:
    std::vector<std::string> slotNames() const override {
        return params().getFloat("momentum") > 0.0 ? std::vector<std::string>{"momentum"}
                                                   : std::vector<std::string>{};
    }
    void update(Backend& backend, Parameter& p, std::vector<Tensor>& slots, double lr) override {
        backend.sgdUpdate(p.value, p.grad, slots.empty() ? nullptr : &slots[0], lr,
                          params().getFloat("momentum"), params().getBool("nesterov"));
    }
};

class RmsProp final : public Optimizer {
protected:
    std::vector<std::string> slotNames() const override { return {"velocity"}; }
    void update(Backend& backend, Parameter& p, std::vector<Tensor>& slots, double lr) override {
        backend.rmspropUpdate(p.value, p.grad, slots[0], lr, params().getFloat("rho"),
                              params().getFloat("epsilon"));
    }
};

class Adagrad final : public Optimizer {
protected:
    std::vector<std::string> slotNames() const override { return {"accumulator"}; }
    double slotInitialValue() const override {
        return params().getFloat("initial_accumulator_value");
    }
    void update(Backend& backend, Parameter& p, std::vector<Tensor>& slots, double lr) override {
        backend.adagradUpdate(p.value, p.grad, slots[0], lr, params().getFloat("epsilon"));
    }
};

class Adam final : public Optimizer {
protected:
    std::vector<std::string> slotNames() const override { return {"momentum", "velocity"}; }
    void update(Backend& backend, Parameter& p, std::vector<Tensor>& slots, double lr) override {
        double decay = params().has("weight_decay") ? params().getFloat("weight_decay") : 0.0;
        backend.adamUpdate(p.value, p.grad, slots[0], slots[1], lr, params().getFloat("beta_1"),
                           params().getFloat("beta_2"), params().getFloat("epsilon"), iterations(),
                           decay);
    }
};

std::vector<ParamSpec> adamParams() {
    return {learningRate(0.001),
            ParamSpec::real("beta_1", 0.9, 0.0, 0.999999, "Decay of the first moment"),
            ParamSpec::real("beta_2", 0.999, 0.0, 0.999999, "Decay of the second moment"),
            epsilon()};
}

template <class O>
OptimizerKind optimizerKind(std::string type, std::string description,
                            std::vector<ParamSpec> params) {
    return {std::move(type), std::move(description), std::move(params),
            [] { return std::make_unique<O>(); }};
}

[[maybe_unused]] const bool registered = [] {
    auto& registry = OptimizerRegistry::instance();
    registry.add(optimizerKind<Sgd>(
        "sgd", "Stochastic gradient descent, with optional (Nesterov) momentum",
        {learningRate(0.01), ParamSpec::real("momentum", 0.0, 0.0, 1.0, "Velocity decay"),
         ParamSpec::boolean("nesterov", false, "Use Nesterov momentum")}));
    registry.add(optimizerKind<RmsProp>(
        "rmsprop", "Divides the gradient by a running average of its magnitude",
        {learningRate(0.001),
         ParamSpec::real("rho", 0.9, 0.0, 1.0, "Decay of the squared-gradient average"),
         epsilon()}));
    registry.add(optimizerKind<Adagrad>(
        "adagrad", "Per-parameter rates that shrink with the sum of squared gradients",
        {learningRate(0.001),
         ParamSpec::real("initial_accumulator_value", 0.1, 0.0, 1e6,
                         "Starting value of the squared-gradient sum"),
         epsilon()}));
    registry.add(optimizerKind<Adam>("adam", "Adaptive moment estimation", adamParams()));
    std::vector<ParamSpec> adamw = adamParams();
    adamw.push_back(ParamSpec::real("weight_decay", 0.004, 0.0, 1.0, "Decoupled weight decay"));
    registry.add(optimizerKind<Adam>("adamw", "Adam with decoupled weight decay", adamw));
    return true;
}();

}  // namespace
}  // namespace loom
