#pragma once
/// Between pictures (RGB 0..255, [3, H, W]) and what a pretrained network reads
/// ([1, 3, H, W] in its own scaling), both ways. Art optimises the network's input, so each
/// result goes back through the inverse to become a picture again.

#include <loom/ArtModel.h>
#include <loom/Tensor.h>

namespace loom {

/// [3, H, W] RGB 0..255 -> [1, 3, H, W] network input (host, in `dtype`).
Tensor toNetworkInput(const Tensor& rgb, PixelScaling scaling, DType dtype = DType::F32);

/// The inverse: [1, 3, H, W] network input -> [3, H, W] RGB, clipped to 0..255 (float32).
Tensor toRgbImage(const Tensor& input, PixelScaling scaling);

/// Grey levels (0..255) per unit of network input: 127.5 for [-1, 1], 1 for Caffe.
double greyLevelsPerUnit(PixelScaling scaling);

}  // namespace loom
