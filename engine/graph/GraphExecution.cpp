// Forward and backward passes over a built graph, in topological order.

#include <loom/Error.h>
#include <loom/Graph.h>

namespace loom {

namespace {

void checkInputTensor(const Tensor& t, const Shape& expected, const std::string& name,
                      const ExecutionContext& ctx) {
    if (t.rank() != expected.rank() + 1 || t.shape().withoutBatch() != expected) {
        throw ShapeError("input '" + name + "' expects samples of shape " + expected.str() +
                         ", got a batch of shape " + t.shape().str());
    }
    if (t.dtype() != ctx.dtype) {
        throw ShapeError("input '" + name + "' holds " + dtypeName(t.dtype()) +
                         " but the graph runs in " + dtypeName(ctx.dtype));
    }
    if (t.device() != ctx.backend.device()) {
        throw BackendError("input '" + name + "' lives on " + t.device().str() +
                           " but the graph runs on " + ctx.backend.device().str());
    }
}

// A buffer that was a view of another tensor in an earlier pass (Flatten, inference-time
// Dropout) must not be reused as scratch space, or writing it would overwrite that tensor.
void detachFrom(Tensor& buffer, const Tensor& other) {
    if (buffer.defined() && other.defined() && buffer.sharesStorageWith(other)) {
        buffer = Tensor();
    }
}

}  // namespace

std::vector<Tensor> Graph::forward(ExecutionContext& ctx, const std::vector<Tensor>& inputs) {
    if (!m_built) {
        throw GraphError("the graph must be built before it runs (call build())");
    }
    if (inputs.size() != m_inputNames.size()) {
        throw GraphError("the graph has " + std::to_string(m_inputNames.size()) + " input(s) but " +
                         std::to_string(inputs.size()) + " were given");
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
        Node& in = node(m_inputNames[i]);
        checkInputTensor(inputs[i], in.outputShape, m_inputNames[i], ctx);
        if (inputs[i].dim(0) != inputs[0].dim(0)) {
            throw ShapeError("all inputs must have the same batch size");
        }
        in.preActivation = in.output = inputs[i];
    }
    return runNodes(ctx, std::vector<bool>(m_nodes.size(), false));
}

std::vector<bool> Graph::ancestorsOf(const std::string& layer) const {
    const std::optional<size_t> start = findNode(layer);
    if (!start) {
        throw GraphError("no layer named '" + layer + "' in the graph '" + m_name + "'");
    }
    std::vector<bool> reached(m_nodes.size(), false);
    std::vector<size_t> pending{*start};
    while (!pending.empty()) {
        const size_t index = pending.back();
        pending.pop_back();
        if (!reached[index]) {
            reached[index] = true;
            pending.insert(pending.end(), m_nodes[index].inputIndices.begin(),
                           m_nodes[index].inputIndices.end());
        }
    }
    return reached;
}

std::vector<Tensor> Graph::forwardFrom(ExecutionContext& ctx, const std::string& layer,
                                       const Tensor& output) {
    if (!m_built) {
        throw GraphError("the graph must be built before it runs (call build())");
    }
    Node& given = node(layer);
    checkInputTensor(output, given.outputShape, layer, ctx);
    const std::vector<bool> skipped = ancestorsOf(layer);
    const size_t givenIndex = *findNode(layer);
    for (size_t index = 0; index < m_nodes.size(); ++index) {
        for (size_t from : m_nodes[index].inputIndices) {
            if (!skipped[index] && skipped[from] && from != givenIndex) {
                throw GraphError(m_nodes[index].layer->describe() + " reads '" +
                                 m_nodes[from].layer->name() + "', which comes before '" + layer +
                                 "': the graph cannot start from there");
            }
        }
    }
    given.preActivation = given.output = output;
    return runNodes(ctx, skipped);
}

std::vector<Tensor> Graph::runNodes(ExecutionContext& ctx, const std::vector<bool>& skipped) {
    std::vector<Tensor> xs;
    for (size_t index : m_order) {
        Node& n = m_nodes[index];
        if (n.inputIndices.empty() || skipped[index]) {
            continue;
        }
        xs.clear();
        for (size_t from : n.inputIndices) {
            xs.push_back(m_nodes[from].output);
            detachFrom(n.preActivation, xs.back());
        }
        n.layer->forward(ctx, xs, n.preActivation);
        ActivationKind act = n.layer->activation();
        if (act == ActivationKind::Linear) {
            n.output = n.preActivation;
            continue;
        }
        detachFrom(n.output, n.preActivation);
        ctx.ensure(n.output, n.preActivation.shape());
        ctx.backend.activationForward(act, n.layer->activationAlpha(), n.preActivation, n.output);
    }
    std::vector<Tensor> outputs;
    for (const std::string& name : m_outputNames) {
        outputs.push_back(node(name).output);
    }
    return outputs;
}

void Graph::computeGradientNeeds(bool wantInputGradients) {
    m_needsGrad.assign(m_nodes.size(), false);
    for (size_t index : m_order) {
        const Node& n = m_nodes[index];
        bool needs = n.inputIndices.empty()
                         ? wantInputGradients
                         : n.layer->trainable() && n.layer->trainableParameterCount() > 0;
        for (size_t from : n.inputIndices) {
            needs = needs || m_needsGrad[from];
        }
        m_needsGrad[index] = needs;
    }
}

void Graph::seedOutputGradients(ExecutionContext& ctx, const std::vector<OutputGradient>& grads) {
    if (grads.size() != m_outputNames.size()) {
        throw GraphError(
            "backward needs one gradient per output: " + std::to_string(m_outputNames.size()) +
            " expected, " + std::to_string(grads.size()) + " given");
    }
    for (size_t i = 0; i < grads.size(); ++i) {
        size_t index = *findNode(m_outputNames[i]);
        Node& n = m_nodes[index];
        if (grads[i].grad.shape() != n.output.shape()) {
            throw ShapeError("the gradient for output '" + m_outputNames[i] + "' has shape " +
                             grads[i].grad.shape().str() + " but the output has shape " +
                             n.output.shape().str());
        }
        // A copy, so that gradients flowing back from the output's own consumers can be
        // added without touching the caller's tensor.
        ctx.ensure(n.grad, n.output.shape());
        ctx.backend.copy(grads[i].grad, n.grad);
        m_gradSet[index] = true;
        m_gradIsPreActivation[index] = grads[i].preActivation;
    }
}

void Graph::backward(ExecutionContext& ctx, const std::vector<OutputGradient>& outputGradients,
                     bool wantInputGradients, const std::function<void(size_t node)>& afterNode) {
    if (!m_built) {
        throw GraphError("the graph must be built and run forward before backward");
    }
    computeGradientNeeds(wantInputGradients);
    m_gradSet.assign(m_nodes.size(), false);
    m_gradIsPreActivation.assign(m_nodes.size(), false);
    seedOutputGradients(ctx, outputGradients);
    for (auto it = m_order.rbegin(); it != m_order.rend(); ++it) {
        if (m_gradSet[*it] && m_needsGrad[*it] && !m_nodes[*it].inputIndices.empty()) {
            backwardNode(ctx, *it);
            if (afterNode) {
                afterNode(*it);
            }
        }
    }
}

void Graph::backwardNode(ExecutionContext& ctx, size_t index) {
    Node& n = m_nodes[index];
    const Tensor* dz = &n.grad;
    ActivationKind act = n.layer->activation();
    if (act != ActivationKind::Linear && !m_gradIsPreActivation[index]) {
        detachFrom(n.preActivationGrad, n.grad);
        ctx.ensure(n.preActivationGrad, n.preActivation.shape());
        ctx.backend.activationBackward(act, n.layer->activationAlpha(), n.preActivation, n.output,
                                       n.grad, n.preActivationGrad);
        dz = &n.preActivationGrad;
    }
    std::vector<Tensor> xs;
    std::vector<bool> needDx;
    for (size_t from : n.inputIndices) {
        xs.push_back(m_nodes[from].output);
        needDx.push_back(m_needsGrad[from]);
    }
    n.inputGrads.resize(xs.size());
    for (Tensor& dx : n.inputGrads) {
        detachFrom(dx, *dz);
    }
    n.layer->backward(ctx, xs, n.preActivation, *dz, n.inputGrads, needDx);
    for (size_t i = 0; i < xs.size(); ++i) {
        if (needDx[i]) {
            accumulateGradient(ctx, n.inputIndices[i], n.inputGrads[i]);
        }
    }
}

void Graph::accumulateGradient(ExecutionContext& ctx, size_t index, const Tensor& grad) {
    Node& n = m_nodes[index];
    if (grad.shape() != n.output.shape()) {
        throw ShapeError(n.layer->describe() + ": a consumer returned a gradient of shape " +
                         grad.shape().str() + " for an output of shape " + n.output.shape().str());
    }
    if (!m_gradSet[index]) {
        n.grad = grad;
        m_gradSet[index] = true;
        return;
    }
    // Later consumers add into the first one's buffer: every consumer of this node has run
    // its backward already (reverse topological order), so nothing reads that buffer again.
    ctx.backend.add(n.grad, grad, n.grad);
}

const Tensor& Graph::inputGradient(size_t index) const {
    if (index >= m_inputNames.size()) {
        throw GraphError("input index " + std::to_string(index) + " is out of range");
    }
    const Node& n = node(m_inputNames[index]);
    if (!n.grad.defined()) {
        throw GraphError("no gradient for input '" + m_inputNames[index] +
                         "': call backward with wantInputGradients");
    }
    return n.grad;
}

}  // namespace loom
