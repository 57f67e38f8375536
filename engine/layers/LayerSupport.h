#pragma once
// Helpers shared by the layer files: Keras' padding arithmetic and common checks, and what
// their file-format readers and writers use.

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/Layer.h>

#include "io/KerasLayerFormat.h"
#include "io/OnnxImporter.h"
#include "io/OnnxLayerWriter.h"

#include <string>
#include <vector>

namespace loom::layers {

/// Keras/TensorFlow "same" padding along one axis: the output has ceil(in / stride) cells and
/// the extra cell of an odd total goes to the end (bottom / right).
inline std::pair<int, int> samePadding(int64_t in, int64_t kernel, int stride, int dilation) {
    int64_t out = (in + stride - 1) / stride;
    int64_t effective = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
    int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
    return {static_cast<int>(total / 2), static_cast<int>(total - total / 2)};
}

/// The one input's per-sample shape, checked to have the given rank.
inline const Shape& singleInput(const Layer& layer, const std::vector<Shape>& inputs, size_t rank,
                                const char* expected) {
    const Shape& in = inputs.at(0);
    if (in.rank() != rank) {
        throw ShapeError(layer.describe() + ": expects " + expected + ", got " + in.str());
    }
    return in;
}

/// A two-element list parameter as (first, second).
inline std::pair<int, int> pairParam(const Layer& layer, const std::string& name) {
    const std::vector<int64_t>& v = layer.params().getInts(name);
    return {static_cast<int>(v.at(0)), static_cast<int>(v.at(v.size() > 1 ? 1 : 0))};
}

/// The use_bias, kernel_initializer and bias_initializer specs of Dense and Conv2D.
inline std::vector<ParamSpec> weightSpecs(const std::string& weights, const std::string& bias) {
    return {
        ParamSpec::boolean("use_bias", true, "Add a learned bias " + bias),
        ParamSpec::choice("kernel_initializer", "glorot_uniform", initializerNames(),
                          "How the " + weights + " start"),
        ParamSpec::choice("bias_initializer", "zeros", initializerNames(), "How the bias starts"),
    };
}

/// Parameter gradients are written into Parameter::grad, allocated on first use.
inline Tensor& gradientOf(ExecutionContext& ctx, Parameter& p) {
    ctx.ensure(p.grad, p.value.shape());
    return p.grad;
}

}  // namespace loom::layers
