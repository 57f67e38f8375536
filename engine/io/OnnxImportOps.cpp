// ONNX ops -> Loom layers: the ops that compute with weights or windows (convolution,
// pooling, dense, bias, batch norm, add) and the table of every converter. Activations and
// dropout are in OnnxImportActivations.cpp, the ops that only move or reshape data in
// OnnxImportShapeOps.cpp.

#include "io/OnnxImporter.h"
#include "layers/LayerSupport.h"

#include <array>
#include <map>
#include <optional>

namespace loom {

namespace {

using nlohmann::json;

// Loom's limits on window sizes (Conv2D and the pools take 1..1024) and on padding
// (ZeroPadding2D takes 0..4096); larger values from a file are rejected before any use.
constexpr int64_t kMaxWindow = 1024;
constexpr int64_t kMaxPad = 4096;

/// An INTS attribute of `count` values, each in [low, high].
std::vector<int64_t> intsAttribute(const OnnxImporter& imp, const OnnxNode& node,
                                   const std::string& name, size_t count, int64_t def, int64_t low,
                                   int64_t high) {
    std::vector<int64_t> values = node.getInts(name, std::vector<int64_t>(count, def));
    if (values.size() != count) {
        imp.fail(node, name + " " + onnxListText(values) + " should have " + std::to_string(count) +
                           " values");
    }
    for (int64_t v : values) {
        if (v < low || v > high) {
            imp.fail(node, name + " " + onnxListText(values) + " lies outside what Loom takes (" +
                               std::to_string(low) + " to " + std::to_string(high) + ")");
        }
    }
    return values;
}

/// The 2-D window of a Conv or pooling node over an image [C, H, W]; a 1-D node's input is
/// already lifted to [C, L, 1], and its window gets a second axis of size 1.
struct Window {
    std::array<int64_t, 2> kernel{1, 1}, strides{1, 1}, dilations{1, 1};
    std::array<int64_t, 2> padBegin{0, 0}, padEnd{0, 0};
};

/// Explicit pads for auto_pad SAME_UPPER / SAME_LOWER: the output has ceil(in / stride) cells;
/// the odd cell of the total goes to the end (UPPER) or the start (LOWER).
void autoPad(Window& w, const Shape& image, size_t spatial, bool upper) {
    for (size_t i = 0; i < spatial; ++i) {
        auto [begin, end] =
            layers::samePadding(image[1 + i], w.kernel[i], static_cast<int>(w.strides[i]),
                                static_cast<int>(w.dilations[i]));
        w.padBegin[i] = upper ? begin : end;
        w.padEnd[i] = upper ? end : begin;
    }
}

Window windowOf(const OnnxImporter& imp, const OnnxNode& node, const Shape& image,
                const std::vector<int64_t>& kernel, size_t spatial) {
    if (kernel.size() != spatial) {
        imp.fail(node, "kernel " + onnxListText(kernel) + " does not fit a " +
                           std::to_string(spatial) + "-D input");
    }
    Window w;
    const auto strides = intsAttribute(imp, node, "strides", spatial, 1, 1, kMaxWindow);
    const auto dilations = intsAttribute(imp, node, "dilations", spatial, 1, 1, kMaxWindow);
    for (size_t i = 0; i < spatial; ++i) {
        if (kernel[i] < 1 || kernel[i] > kMaxWindow) {
            imp.fail(node, "kernel " + onnxListText(kernel) +
                               " lies outside what Loom takes (1 to " + std::to_string(kMaxWindow) +
                               ")");
        }
        w.kernel[i] = kernel[i];
        w.strides[i] = strides[i];
        w.dilations[i] = dilations[i];
    }
    const std::string autoPadMode = node.getString("auto_pad", "NOTSET");
    if (autoPadMode == "SAME_UPPER" || autoPadMode == "SAME_LOWER") {
        autoPad(w, image, spatial, autoPadMode == "SAME_UPPER");
    } else if (autoPadMode == "NOTSET") {
        const auto pads = intsAttribute(imp, node, "pads", 2 * spatial, 0, 0, kMaxPad);
        for (size_t i = 0; i < spatial; ++i) {
            w.padBegin[i] = pads[i];
            w.padEnd[i] = pads[spatial + i];
        }
    } else if (autoPadMode != "VALID") {
        imp.fail(node, "auto_pad '" + autoPadMode + "' is not an ONNX padding mode");
    }
    return w;
}

enum class PadFit { None, Same, Other };

/// Whether a window's pads are none, Keras' "same" (what Loom's layers compute themselves), or
/// something else.
PadFit padFit(const Window& w, const Shape& image) {
    if (w.padBegin == std::array<int64_t, 2>{0, 0} && w.padEnd == std::array<int64_t, 2>{0, 0}) {
        return PadFit::None;
    }
    for (size_t i = 0; i < 2; ++i) {
        auto [begin, end] =
            layers::samePadding(image[1 + i], w.kernel[i], static_cast<int>(w.strides[i]),
                                static_cast<int>(w.dilations[i]));
        if (begin != w.padBegin[i] || end != w.padEnd[i]) {
            return PadFit::Other;
        }
    }
    return PadFit::Same;
}

std::string addZeroPadding(OnnxImporter& imp, const OnnxNode& node, const std::string& input,
                           const Window& w) {
    return imp.addLayer(node, "ZeroPadding2D",
                        {{"padding", {w.padBegin[0], w.padEnd[0], w.padBegin[1], w.padEnd[1]}}},
                        {input}, "_pad");
}

/// A Conv or pooling node's data input as a Loom image [C, H, W]: a 1-D input [C, L] is
/// reshaped to [C, L, 1] (lifted), so 1-D windows run as 2-D ones of width 1.
struct Image {
    std::string layer;
    bool lifted = false;
    size_t spatial() const { return lifted ? 1 : 2; }
};

Image imageInput(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape& s = imp.shapeOf(input);
    if (s.rank() == 3) {
        return {input, false};
    }
    if (s.rank() == 2) {
        return {imp.addReshape(node, input, Shape{s[0], s[1], 1}, "_2d"), true};
    }
    imp.fail(node, "reads samples of shape " + s.str() + "; Loom has 1-D and 2-D windows only");
}

/// The layer's output as the node gives it: [C, L] again for a lifted input.
std::string imageOutput(OnnxImporter& imp, const OnnxNode& node, const std::string& layer,
                        const Image& image) {
    if (!image.lifted) {
        return layer;
    }
    const Shape& s = imp.shapeOf(layer);
    return imp.addReshape(node, layer, Shape{s[0], s[1]}, "_1d");
}

void convertConv(OnnxImporter& imp, const OnnxNode& node) {
    const Image x = imageInput(imp, node);
    const Shape image = imp.shapeOf(x.layer);
    const Tensor w = imp.constant(node, 1);

    // One group per input channel is Loom's DepthwiseConv2D; other groupings it has not.
    const int64_t group = node.getInt("group", 1);
    const bool depthwise = group == image[0] && group > 1;
    if (group != 1 && !depthwise) {
        imp.fail(node, "grouped convolution (group " + std::to_string(group) + " of " +
                           std::to_string(image[0]) +
                           " channels) is not supported: Loom has Conv2D (one group) and "
                           "DepthwiseConv2D (a group per channel)");
    }
    if (w.rank() != x.spatial() + 2 || w.dim(1) * group != image[0] || w.dim(0) % group != 0) {
        imp.fail(node, "weight W of shape " + w.shape().str() + " does not fit " +
                           std::to_string(image[0]) + " input channels in " +
                           std::to_string(group) + " group(s)");
    }
    const std::vector<int64_t> kernel(w.shape().dims().begin() + 2, w.shape().dims().end());
    if (node.has("kernel_shape") && node.getInts("kernel_shape", {}) != kernel) {
        imp.fail(node, "kernel_shape " + onnxListText(node.getInts("kernel_shape", {})) +
                           " disagrees with W of shape " + w.shape().str());
    }
    const Window win = windowOf(imp, node, image, kernel, x.spatial());
    const int64_t filters = w.dim(0);
    Tensor bias;
    if (imp.hasInput(node, 2)) {
        bias = imp.constant(node, 2);
        if (bias.numel() != filters) {
            imp.fail(node, "bias B of shape " + bias.shape().str() + " does not fit " +
                               std::to_string(filters) + " filters");
        }
    }
    std::string input = x.layer, padding = "valid";
    switch (padFit(win, image)) {
        case PadFit::None:
            break;
        case PadFit::Same:
            padding = "same";
            break;
        case PadFit::Other:
            input = addZeroPadding(imp, node, input, win);
            break;
    }
    json params = {{"kernel_size", win.kernel},
                   {"strides", win.strides},
                   {"padding", padding},
                   {"dilation_rate", win.dilations},
                   {"use_bias", bias.defined()}};
    if (depthwise) {
        params["depth_multiplier"] = filters / group;
    } else {
        params["filters"] = filters;
    }
    const std::string conv =
        imp.addLayer(node, depthwise ? "DepthwiseConv2D" : "Conv2D", params, {input});
    imp.setWeight(conv, depthwise ? "depthwise_kernel" : "kernel",
                  w.reshape(Shape{filters, w.dim(1), win.kernel[0], win.kernel[1]}));
    if (bias.defined()) {
        imp.setWeight(conv, "bias", bias.reshape(Shape{filters}));
    }
    imp.bindLayer(imp.output(node), imageOutput(imp, node, conv, x));
}

void convertPool(OnnxImporter& imp, const OnnxNode& node) {
    const bool max = node.opType == "MaxPool";
    const Image x = imageInput(imp, node);
    const Shape image = imp.shapeOf(x.layer);
    const Window win = windowOf(imp, node, image, node.getInts("kernel_shape", {}), x.spatial());
    if (win.dilations != std::array<int64_t, 2>{1, 1}) {
        imp.fail(node, "dilated pooling is not supported by Loom's pooling layers");
    }
    for (size_t i = 0; i < x.spatial() && node.getInt("ceil_mode", 0) != 0; ++i) {
        const int64_t span = image[1 + i] + win.padBegin[i] + win.padEnd[i] - win.kernel[i];
        if (span % win.strides[i] != 0) {
            imp.fail(node, "ceil_mode 1 adds a partial window here, which Loom's pooling does not");
        }
    }
    // Padded cells count in ONNX's average with count_include_pad 1: zeros padded in front
    // give exactly that; Loom's own padding leaves them out, as ONNX's default does.
    const bool countPadding = !max && node.getInt("count_include_pad", 0) != 0;
    const PadFit fit = padFit(win, image);
    std::string input = x.layer, padding = "valid";
    if (fit == PadFit::Same && !countPadding) {
        padding = "same";
    } else if (fit != PadFit::None) {
        if (!countPadding) {
            imp.fail(node, "pads " +
                               onnxListText({win.padBegin[0], win.padBegin[1], win.padEnd[0],
                                             win.padEnd[1]}) +
                               " are not Keras' \"same\" padding, the only padding Loom's " +
                               "pooling layers leave out of each window");
        }
        input = addZeroPadding(imp, node, input, win);
    }
    const std::string pool = imp.addLayer(
        node, max ? "MaxPool2D" : "AveragePool2D",
        {{"pool_size", win.kernel}, {"strides", win.strides}, {"padding", padding}}, {input});
    imp.bindLayer(imp.output(node), imageOutput(imp, node, pool, x));
}

void convertGlobalAveragePool(OnnxImporter& imp, const OnnxNode& node) {
    const Image x = imageInput(imp, node);
    const std::string pool = imp.addLayer(node, "GlobalAveragePool2D", json::object(), {x.layer});
    // ONNX keeps the pooled axes as 1x1, Loom's layer drops them; a Flatten right after (how
    // classifiers end) is what Loom's layer already gives.
    const OnnxNode* next = imp.soleConsumer(imp.output(node));
    if (next != nullptr && next->opType == "Flatten" && next->domain.empty() &&
        next->getInt("axis", 1) == 1 && !next->outputs.empty()) {
        imp.absorb(*next);
        imp.bindLayer(imp.output(*next), pool);
        return;
    }
    const int64_t channels = imp.shapeOf(pool)[0];
    imp.bindLayer(imp.output(node),
                  imp.addReshape(node, pool, x.lifted ? Shape{channels, 1} : Shape{channels, 1, 1},
                                 "_keepdims"));
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

/// A constant c broadcast against a layer's output [N, sample...] as a bias per channel (the
/// first per-sample axis): c's dims, aligned from the right (numpy broadcasting) or from
/// legacyAxis (opset < 7), must be 1 everywhere but on the channel axis, where they are 1 or
/// the channel count. Returns the per-channel values, or nothing when c is no such bias.
std::optional<Tensor> channelBias(const Tensor& c, const Shape& sample,
                                  std::optional<int64_t> legacyAxis) {
    const auto rank = static_cast<int64_t>(sample.rank()) + 1;
    const auto cRank = static_cast<int64_t>(c.rank());
    const int64_t start = legacyAxis.value_or(rank - cRank);
    if (start < 0 || start + cRank > rank) {
        return std::nullopt;
    }
    const int64_t channels = sample[0];
    bool perChannel = false;
    for (int64_t j = 0; j < cRank; ++j) {
        const int64_t axis = start + j, d = c.dim(static_cast<size_t>(j));
        if (axis == 1 && d == channels) {
            perChannel = true;
        } else if (d != 1) {
            return std::nullopt;
        }
    }
    return perChannel ? c.reshape(Shape{channels}).clone()
                      : Tensor::full(Shape{channels}, c.numel() == 1 ? c.at(0) : 0.0);
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
    imp.bindLayer(imp.output(node), imp.addLayer(node, "Add", json::object(), inputs));
}

void convertBatchNorm(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape sample = imp.shapeOf(input);
    const int64_t channels = sample[0];
    static const char* const names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    std::vector<Tensor> weights;
    for (size_t i = 1; i <= 4; ++i) {
        weights.push_back(imp.constant(node, i));
        if (weights.back().numel() != channels) {
            imp.fail(node, "input '" + node.inputs[i] + "' holds " +
                               std::to_string(weights.back().numel()) + " values for " +
                               std::to_string(channels) + " channels");
        }
    }
    if (node.getInt("spatial", 1) != 1 || node.getInt("training_mode", 0) != 0) {
        imp.fail(node, "only inference-mode, per-channel batch normalisation maps to Loom");
    }
    // Loom's layer takes [F] or [C, H, W]; ONNX's normalises axis 1 of any rank, which a
    // [C, rest, 1] view gives.
    const bool wrapped = sample.rank() != 1 && sample.rank() != 3;
    const std::string in =
        wrapped ? imp.addReshape(node, input, Shape{channels, sample.numel() / channels, 1}, "_3d")
                : input;
    const std::string bn = imp.addLayer(node, "BatchNormalization",
                                        {{"epsilon", node.getFloat("epsilon", 1e-5f)},
                                         {"momentum", node.getFloat("momentum", 0.9f)},
                                         {"center", true},
                                         {"scale", true}},
                                        {in});
    for (size_t i = 0; i < weights.size(); ++i) {
        imp.setWeight(bn, names[i], weights[i].reshape(Shape{channels}));
    }
    imp.bindLayer(imp.output(node), wrapped ? imp.addReshape(node, bn, sample, "_shape") : bn);
}

}  // namespace

OnnxOpConverter findOnnxOpConverter(const std::string& opType) {
    static const std::map<std::string, OnnxOpConverter> converters = {
        {"Conv", convertConv},
        {"MaxPool", convertPool},
        {"AveragePool", convertPool},
        {"GlobalAveragePool", convertGlobalAveragePool},
        {"Gemm", convertGemm},
        {"MatMul", convertMatMul},
        {"Add", convertAdd},
        {"Sum", convertAdd},
        {"BatchNormalization", convertBatchNorm},
        {"Relu", convertRelu},
        {"Sigmoid", convertSigmoid},
        {"Tanh", convertTanh},
        {"LeakyRelu", convertLeakyRelu},
        {"Elu", convertElu},
        {"Clip", convertClip},
        {"Softmax", convertSoftmax},
        {"Dropout", convertDropout},
        {"Flatten", convertFlatten},
        {"Reshape", convertReshape},
        {"Squeeze", convertSqueeze},
        {"Unsqueeze", convertUnsqueeze},
        {"Concat", convertConcat},
        {"Pad", convertPad},
        {"Identity", convertIdentity},
        {"Constant", convertConstant},
        {"Transpose", convertTranspose},
    };
    auto it = converters.find(opType);
    return it == converters.end() ? nullptr : it->second;
}

}  // namespace loom
