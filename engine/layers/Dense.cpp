// Dense: a fully connected layer on flat inputs.
//   forward:  y = x W + b              x [N, in], W [in, units] (Keras' layout), b [units]
//   backward: dW = x^T dy, db = sum_n dy, dx = dy W^T

#include "LayerSupport.h"
#include "OptionalBias.h"

namespace loom::layers {
namespace {

class Dense final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = inputs.at(0);
        if (in.rank() != 1) {
            shapeError("expects a flat input (features,), got " + in.str() +
                       "; put a Flatten layer before it");
        }
        return Shape{params().getInt("units")};
    }

    void build(const std::vector<Shape>& inputs, BuildContext& ctx) override {
        int64_t in = inputs[0][0], units = params().getInt("units");
        addParameter("kernel", Shape{in, units}, params().getString("kernel_initializer"), in,
                     units, true, ctx);
        if (params().getBool("use_bias")) {
            addParameter("bias", Shape{units}, params().getString("bias_initializer"), in, units,
                         true, ctx);
        }
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        const Tensor& kernel = parameters()[0].value;
        ctx.ensure(y, Shape{x[0].dim(0), kernel.dim(1)});
        ctx.backend.gemm(false, false, 1.0, x[0], kernel, 0.0, y);
        addOptionalBias(ctx, *this, y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        Parameter& kernel = parameters()[0];
        if (wantsWeightGradients()) {
            ctx.backend.gemm(true, false, 1.0, x[0], dy, 0.0, gradientOf(ctx, kernel));
            optionalBiasBackward(ctx, *this, dy);
        }
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.gemm(false, true, 1.0, dy, kernel.value, 0.0, dx[0]);
        }
    }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return {"Dense",
            {{"units", r.config().at("units")},
             {"use_bias", r.config().value("use_bias", true)},
             {"activation", r.activation()}},
            1};
}

void toKeras(KerasLayerWriter& w) {
    w.config()["units"] = w.params().getInt("units");
    w.config()["activation"] = w.activation();
    w.addWeightKeys("kernel");
}

void toOnnx(OnnxLayerWriter& w) {
    std::vector<std::string> inputs = {w.input(), w.addWeight("kernel")};
    if (w.params().getBool("use_bias")) {
        inputs.push_back(w.addWeight("bias"));
    }
    // Loom's kernel is [in, units], so B needs no transpose.
    w.addNode("Gemm", inputs, w.output());
}

/// The data input of a Gemm or MatMul, which Loom's Dense takes as [N, features].
std::string flatInput(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    if (imp.shapeOf(input).rank() != 1) {
        imp.fail(node, "multiplies samples of shape " + imp.shapeOf(input).str() +
                           "; Loom's Dense takes flat samples (Flatten them first)");
    }
    return input;
}

Tensor transposed(const Tensor& m) {
    const int64_t rows = m.dim(0), cols = m.dim(1);
    const std::vector<float> src = m.toVector();
    std::vector<float> dst(src.size());
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            dst[c * rows + r] = src[r * cols + c];
        }
    }
    return Tensor::fromVector(Shape{cols, rows}, dst);
}

std::string addDense(OnnxImporter& imp, const OnnxNode& node, const std::string& input,
                     const Tensor& kernel, const Tensor& bias) {
    const std::string dense = imp.addLayer(
        node, "Dense", {{"units", kernel.dim(1)}, {"use_bias", bias.defined()}}, {input});
    imp.setWeight(dense, "kernel", kernel);
    if (bias.defined()) {
        imp.setWeight(dense, "bias", bias);
    }
    return dense;
}

void convertGemm(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = flatInput(imp, node);
    if (node.getInt("transA", 0) != 0) {
        imp.fail(node, "transA 1 is not supported: the network's data must be A");
    }
    const Tensor b = imp.constant(node, 1);
    if (b.rank() != 2) {
        imp.fail(node, "B has shape " + b.shape().str() + ", not a matrix");
    }
    Tensor kernel = node.getInt("transB", 0) != 0 ? transposed(b) : b.clone();
    const float alpha = node.getFloat("alpha", 1.0f);
    for (int64_t i = 0; alpha != 1.0f && i < kernel.numel(); ++i) {
        kernel.set(i, alpha * kernel.at(i));
    }
    if (kernel.dim(0) != imp.shapeOf(input)[0]) {
        imp.fail(node, "B of shape " + b.shape().str() + " does not fit samples of " +
                           std::to_string(imp.shapeOf(input)[0]) + " features");
    }
    Tensor bias;
    const float beta = node.getFloat("beta", 1.0f);
    if (imp.hasInput(node, 2) && beta != 0.0f) {
        const Tensor c = imp.constant(node, 2);
        std::optional<Tensor> perUnit = channelBias(c, Shape{kernel.dim(1)}, std::nullopt);
        if (!perUnit) {
            imp.fail(node, "C of shape " + c.shape().str() +
                               " is not one bias per output, which Loom's Dense needs");
        }
        bias = *perUnit;
        for (int64_t i = 0; beta != 1.0f && i < bias.numel(); ++i) {
            bias.set(i, beta * bias.at(i));
        }
    }
    imp.bindLayer(imp.output(node), addDense(imp, node, input, kernel, bias));
}

void convertMatMul(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = flatInput(imp, node);
    const Tensor b = imp.constant(node, 1);
    if (b.rank() != 2 || b.dim(0) != imp.shapeOf(input)[0]) {
        imp.fail(node, "B of shape " + b.shape().str() + " is not a matrix for samples of " +
                           std::to_string(imp.shapeOf(input)[0]) + " features");
    }
    imp.bindLayer(imp.output(node), addDense(imp, node, input, b.clone(), Tensor()));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Dense";
    k.category = "Core";
    k.description = "Fully connected layer: y = activation(x W + b)";
    k.params = {
        ParamSpec::integer("units", 10, 1, 1 << 24, "Number of output features"),
        activationParamSpec(),
    };
    for (ParamSpec& spec : weightSpecs("weights", "to each output")) {
        k.params.push_back(std::move(spec));
    }
    k.keras.className = "Dense";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"Gemm", convertGemm}, {"MatMul", convertMatMul}};
    k.create = [] { return std::make_unique<Dense>(); };
    return k;
}

LOOM_REGISTER_LAYER(Dense, kind());

}  // namespace
}  // namespace loom::layers
