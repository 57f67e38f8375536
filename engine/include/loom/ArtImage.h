#pragma once
/// Pictures for deep dream and style transfer: read at their own size, resized, and saved with
/// the settings that made them. A picture is a host tensor [3, H, W] of RGB values 0..255
/// (float32). Reading and writing files needs OpenCV; without it they throw DataError saying
/// so, and resizing (Loom's own) still works.

#include <loom/Tensor.h>

#include <nlohmann/json.hpp>

#include <string>

namespace loom {

/// The image file at its own size, RGB (grey images repeated over three channels). Throws
/// DataError naming the file when it cannot be read or is above the pixel budget
/// (kDefaultMaxImagePixels in ImageHeader.h).
Tensor readRgbImage(const std::string& path);

/// Writes [3, H, W] (values clipped to 0..255 and rounded) as PNG, or JPEG (quality 95) when
/// the name ends in .jpg or .jpeg. Throws DataError naming the file when it cannot be written.
void writeRgbImage(const Tensor& image, const std::string& path);

/// writeRgbImage, and the settings as JSON beside it: out.png -> out.json.
void saveArtImage(const Tensor& image, const std::string& path, const nlohmann::json& settings);

/// Bilinear resize of [C, H, W] (float32 or float64) with pixel centres aligned as OpenCV's
/// INTER_LINEAR and TensorFlow's resize do: the picture's edges map to the new edges.
Tensor resizeImage(const Tensor& image, int64_t height, int64_t width);

}  // namespace loom
