#pragma once
// The optional bias of Dense and the convolutions: their second parameter, present when
// use_bias is on, added to every output feature or channel.

#include "LayerSupport.h"

namespace loom::layers {

inline void addOptionalBias(ExecutionContext& ctx, Layer& layer, Tensor& y) {
    if (layer.parameters().size() > 1) {
        ctx.backend.addBias(y, layer.parameters()[1].value);
    }
}

inline void optionalBiasBackward(ExecutionContext& ctx, Layer& layer, const Tensor& dy) {
    if (layer.parameters().size() > 1) {
        ctx.backend.biasBackward(dy, gradientOf(ctx, layer.parameters()[1]));
    }
}

}  // namespace loom::layers
