#include <loom/Error.h>
#include <loom/Optimizer.h>

#include <algorithm>
#include <cctype>

namespace loom {

void Optimizer::initialise(std::string type, ParamSet params) {
    m_type = std::move(type);
    m_params = std::move(params);
    m_learningRate = m_params.getFloat("learning_rate");
}

void Optimizer::step(Backend& backend, const std::vector<NamedParameter>& parameters) {
    ++m_iterations;
    const std::vector<std::string> names = slotNames();
    for (const NamedParameter& named : parameters) {
        Parameter& p = *named.parameter;
        if (!p.trainable || !p.grad.defined()) {
            continue;
        }
        std::vector<Tensor>& slots = m_slots[named.name];
        if (slots.size() != names.size() ||
            (!slots.empty() && slots[0].shape() != p.value.shape())) {
            slots.clear();
            for (size_t i = 0; i < names.size(); ++i) {
                Tensor slot = backend.allocate(p.value.shape(), p.value.dtype());
                backend.fill(slot, slotInitialValue());
                slots.push_back(std::move(slot));
            }
        }
        // State restored from a file arrives on the host: it moves to the parameters' device
        // once, at its first step there.
        for (Tensor& slot : slots) {
            if (slot.device() != p.value.device()) {
                Tensor moved = backend.allocate(slot.shape(), slot.dtype());
                backend.copy(slot, moved);
                slot = std::move(moved);
            }
        }
        update(backend, p, slots, m_learningRate * named.learningRateFactor);
    }
}

std::map<std::string, Tensor> Optimizer::stateTensors() const {
    std::map<std::string, Tensor> state;
    const std::vector<std::string> names = slotNames();
    for (const auto& [parameter, slots] : m_slots) {
        for (size_t i = 0; i < slots.size(); ++i) {
            state[parameter + "/" + names[i]] = slots[i];
        }
    }
    return state;
}

void Optimizer::restoreState(const std::map<std::string, Tensor>& state, int64_t iterations) {
    if (iterations < 0) {
        throw ConfigError("optimizer state: the step count cannot be negative");
    }
    const std::vector<std::string> names = slotNames();
    std::map<std::string, std::vector<Tensor>> slots;
    for (const auto& [key, tensor] : state) {
        size_t slash = key.rfind('/');
        std::string slot = slash == std::string::npos ? "" : key.substr(slash + 1);
        auto it = std::find(names.begin(), names.end(), slot);
        if (it == names.end()) {
            throw ConfigError("optimizer state: '" + key + "' is not a slot of " + m_type);
        }
        std::vector<Tensor>& list = slots[key.substr(0, slash)];
        list.resize(names.size());
        list[static_cast<size_t>(it - names.begin())] = tensor;
    }
    for (const auto& [parameter, list] : slots) {
        for (size_t i = 0; i < list.size(); ++i) {
            if (!list[i].defined()) {
                throw ConfigError("optimizer state for '" + parameter + "' lacks its '" + names[i] +
                                  "' slot");
            }
        }
    }
    m_slots = std::move(slots);
    m_iterations = iterations;
}

std::unique_ptr<Optimizer> makeOptimizer(const std::string& type, const nlohmann::json& params) {
    // Keras' class names ("SGD", "RMSprop") name the same optimizers as its string ids.
    std::string id = type;
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const OptimizerKind& kind = OptimizerRegistry::instance().find(id);
    std::unique_ptr<Optimizer> optimizer = kind.create();
    optimizer->initialise(kind.type, ParamSet(&kind.params, params, "optimizer '" + type + "'"));
    return optimizer;
}

}  // namespace loom
