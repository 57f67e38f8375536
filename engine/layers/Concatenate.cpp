// Concatenate: joins its inputs along one axis (counted with the batch axis as 0, so 1 is the
// channel / feature axis, as Inception's mixed blocks need). All other extents must agree.
//   backward: dx_i = the slice of dy that input i filled

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Concatenate final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        size_t axis = sampleAxis(inputs.at(0));
        std::vector<int64_t> dims = inputs[0].dims();
        for (size_t i = 1; i < inputs.size(); ++i) {
            const Shape& in = inputs[i];
            bool compatible = in.rank() == inputs[0].rank();
            for (size_t d = 0; compatible && d < in.rank(); ++d) {
                compatible = d == axis || in[d] == inputs[0][d];
            }
            if (!compatible) {
                shapeError("input " + std::to_string(i) + " has shape " + in.str() +
                           " but input 0 has " + inputs[0].str() +
                           "; all must agree except along axis " +
                           std::to_string(params().getInt("axis")));
            }
            dims[axis] += in[axis];
        }
        return Shape(dims);
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        std::vector<Shape> samples;
        for (const Tensor& t : x) {
            samples.push_back(t.shape().withoutBatch());
        }
        ctx.ensure(y, inferShape(samples).withBatch(x[0].dim(0)));
        ctx.backend.concat(x, axis(), y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx, const std::vector<bool>&) override {
        for (size_t i = 0; i < x.size(); ++i) {
            ctx.ensure(dx[i], x[i].shape());
        }
        ctx.backend.split(dy, axis(), dx);
    }

private:
    int axis() const { return static_cast<int>(params().getInt("axis")); }

    size_t sampleAxis(const Shape& in) const {
        if (static_cast<size_t>(axis()) > in.rank()) {
            shapeError("axis " + std::to_string(axis()) + " does not exist for inputs of shape " +
                       in.str());
        }
        return static_cast<size_t>(axis() - 1);
    }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return r.sameRank("Concatenate", {{"axis", r.axis()}});
}

void toKeras(KerasLayerWriter& w) {
    w.config()["axis"] = w.channelAxis(w.params().getInt("axis"));
}

void toOnnx(OnnxLayerWriter& w) {
    // Both count the batch as axis 0.
    w.addNode("Concat", w.inputs(), w.output()).attributes = {
        OnnxLayerWriter::intAttribute("axis", w.params().getInt("axis"))};
}

void convertConcat(OnnxImporter& imp, const OnnxNode& node) {
    std::vector<std::string> inputs;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
        inputs.push_back(imp.layerInput(node, i));
    }
    if (inputs.empty() || !node.has("axis")) {
        imp.fail(node, "needs inputs and an axis");
    }
    const int64_t axis = imp.axis(node, node.getInt("axis", 1), imp.rankOf(inputs[0]));
    if (inputs.size() == 1) {
        imp.alias(node, 0, imp.output(node));
        return;
    }
    imp.bindLayer(imp.output(node), imp.addLayer(node, "Concatenate", {{"axis", axis}}, inputs));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Concatenate";
    k.category = "Merge";
    k.description = "Joins its inputs along an axis (1: channels / features)";
    k.params = {ParamSpec::integer("axis", 1, 1, 4,
                                   "Axis to join along, counting the batch as 0 (1 = channels)")};
    k.minInputs = 2;
    k.maxInputs = -1;
    k.keras.className = "Concatenate";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"Concat", convertConcat}};
    k.create = [] { return std::make_unique<Concatenate>(); };
    return k;
}

LOOM_REGISTER_LAYER(Concatenate, kind());

}  // namespace
}  // namespace loom::layers
