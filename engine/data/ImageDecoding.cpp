#ifdef LOOM_HAVE_OPENCV

#include "data/ImageDecoding.h"

#include <loom/Error.h>

#include <opencv2/imgcodecs.hpp>

#include <cstring>

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
    const ImageHeader header = readImageHeader(path);
    // OpenCV picks its decoder by signature, trying each in turn. Debian 12's (4.6) has none for
    // GIF, so a GIF reaches GDCM's DICOM reader, which takes "DICM" at byte 128 as its own and
    // aborts the process on a file that is not DICOM (found by the Image fuzzer). Every format
    // the header check passes otherwise has its own decoder ahead of DICOM's.
    if (std::strcmp(header.format, "GIF") == 0) {
        throw DataError(
            "a GIF image, which Loom's image decoder (OpenCV) does not read; "
            "convert it to PNG");
    }
    cv::Mat image = cv::imread(path, readFlags(grayscale, imageReduction(header, limits)));
    if (image.empty()) {
        throw DataError("not a readable image");
    }
    return image;
}

}  // namespace loom

#endif
