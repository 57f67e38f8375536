// Add: the element-wise sum of inputs of one shape (residual connections).
//   backward: dx_i = dy for every input

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Add final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        for (size_t i = 1; i < inputs.size(); ++i) {
            if (inputs[i] != inputs[0]) {
                shapeError("input " + std::to_string(i) + " has shape " + inputs[i].str() +
                           " but input 0 has " + inputs[0].str() + "; all must be equal");
            }
        }
        return inputs.at(0);
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        ctx.ensure(y, x[0].shape());
        ctx.backend.add(x[0], x[1], y);
        for (size_t i = 2; i < x.size(); ++i) {
            ctx.backend.add(y, x[i], y);
        }
    }

    void backward(ExecutionContext&, const std::vector<Tensor>&, const Tensor&, const Tensor& dy,
                  std::vector<Tensor>& dx, const std::vector<bool>& needDx) override {
        for (size_t i = 0; i < dx.size(); ++i) {
            if (needDx[i]) {
                dx[i] = dy;
            }
        }
    }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return r.sameRank("Add", nlohmann::json::object());
}

void toOnnx(OnnxLayerWriter& w) {
    w.addNode(w.inputs().size() == 2 ? "Add" : "Sum", w.inputs(), w.output());
}

/// Add(x, constant) right after a Conv, Gemm or MatMul: the constant becomes (or adds to) the
/// layer's bias. PyTorch writes MatMul + Add for Linear layers on inputs of rank 3 and more,
/// and older exporters write Conv + Add.
void fuseBias(OnnxImporter& imp, const OnnxNode& node, size_t dataIndex, size_t constIndex) {
    const std::string producerName = imp.layerInput(node, dataIndex);
    const Tensor c = imp.constant(node, constIndex);
    std::optional<int64_t> legacyAxis;
    if (imp.opset() < 7 && node.getInt("broadcast", 0) != 0 && node.has("axis")) {
        legacyAxis = node.getInt("axis", 0);
    }
    Layer* producer = imp.fusableProducer(node, dataIndex);
    std::optional<Tensor> bias;
    if (producer != nullptr) {
        bias = channelBias(c, imp.shapeOf(producerName), legacyAxis);
    }
    if (!bias) {
        imp.fail(node, "adds the constant '" + node.inputs[constIndex] + "' of shape " +
                           c.shape().str() + " to samples of shape " +
                           imp.shapeOf(producerName).str() +
                           "; Loom adds a constant only as the bias of the Conv, Gemm or MatMul "
                           "right before, per channel, when nothing else reads that layer");
    }
    if (const Tensor* existing = imp.weight(producerName, "bias")) {
        for (int64_t i = 0; i < bias->numel(); ++i) {
            bias->set(i, bias->at(i) + existing->at(i));
        }
    }
    producer->params().set("use_bias", true);
    imp.setWeight(producerName, "bias", *bias);
    imp.bindLayer(imp.output(node), producerName);
}

void convertAdd(OnnxImporter& imp, const OnnxNode& node) {
    std::vector<size_t> data, constants;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
        (imp.isConstant(node.inputs[i]) ? constants : data).push_back(i);
    }
    if (data.empty()) {
        imp.fail(node, "adds constants only; Loom's layers compute on the network's data");
    }
    if (!constants.empty()) {
        if (node.opType != "Add" || data.size() != 1 || constants.size() != 1) {
            imp.fail(node, "adds several constants, which no Loom layer does");
        }
        fuseBias(imp, node, data[0], constants[0]);
        return;
    }
    if (data.size() == 1) {
        imp.alias(node, data[0], imp.output(node));
        return;
    }
    std::vector<std::string> inputs;
    for (size_t i : data) {
        inputs.push_back(imp.layerInput(node, i));
        if (imp.shapeOf(inputs.back()) != imp.shapeOf(inputs[0])) {
            imp.fail(node, "adds samples of shapes " + imp.shapeOf(inputs[0]).str() + " and " +
                               imp.shapeOf(inputs.back()).str() +
                               "; Loom's Add takes equal shapes (no broadcasting)");
        }
    }
    imp.bindLayer(imp.output(node), imp.addLayer(node, "Add", nlohmann::json::object(), inputs));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Add";
    k.category = "Merge";
    k.description = "Element-wise sum of inputs of the same shape";
    k.minInputs = 2;
    k.maxInputs = -1;
    k.keras.className = "Add";
    k.keras.read = fromKeras;
    k.keras.write = [](KerasLayerWriter&) {};
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"Add", convertAdd}, {"Sum", convertAdd}};
    k.create = [] { return std::make_unique<Add>(); };
    return k;
}

LOOM_REGISTER_LAYER(Add, kind());

}  // namespace
}  // namespace loom::layers
