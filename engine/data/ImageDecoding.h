#pragma once
// Decoding an image file with OpenCV once its header has passed the pixel budget
// (loom/ImageHeader.h): the one path by which image folders, prediction and the art pictures
// read files. Only for builds with OpenCV.

#include <loom/ImageHeader.h>

#include <opencv2/core.hpp>

#include <string>

namespace loom {

/// The file as 8-bit BGR (or grey), scaled down while decoding as imageReduction says. Throws
/// DataError (without the path) when the budget refuses it or it cannot be decoded.
cv::Mat decodeImage(const std::string& path, bool grayscale, const ImageLimits& limits);

}  // namespace loom
