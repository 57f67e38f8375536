// One training step, evaluation and prediction. The epoch loop is in TrainerFit.cpp.

#include <loom/Error.h>
#include <loom/HostCopy.h>
#include <loom/Trainer.h>

#include "train/GradientReducer.h"

#include <algorithm>
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

// Batches come from the loader in host memory; on a device they are copied there first (into
// blocks the backend's allocator hands out again each step). On the CPU this is the tensor
// itself.
Tensor onDevice(Backend& backend, const Tensor& t) {
    if (!t.defined() || t.device() == backend.device()) {
        return t;
    }
    Tensor copy = backend.allocate(t.shape(), t.dtype());
    backend.copy(t, copy);
    return copy;
}

// The host's view of a tensor: itself on the CPU, a copy from a device (which waits for it).
Tensor onHost(const Tensor& t) {
    return t.device().kind == DeviceKind::CPU ? t : t.toHost();
}

// "2 (input, input_1)"
std::string countAndNames(const std::vector<std::string>& names) {
    std::string list;
    for (const std::string& name : names) {
        list += (list.empty() ? "" : ", ") + name;
    }
    return std::to_string(names.size()) + (names.empty() ? "" : " (" + list + ")");
}

}  // namespace

void requireOneInputAndOutput(const Graph& graph) {
    if (graph.inputNames().size() != 1 || graph.outputNames().size() != 1) {
        throw GraphError(
            "training needs one Input layer and one output (a layer no other layer reads); "
            "this network has " +
            countAndNames(graph.inputNames()) + " Input layers and " +
            countAndNames(graph.outputNames()) +
            " outputs: wire the layers into one network or delete the extra ones");
    }
}

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
    requireOneInputAndOutput(m_graph);
    m_graph.moveTo(m_backend);
    // The graph does not change while this trainer lives, so its parameter list is made once
    // rather than on every step.
    for (auto& [name, p] : m_graph.parameters()) {
        const std::string layer = name.substr(0, name.rfind('/'));
        m_parameters.push_back({name, p, m_graph.layer(layer).learningRateFactor()});
    }
    m_lossValue = m_backend.allocate(Shape{1});
}

Trainer::~Trainer() = default;

void Trainer::setAugmentation(const AugmentationOptions& options,
                              const Normalization& normalization) {
    m_augmenter.emplace(options, normalization);
}

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
    if (!m_givenLayer.empty()) {
        return;  // the base's own outputs, made from data that was checked
    }
    const Shape& in = m_graph.node(m_graph.inputNames()[0]).outputShape;
    if (data.sampleShape() != in) {
        throw DataError("the data set's samples have shape " + data.sampleShape().str() +
                        " but the model's input '" + m_graph.inputNames()[0] + "' expects " +
                        in.str() +
                        (data.sampleShape().numel() == in.numel()
                             ? "; set the input's shape to " + data.sampleShape().str() +
                                   " and add a Reshape or Flatten layer after it"
                             : ""));
    }
    const Shape& out = m_graph.node(m_graph.outputNames()[0]).outputShape;
    if (data.isClassification() && out.numel() != data.classCount() &&
        !(out.numel() == 1 && data.classCount() == 2)) {
        throw DataError("the data set has " + std::to_string(data.classCount()) +
                        " classes but the model's output " + out.str() + " has " +
                        std::to_string(out.numel()) +
                        " units: set the units of the output "
                        "layer '" +
                        m_graph.outputNames()[0] + "' to " + std::to_string(data.classCount()));
    }
}

std::string Trainer::firstLayerWhere(
    const std::function<bool(size_t node, const Tensor& output)>& faulty) const {
    for (size_t index : m_graph.order()) {
        const Graph::Node& n = m_graph.nodes()[index];
        if (n.output.defined() && faulty(index, n.output)) {
            return n.layer->name();
        }
    }
    return {};
}

std::string Trainer::firstNonFiniteLayer() const {
    return firstLayerWhere(
        [&](size_t, const Tensor& output) { return m_backend.countNonFinite(output) > 0; });
}

std::string Trainer::firstExplodedLayer(const std::vector<double>& startScales) const {
    // Ten times the size they had at the first batch: far beyond what training moves a
    // layer's outputs, and the first layer to get there is where the explosion begins (the
    // layers after it grow because it did). The data cannot explode: Input layers are skipped.
    constexpr double kExplodedGrowth = 10;
    const std::vector<double> now = outputScales();
    const std::vector<std::string>& inputs = m_graph.inputNames();
    return firstLayerWhere([&](size_t node, const Tensor&) {
        const double start = startScales.at(node);
        return std::find(inputs.begin(), inputs.end(), m_graph.nodes()[node].layer->name()) ==
                   inputs.end() &&
               start > 0 && !(now[node] <= kExplodedGrowth * start);  // NaN counts too
    });
}

