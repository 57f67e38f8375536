#pragma once
/// A digit drawn by hand, made to look like an MNIST digit, so that a network trained on MNIST
/// (or another 28x28 grey data set) sees what it was trained on: MNIST's own preparation
/// (LeCun et al.) fits each digit's bounding box into 20x20 pixels keeping its aspect ratio,
/// with anti-aliasing, and centres it by its centre of mass in a 28x28 picture.

#include <loom/Tensor.h>

namespace loom {

/// ink: [H, W], 0 (paper) to 1 (ink), of any size. Returns [1, 28, 28] pixel values 0..255,
/// white digit on black as MNIST stores it; all zero for a drawing without ink.
Tensor mnistDigit(const Tensor& ink);

}  // namespace loom
