#pragma once
/// The objectives deep dream and style transfer optimise a picture for, each returning its
/// value and writing its gradient. The activation losses run as Backend ops on the
/// activations' device; total variation runs on the host, where the pixels are optimised.
/// With a = one layer's activations [1, C, H, W] (M = H*W cells), G(a) = a a^T over the cells
/// (C x C):
///   dream    w * sum(a_inner^2) / numel(a), a_inner without a 2-cell border (Keras'
///            deep_dream: the borders dream badly); the whole a when H or W is 4 or less
///   content  w * mean((a - p)^2)
///   style    w * sum((G(a) - S)^2) / (4 C^2 M^2)                  (Gatys et al.'s E_l)
///   TV       w * mean over cells and channels of ((x[i+1,j] - x[i,j])^2 +
///            (x[i,j+1] - x[i,j])^2)^1.25, the differences in pixel units of 0..1 (Keras'
///            example's term; the last row and column only as neighbours)
/// Keras' example sums where Loom takes means, so one set of weights works at every picture
/// size and with every network's input scaling.

#include <loom/Backend.h>

namespace loom {

/// Returns the dream loss; gradient gets dLoss/da (same shape and device as a).
double dreamLayerLoss(Backend& backend, const Tensor& activation, double weight, Tensor& gradient);

/// G(a) [C, C] of activations [1, C, H, W], on their device.
Tensor gramMatrix(Backend& backend, const Tensor& activation);

/// Returns the style loss against the style picture's Gram matrix; gradient gets dLoss/da.
double styleLayerLoss(Backend& backend, const Tensor& activation, const Tensor& styleGram,
                      double weight, Tensor& gradient);

/// Returns the content loss against the content picture's activations; gradient gets dLoss/da.
double contentLoss(Backend& backend, const Tensor& activation, const Tensor& contentActivation,
                   double weight, Tensor& gradient);

/// Returns the TV loss of a host picture [1, C, H, W] (float64) whose values are `unit` pixel
/// units (of 0..1) each, and adds its gradient into `gradient` (host, float64, same shape).
double totalVariationLoss(const Tensor& input, double unit, double weight, Tensor& gradient);

}  // namespace loom