std::vector<double> Trainer::outputScales() const {
    std::vector<double> scales(m_graph.nodes().size(), std::nan(""));
    Tensor sum = m_backend.allocate(Shape{1});
    for (size_t index : m_graph.order()) {
        const Tensor& output = m_graph.nodes()[index].output;
        if (output.defined() && output.numel() > 0) {
            m_backend.sumSquares(output, sum);
            scales[index] = std::sqrt(onHost(sum).at(0) / static_cast<double>(output.numel()));
        }
    }
    return scales;
}

std::vector<Tensor> Trainer::forwardBatch(ExecutionContext& ctx, const Tensor& samples) {
    const Tensor onDeviceSamples = onDevice(m_backend, samples);
    return m_givenLayer.empty() ? m_graph.forward(ctx, {onDeviceSamples})
                                : m_graph.forwardFrom(ctx, m_givenLayer, onDeviceSamples);
}

Trainer::StepResult Trainer::trainStep(const Batch& batch, int epoch, RankRequests requests) {
    m_ctx.training = true;
    m_ctx.step = static_cast<uint64_t>(m_position.step++);
    const bool fused = fusesWithOutput();
    forwardBatch(m_ctx, batch.samples);
    const Graph::Node& out = m_graph.node(m_graph.outputNames()[0]);
    const Tensor& prediction = fused ? out.preActivation : out.output;
    const Tensor target = matchTarget(onDevice(m_backend, batch.targets), prediction);
    m_ctx.ensure(m_lossGrad, prediction.shape());
    m_loss->compute(m_backend, prediction, target, fused, m_lossValue, &m_lossGrad);
    StepResult result{onHost(m_lossValue).at(0), std::nan(""), std::nullopt, batch.samples.dim(0),
                      requests};
    // Every rank goes on to the gradients' all-reduce, whatever its own loss: the others wait
    // there for it, and the reduced loss stops them all together.
    if (!std::isfinite(result.loss) && !m_reducer) {
        return result;
    }
    // Before backward, which leaves the output alone: on a GPU the device has just been waited
    // for (the loss), so the output's copy to the host costs no second wait, and backward and
    // the update then run while the host prepares the next batch.
    if (batch.labels.defined() && out.output.rank() == 2 && out.output.dim(1) > 1) {
        ClassificationMetrics metrics(out.output.dim(1), 1);
        metrics.add(onHost(out.output), batch.labels);
        result.accuracy = metrics.accuracy();
    }
    backwardAndReduce(fused, result);
    if (m_reducer && !std::isfinite(result.loss)) {
        return result;
    }
    const bool sampled = m_statistics && m_statistics->due(m_position.step);
    if (sampled) {
        m_statistics->observe(m_graph);
    }
    m_optimizer->step(m_backend, m_parameters);
    if (sampled) {
        result.statistics = m_statistics->finish(m_graph, m_position.step, epoch);
    }
    return result;
}

void Trainer::backwardAndReduce(bool fused, StepResult& result) {
    if (!m_reducer) {
        m_graph.backward(m_ctx, {{m_lossGrad, fused}});
        return;
    }
    // The step's metrics ride with the gradients: the reported loss and accuracy are the
    // global batch's, and a stop or pause any rank was asked for reaches them all.
    const auto samples = static_cast<float>(result.samples);
    const float metrics[kStepMetrics] = {
        static_cast<float>(result.loss) * samples, static_cast<float>(result.accuracy) * samples,
        samples, result.requests.stop ? 1.0f : 0.0f, result.requests.pause ? 1.0f : 0.0f};
    m_reducer->begin(samples / static_cast<float>(m_ctx.globalBatch), metrics);
    m_graph.backward(m_ctx, {{m_lossGrad, fused}}, false,
                     [this](size_t node) { m_reducer->nodeDone(node); });
    m_reducer->finish();
    const GradientReducer::Timing timing = m_reducer->takeTiming();
    m_allReduceSeconds.waited += timing.waited;
    m_allReduceSeconds.communicating += timing.communicating;
    const std::span<const float> totals = m_reducer->riderTotals();
    result.loss = double(totals[0]) / double(totals[2]);
    result.accuracy = double(totals[1]) / double(totals[2]);
    result.samples = static_cast<int64_t>(totals[2]);
    result.requests = {totals[3] > 0, totals[4] > 0};
}

void Trainer::setCollective(Collective& collective) {
    if (m_backend.device().kind != DeviceKind::CPU) {
        throw ConfigError(
            "data-parallel training runs on the CPU in this Loom (Gloo); train on the CPU "
            "(--device cpu), or in one process on the GPU");
    }
    m_collective = &collective;
    m_reducer = std::make_unique<GradientReducer>(collective, m_graph, kStepMetrics);
    if (m_config.syncBatchNorm) {
        m_ctx.sumOverRanks = [this](std::span<float> values) { m_reducer->sumNow(values); };
    }
}

