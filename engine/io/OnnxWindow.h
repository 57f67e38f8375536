#pragma once
// The window of an ONNX Conv or pooling node (kernel, strides, dilations, pads, auto_pad),
// read within Loom's limits, and the image its data input becomes: what the Conv2D and pooling
// layers' ONNX readers share.

#include "io/OnnxImporter.h"

#include <array>

namespace loom {

/// The 2-D window of a Conv or pooling node over an image [C, H, W]; a 1-D node's input is
/// already lifted to [C, L, 1], and its window gets a second axis of size 1.
struct Window {
    std::array<int64_t, 2> kernel{1, 1}, strides{1, 1}, dilations{1, 1};
    std::array<int64_t, 2> padBegin{0, 0}, padEnd{0, 0};
};

/// The node's window for this kernel over `spatial` (1 or 2) axes of the image.
Window windowOf(const OnnxImporter& imp, const OnnxNode& node, const Shape& image,
                const std::vector<int64_t>& kernel, size_t spatial);

enum class PadFit { None, Same, Other };

/// Whether a window's pads are none, Keras' "same" (what Loom's layers compute themselves), or
/// something else.
PadFit padFit(const Window& w, const Shape& image);

/// A ZeroPadding2D layer giving the window's pads explicitly; returns its name.
std::string addZeroPadding(OnnxImporter& imp, const OnnxNode& node, const std::string& input,
                           const Window& w);

/// A Conv or pooling node's data input as a Loom image [C, H, W]: a 1-D input [C, L] is
/// reshaped to [C, L, 1] (lifted), so 1-D windows run as 2-D ones of width 1.
struct Image {
    std::string layer;
    bool lifted = false;
    size_t spatial() const { return lifted ? 1 : 2; }
};

Image imageInput(OnnxImporter& imp, const OnnxNode& node);

/// The layer's output as the node gives it: [C, L] again for a lifted input.
std::string imageOutput(OnnxImporter& imp, const OnnxNode& node, const std::string& layer,
                        const Image& image);

}  // namespace loom
