#pragma once

#include <loom/Tensor.h>

#include <QImage>

#include <cstdint>

namespace loom {

/// Sample `index` of a batch of samples [N, ...] as a picture: [C, H, W] with one or three
/// channels as they are, a flat sample of n*n (or 3*n*n) values as an n x n grey (or colour)
/// image, as a 784-input MLP holds 28x28 pictures. Each picture is stretched from its own
/// minimum to its maximum, so raw pixels, /255 pixels and standardised ones all show. A sample
/// of any other shape gives a null image.
QImage sampleImage(const Tensor& samples, int64_t index);

}  // namespace loom
