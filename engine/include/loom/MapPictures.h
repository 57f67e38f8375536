#pragma once
/// Pictures of what a network computes, for people to look at: the colours the window and
/// loom-cli share (grey for outputs that are never negative, a blue-white-red ramp for signed
/// values, black-red-yellow heat for explanation maps), a layer's feature maps as a grid of
/// tiles and an explanation map laid over the picture it explains. Pictures are host tensors
/// [3, H, W] of RGB values 0..255 (float32), as <loom/ArtImage.h> writes them.

#include <loom/Tensor.h>

#include <cstdint>

namespace loom {

struct Rgb {
    uint8_t red = 0, green = 0, blue = 0;
};

/// v in 0..1 (clamped) as grey.
Rgb greyColour(double v);
/// v in -1..1 (clamped): blue below 0, white at 0, red above.
Rgb divergingColour(double v);
/// t in 0..1 (clamped): black through red to yellow, as the heat maps of the explanation papers.
Rgb heatColour(double t);
/// `base` with heat of strength t in 0..1 over it: the picture greyed a little so the colour
/// reads, the map's strength setting the mix.
Rgb heatOver(Rgb base, double t);

/// The largest finite |v| of n values; 1 when all are zero, so that zeros stay zero.
float largestMagnitude(const float* v, int64_t n);

/// A layer's output for one sample as tiles in a near-square grid, each value pixel enlarged to
/// `zoom` x `zoom` with a one-pixel gap: maps [C, h, w] give C tiles (at most `maxTiles`), any
/// other shape one near-square tile of its values. All tiles share one scale, the layer's
/// largest |value|: grey when no value is negative, else divergingColour.
Tensor featureMapGrid(const Tensor& output, int64_t maxTiles, int64_t zoom);

/// A picture [C, H, W] (0..255, C 1 or 3) as colour, each pixel enlarged to zoom x zoom.
Tensor enlargedPicture(const Tensor& picture, int64_t zoom);

/// `map` [H, W] (>= 0, scaled by its largest value) laid over `picture` [C, H', W'] (0..255, C
/// 1 or 3; resized to H x W) with heatOver, enlarged `zoom` times.
Tensor heatmapOverlay(const Tensor& picture, const Tensor& map, int64_t zoom);

}  // namespace loom
