// The window of an ONNX Conv or pooling node, read and checked, and its image input.

#include "io/OnnxWindow.h"
#include "layers/LayerSupport.h"

namespace loom {

namespace {

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

}  // namespace

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

std::string imageOutput(OnnxImporter& imp, const OnnxNode& node, const std::string& layer,
                        const Image& image) {
    if (!image.lifted) {
        return layer;
    }
    const Shape& s = imp.shapeOf(layer);
    return imp.addReshape(node, layer, Shape{s[0], s[1]}, "_1d");
}

}  // namespace loom
