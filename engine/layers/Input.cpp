// Input: where samples enter the network. It has no computation; its "shape" is the
// per-sample shape (channels first for images: [1, 28, 28]; [784] for flat vectors).

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Input final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>&) const override {
        return Shape(params().getInts("shape"));
    }
    void forward(ExecutionContext&, const std::vector<Tensor>&, Tensor&) override {}
    void backward(ExecutionContext&, const std::vector<Tensor>&, const Tensor&, const Tensor&,
                  std::vector<Tensor>&, const std::vector<bool>&) override {}
};

/// Keras' batch_input_shape (Keras 2) or batch_shape (Keras 3), its batch axis first.
KerasLayerImport fromKeras(const KerasLayerReader& r) {
    const nlohmann::json& cfg = r.config();
    const nlohmann::json shape = cfg.contains("batch_input_shape")
                                     ? cfg["batch_input_shape"]
                                     : cfg.value("batch_shape", nlohmann::json());
    if (!shape.is_array() || shape.size() < 2) {
        r.fail("needs a batch_input_shape with at least one dimension");
    }
    std::vector<int64_t> dims;
    for (size_t i = 1; i < shape.size(); ++i) {
        if (!shape[i].is_number_integer() || shape[i].get<int64_t>() < 1) {
            r.fail("Loom needs fixed input sizes, got " + jsonExcerpt(shape));
        }
        dims.push_back(shape[i].get<int64_t>());
    }
    if (r.channelsLast() && dims.size() == 3) {
        dims = {dims[2], dims[0], dims[1]};
    }
    return {"Input", {{"shape", dims}}, dims.size()};
}

void toKeras(KerasLayerWriter& w) {
    nlohmann::json shape = nlohmann::json::array({nullptr});
    for (int64_t d : KerasLayerWriter::kerasShape(w.outputShape())) {
        shape.push_back(d);
    }
    w.config() = {{"batch_input_shape", shape},
                  {"dtype", "float32"},
                  {"sparse", false},
                  {"name", w.layer().name()}};
}

LayerKind kind() {
    LayerKind k;
    k.type = "Input";
    k.category = "Core";
    k.description = "Where samples enter the network";
    k.params = {ParamSpec::intList("shape", {784}, 1, 4, 1, 1 << 24,
                                   "Shape of one sample, channels first: [784] or [1, 28, 28]")};
    k.minInputs = k.maxInputs = 0;
    k.keras.className = "InputLayer";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.create = [] { return std::make_unique<Input>(); };
    return k;
}

LOOM_REGISTER_LAYER(Input, kind());

}  // namespace
}  // namespace loom::layers