void Trainer::leaveJob() {
    m_ctx.sumOverRanks = {};
    m_reducer.reset();
    m_collective = nullptr;
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
        forwardBatch(ctx, batch.samples);
        const Graph::Node& out = m_graph.node(m_graph.outputNames()[0]);
        const Tensor& prediction = fused ? out.preActivation : out.output;
        const Tensor target = matchTarget(onDevice(m_backend, batch.targets), prediction);
        m_loss->compute(m_backend, prediction, target, fused, m_lossValue, nullptr);
        weighted += onHost(m_lossValue).at(0) * static_cast<double>(batch.samples.dim(0));
        if (result.metrics) {
            result.metrics->add(onHost(out.output), batch.labels);
        }
    }
    result.samples = data.size();
    result.loss = data.size() ? weighted / static_cast<double>(data.size()) : 0.0;
    return result;
}

std::optional<Dataset> Trainer::layerOutputs(const Dataset& data, const std::string& layer,
                                             const std::function<bool(int64_t)>& afterBatch) {
    const Shape shape = m_graph.node(layer).outputShape;
    Dataset outputs{Tensor::empty(shape.withBatch(data.size())), data.targets, data.classNames,
                    data.source};
    ExecutionContext ctx{m_backend, false, m_config.seed, 0, DType::F32};
    for (int64_t begin = 0; begin < data.size(); begin += m_config.batchSize) {
        const int64_t end = std::min(data.size(), begin + m_config.batchSize);
        m_graph.forward(ctx, {onDevice(m_backend, data.samples.slice(begin, end))});
        Tensor into = outputs.samples.slice(begin, end);
        m_backend.copy(hostFloat32(m_graph.node(layer).output), into);
        if (!afterBatch(end)) {
            return std::nullopt;
        }
    }
    return outputs;
}

Tensor Trainer::predict(const Tensor& samples) {
    const Shape outShape = m_graph.node(m_graph.outputNames()[0]).outputShape;
    Tensor result = Tensor::empty(outShape.withBatch(samples.dim(0)));
    ExecutionContext ctx{m_backend, false, m_config.seed, 0, DType::F32};
    for (int64_t begin = 0; begin < samples.dim(0); begin += m_config.batchSize) {
        int64_t end = std::min(samples.dim(0), begin + m_config.batchSize);
        Tensor out = m_graph.forward(ctx, {onDevice(m_backend, samples.slice(begin, end))})[0];
        Tensor into = result.slice(begin, end);
        m_backend.copy(out, into);
    }
    return result;
}

}  // namespace loom

namespace loom {

namespace {

// JSON has no infinity or NaN: both are written as null and read back as the field's default.
nlohmann::json finiteOrNull(double value) {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

double numberOr(const nlohmann::json& json, const char* key, double fallback) {
    if (!json.contains(key) || json[key].is_null()) {
        return fallback;
    }
    if (!json[key].is_number()) {
        throw ConfigError(std::string("training position: '") + key + "' must be a number");
    }
    return json[key].get<double>();
}

// A count in [0, limit]; checked before the cast, which would be undefined out of range.
int64_t countOr(const nlohmann::json& json, const char* key, double limit) {
    double value = numberOr(json, key, 0);
    if (!(value >= 0 && value <= limit)) {
        throw ConfigError(std::string("training position: '") + key + "' is out of range");
    }
    return static_cast<int64_t>(value);
}

}  // namespace

nlohmann::json TrainingPosition::toJson() const {
    return {{"epoch", epoch},
            {"step", step},
            {"plateau_best", finiteOrNull(plateauBest)},
            {"plateau_wait", plateauWait},
            {"plateau_rate", finiteOrNull(plateauRate)},
            {"early_stopping_best", finiteOrNull(earlyStoppingBest)},
            {"early_stopping_wait", earlyStoppingWait},
            {"starting_loss", finiteOrNull(startingLoss)}};
}

TrainingPosition TrainingPosition::fromJson(const nlohmann::json& json) {
    if (!json.is_object()) {
        throw ConfigError("training position must be a JSON object");
    }
    TrainingPosition p;
    constexpr double kMaxInt = 2147483647.0;
    p.epoch = static_cast<int>(countOr(json, "epoch", kMaxInt));
    p.step = countOr(json, "step", 9.0e15);
    p.plateauBest = numberOr(json, "plateau_best", INFINITY);
    p.plateauWait = static_cast<int>(countOr(json, "plateau_wait", kMaxInt));
    p.plateauRate = numberOr(json, "plateau_rate", NAN);
    p.earlyStoppingBest = numberOr(json, "early_stopping_best", INFINITY);
    p.earlyStoppingWait = static_cast<int>(countOr(json, "early_stopping_wait", kMaxInt));
    p.startingLoss = numberOr(json, "starting_loss", NAN);
    return p;
}

}  // namespace loom
