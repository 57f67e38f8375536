// One training step, evaluation and prediction. The epoch loop is in TrainerFit.cpp.

#include <loom/Error.h>
#include <loom/Trainer.h>

#include <cmath>
#include <numeric>

namespace loom {

namespace {

// Targets [B] for a [B, 1] output (binary labels, one regression value) take its shape;
// class-index targets for a sparse loss keep theirs.
Tensor matchTarget(const Tensor& targets, const Tensor& prediction) {
    if (targets.numel() == prediction.numel() && targets.shape() != prediction.shape()) {
        return targets.reshape(prediction.shape());
    }
    return targets;
}

}  // namespace

Trainer::Trainer(Graph& graph, TrainingConfig config, Backend& backend)
    : m_graph(graph),
      m_config(std::move(config)),
      m_backend(backend),
      m_loss(makeLoss(m_config.loss)),
      m_optimizer(makeOptimizer(m_config.optimizer, m_config.optimizerParams)),
      m_ctx{backend, true, m_config.seed, 0, DType::F32},
      m_baseLearningRate(m_optimizer->learningRate()) {
    if (!m_graph.isBuilt()) {
        m_graph.build(m_config.seed);
    }
    if (m_graph.inputNames().size() != 1 || m_graph.outputNames().size() != 1) {
        throw GraphError("training needs a model with one input and one output; this one has " +
                         std::to_string(m_graph.inputNames().size()) + " and " +
                         std::to_string(m_graph.outputNames().size()));
    }
    m_graph.moveTo(m_backend);
    // The graph does not change while this trainer lives, so its parameter list is made once
    // rather than on every step.
    for (auto& [name, p] : m_graph.parameters()) {
        m_parameters.push_back({name, p});
    }
    m_lossValue = m_backend.allocate(Shape{1});
}

Trainer::~Trainer() = default;

bool Trainer::fusesWithOutput() const {
    const Layer& out = *m_graph.node(m_graph.outputNames()[0]).layer;
    return m_loss->fusedActivation() != ActivationKind::Linear &&
           out.activation() == m_loss->fusedActivation();
}

TargetForm Trainer::targetForm(const Dataset& data) const {
    if (!data.isClassification()) {
        return TargetForm::Values;
    }
    if (m_loss->type() == "sparse_categorical_crossentropy") {
        return TargetForm::ClassIndex;
    }
    const Shape& out = m_graph.node(m_graph.outputNames()[0]).outputShape;
    // A single sigmoid unit for two classes takes the 0/1 label itself.
    return out.numel() == 1 ? TargetForm::ClassIndex : TargetForm::OneHot;
}

void Trainer::checkCompatible(const Dataset& data) const {
    const Shape& in = m_graph.node(m_graph.inputNames()[0]).outputShape;
    if (data.sampleShape() != in) {
        throw DataError("the data set's samples have shape " + data.sampleShape().str() +
                        " but the model's input '" + m_graph.inputNames()[0] + "' expects " +
                        in.str() +
                        (data.sampleShape().numel() == in.numel()
                             ? "; flatten or reshape the data (e.g. --flatten)"
                             : ""));
    }
    const Shape& out = m_graph.node(m_graph.outputNames()[0]).outputShape;
    if (data.isClassification() && out.numel() != data.classCount() &&
        !(out.numel() == 1 && data.classCount() == 2)) {
        throw DataError("the data set has " + std::to_string(data.classCount()) +
                        " classes but the model's output " + out.str() + " has " +
                        std::to_string(out.numel()) + " units");
    }
}

std::string Trainer::firstNonFiniteLayer() const {
    for (size_t index : m_graph.order()) {
        const Graph::Node& n = m_graph.nodes()[index];
        if (n.output.defined() && m_backend.countNonFinite(n.output) > 0) {
            return n.layer->name();
        }
    }
    return {};
}

Trainer::StepResult Trainer::trainStep(const Batch& batch) {
    m_ctx.training = true;
    m_ctx.step = static_cast<uint64_t>(m_step++);
    const bool fused = fusesWithOutput();
    m_graph.forward(m_ctx, {batch.samples});
    const Graph::Node& out = m_graph.node(m_graph.outputNames()[0]);
    const Tensor& prediction = fused ? out.preActivation : out.output;
    const Tensor target = matchTarget(batch.targets, prediction);
    m_ctx.ensure(m_lossGrad, prediction.shape());
    m_loss->compute(m_backend, prediction, target, fused, m_lossValue, &m_lossGrad);
    const double loss = m_lossValue.at(0);
    if (!std::isfinite(loss)) {
        return {loss, 0.0};
    }
    m_graph.backward(m_ctx, {{m_lossGrad, fused}});
    m_optimizer->step(m_backend, m_parameters);
    double accuracy = std::nan("");
    if (batch.labels.defined() && out.output.rank() == 2 && out.output.dim(1) > 1) {
        ClassificationMetrics metrics(out.output.dim(1), 1);
        metrics.add(out.output, batch.labels);
        accuracy = metrics.accuracy();
    }
    return {loss, accuracy};
}

EvaluationResult Trainer::evaluate(const Dataset& data) {
    checkCompatible(data);
    EvaluationResult result;
    const bool fused = fusesWithOutput();
    const Shape& outShape = m_graph.node(m_graph.outputNames()[0]).outputShape;
    if (data.isClassification() && outShape.numel() > 1) {
        result.metrics.emplace(outShape.numel(), m_config.topK);
    }
    std::vector<int64_t> order(static_cast<size_t>(data.size()));
    std::iota(order.begin(), order.end(), int64_t{0});
    BatchLoader loader(data, order, m_config.batchSize, targetForm(data));
    ExecutionContext ctx{m_backend, false, m_config.seed, 0, DType::F32};
    Batch batch;
    double weighted = 0;
    while (loader.next(batch)) {
        m_graph.forward(ctx, {batch.samples});
        const Graph::Node& out = m_graph.node(m_graph.outputNames()[0]);
        const Tensor& prediction = fused ? out.preActivation : out.output;
        const Tensor target = matchTarget(batch.targets, prediction);
        m_loss->compute(m_backend, prediction, target, fused, m_lossValue, nullptr);
        weighted += m_lossValue.at(0) * static_cast<double>(batch.samples.dim(0));
        if (result.metrics) {
            result.metrics->add(out.output, batch.labels);
        }
    }
    result.samples = data.size();
    result.loss = data.size() ? weighted / static_cast<double>(data.size()) : 0.0;
    return result;
}

Tensor Trainer::predict(const Tensor& samples) {
    const Shape outShape = m_graph.node(m_graph.outputNames()[0]).outputShape;
    Tensor result = Tensor::empty(outShape.withBatch(samples.dim(0)));
    ExecutionContext ctx{m_backend, false, m_config.seed, 0, DType::F32};
    for (int64_t begin = 0; begin < samples.dim(0); begin += m_config.batchSize) {
        int64_t end = std::min(samples.dim(0), begin + m_config.batchSize);
        Tensor out = m_graph.forward(ctx, {samples.slice(begin, end)})[0];
        Tensor into = result.slice(begin, end);
        m_backend.copy(out, into);
    }
    return result;
}

}  // namespace loom
