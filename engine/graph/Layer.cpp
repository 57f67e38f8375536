#include <loom/Error.h>
#include <loom/Layer.h>

#include <algorithm>

namespace loom {

void ExecutionContext::ensure(Tensor& t, const Shape& shape) const {
    if (t.defined() && t.shape() == shape && t.dtype() == dtype && t.device() == backend.device()) {
        return;
    }
    t = backend.allocate(shape, dtype);
}

void Layer::build(const std::vector<Shape>&, BuildContext&) {}

ActivationKind Layer::activation() const {
    if (!m_params.has("activation")) {
        return ActivationKind::Linear;
    }
    return activationFromName(m_params.getString("activation"));
}

double Layer::activationAlpha() const {
    switch (activation()) {
        case ActivationKind::LeakyRelu:
            return 0.2;
        case ActivationKind::Elu:
            return 1.0;
        case ActivationKind::ClippedRelu:
            return 6.0;
        default:
            return 0.0;
    }
}

Parameter* Layer::findParameter(const std::string& name) {
    for (Parameter& p : m_parameters) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

int64_t Layer::parameterCount() const {
    int64_t n = 0;
    for (const Parameter& p : m_parameters) {
        n += p.value.numel();
    }
    return n;
}

int64_t Layer::trainableParameterCount() const {
    if (!m_trainable) {
        return 0;
    }
    int64_t n = 0;
    for (const Parameter& p : m_parameters) {
        n += p.trainable ? p.value.numel() : 0;
    }
    return n;
}

void Layer::initialise(const LayerKind& kind, std::string name, const nlohmann::json& params) {
    m_kind = &kind;
    m_name = std::move(name);
    m_params = ParamSet(&kind.params, params, describe());
}

std::string Layer::describe() const {
    return "layer '" + m_name + "' (" + (m_kind != nullptr ? m_kind->type : "?") + ")";
}

void Layer::addParameter(const std::string& name, const Shape& shape,
                         const std::string& initializer, int64_t fanIn, int64_t fanOut,
                         bool trainable, BuildContext& ctx) {
    if (ctx.declarations != nullptr) {
        ctx.declarations->push_back({name, shape, trainable});
        return;
    }
    if (ctx.parameterBudget != nullptr) {
        int64_t count = 1;
        for (int64_t d : shape.dims()) {
            count = d > 0 && count > *ctx.parameterBudget / d ? *ctx.parameterBudget + 1
                                                              : count * std::max<int64_t>(d, 0);
        }
        if (count > *ctx.parameterBudget) {
            throw GraphError(describe() + ": weight '" + name + "' of shape " + shape.str() +
                             " is larger than the file it comes from can hold");
        }
        *ctx.parameterBudget -= count;
    }
    Tensor value = Tensor::empty(shape, ctx.dtype);
    initialize(value, initializer, fanIn, fanOut, ctx.rng);
    Parameter p{name, std::move(value), Tensor(), trainable};
    if (Parameter* existing = findParameter(name)) {
        *existing = std::move(p);
        return;
    }
    m_parameters.push_back(std::move(p));
}

void Layer::shapeError(const std::string& message) const {
    throw ShapeError(describe() + ": " + message);
}

ParamSpec activationParamSpec(const std::string& def) {
    return ParamSpec::choice("activation", def, activationNames(),
                             "Applied to the layer's output (softmax: along the feature axis)");
}

}  // namespace loom
