#ifdef LOOM_HAVE_OPENCV

#include "data/ImageDecoding.h"

#include <loom/Error.h>

#include <opencv2/imgcodecs.hpp>

namespace loom {

namespace {

int readFlags(bool grayscale, int reduction) {
    switch (reduction) {
        case 2:
            return grayscale ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
        case 4:
            return grayscale ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
        case 8:
            return grayscale ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
        default:
            return grayscale ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
    }
}

}  // namespace

cv::Mat decodeImage(const std::string& path, bool grayscale, const ImageLimits& limits) {
    cv::Mat image = cv::imread(path, readFlags(grayscale, imageReduction(path, limits)));
    if (image.empty()) {
        throw DataError("not a readable image");
    }
    return image;
}

}  // namespace loom

#endif
