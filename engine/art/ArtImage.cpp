#include <loom/ArtImage.h>
#include <loom/Error.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#ifdef LOOM_HAVE_OPENCV
#include "data/ImageDecoding.h"

#include <opencv2/imgcodecs.hpp>
#endif

namespace loom {

namespace {

#ifdef LOOM_HAVE_OPENCV

bool isJpeg(const std::string& path) {
    std::string extension = std::filesystem::path(path).extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension == ".jpg" || extension == ".jpeg";
}

#else

[[noreturn]] void noOpenCv(const std::string& path) {
    throw DataError("cannot use '" + path +
                    "': image files are unavailable in this build (Loom was built without "
                    "OpenCV; install libopencv-dev and rebuild)");
}

#endif

// The source coordinate of a destination pixel centre, and its two neighbours and weight.
struct Tap {
    int64_t low, high;
    double fraction;
};

std::vector<Tap> taps(int64_t from, int64_t to) {
    std::vector<Tap> result(static_cast<size_t>(to));
    const double ratio = static_cast<double>(from) / static_cast<double>(to);
    for (int64_t i = 0; i < to; ++i) {
        double source = std::clamp((static_cast<double>(i) + 0.5) * ratio - 0.5, 0.0,
                                   static_cast<double>(from - 1));
        auto low = static_cast<int64_t>(std::floor(source));
        result[static_cast<size_t>(i)] = {low, std::min(low + 1, from - 1),
                                          source - static_cast<double>(low)};
    }
    return result;
}

}  // namespace

Tensor readRgbImage(const std::string& path) {
#ifdef LOOM_HAVE_OPENCV
    // Art works on the picture at its own size: one above the budget is refused rather than
    // quietly made smaller.
    ImageLimits limits;
    limits.reduceLarge = false;
    limits.setting.clear();
    cv::Mat bgr;
    try {
        bgr = decodeImage(path, false, limits);
    } catch (const DataError& e) {
        throw DataError("cannot read the image '" + path + "': " + e.what());
    }
    Tensor image = Tensor::empty(Shape{3, bgr.rows, bgr.cols});
    float* out = image.data<float>();
    const int64_t plane = int64_t{bgr.rows} * bgr.cols;
    for (int y = 0; y < bgr.rows; ++y) {
        const auto* row = bgr.ptr<cv::Vec3b>(y);
        for (int x = 0; x < bgr.cols; ++x) {
            const int64_t at = int64_t{y} * bgr.cols + x;
            for (int c = 0; c < 3; ++c) {
                out[c * plane + at] = row[x][2 - c];
            }
        }
    }
    return image;
#else
    noOpenCv(path);
#endif
}

void writeRgbImage(const Tensor& image, const std::string& path) {
    if (image.rank() != 3 || image.dim(0) != 3) {
        throw ShapeError("a picture to save must have shape (3, H, W), got " + image.shape().str());
    }
#ifdef LOOM_HAVE_OPENCV
    const auto height = static_cast<int>(image.dim(1)), width = static_cast<int>(image.dim(2));
    const Tensor values = image.to(DType::F32);
    const float* in = values.data<float>();
    const int64_t plane = int64_t{height} * width;
    cv::Mat bgr(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        auto* row = bgr.ptr<cv::Vec3b>(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) {
                float v = in[c * plane + int64_t{y} * width + x];
                row[x][2 - c] = static_cast<uchar>(std::lround(std::clamp(v, 0.0f, 255.0f)));
            }
        }
    }
    std::vector<int> options;
    if (isJpeg(path)) {
        options = {cv::IMWRITE_JPEG_QUALITY, 95};
    }
    bool written = false;
    try {
        written = cv::imwrite(path, bgr, options);
    } catch (const cv::Exception& e) {
        throw DataError("cannot write the image '" + path + "': " + e.what());
    }
    if (!written) {
        throw DataError("cannot write the image '" + path +
                        "' (is the folder there and writable, and the name .png or .jpg?)");
    }
#else
    noOpenCv(path);
#endif
}

void saveArtImage(const Tensor& image, const std::string& path, const nlohmann::json& settings) {
    writeRgbImage(image, path);
    const std::string settingsPath = std::filesystem::path(path).replace_extension(".json");
    std::ofstream out(settingsPath);
    out << settings.dump(2) << '\n';
    if (!out) {
        throw IoError("cannot write the settings file '" + settingsPath + "'");
    }
}

Tensor resizeImage(const Tensor& image, int64_t height, int64_t width) {
    if (image.rank() != 3 || height < 1 || width < 1) {
        throw ShapeError("resizeImage needs a (C, H, W) picture and a size of at least 1x1, got " +
                         image.shape().str() + " to " + std::to_string(height) + "x" +
                         std::to_string(width));
    }
    const int64_t channels = image.dim(0), fromH = image.dim(1), fromW = image.dim(2);
    const std::vector<Tap> rows = taps(fromH, height), cols = taps(fromW, width);
    Tensor source = image.to(DType::F64);
    const double* in = source.data<double>();
    Tensor resized = Tensor::empty(Shape{channels, height, width}, DType::F64);
    double* out = resized.data<double>();
    for (int64_t c = 0; c < channels; ++c) {
        const double* plane = in + c * fromH * fromW;
        for (int64_t y = 0; y < height; ++y) {
            const Tap& r = rows[static_cast<size_t>(y)];
            for (int64_t x = 0; x < width; ++x) {
                const Tap& k = cols[static_cast<size_t>(x)];
                auto at = [&](int64_t row, int64_t col) { return plane[row * fromW + col]; };
                double top = at(r.low, k.low) + (at(r.low, k.high) - at(r.low, k.low)) * k.fraction;
                double bottom =
                    at(r.high, k.low) + (at(r.high, k.high) - at(r.high, k.low)) * k.fraction;
                out[(c * height + y) * width + x] = top + (bottom - top) * r.fraction;
            }
        }
    }
    return resized.to(image.dtype());
}

}  // namespace loom
