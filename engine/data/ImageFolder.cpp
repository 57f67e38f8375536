#include <loom/Error.h>
#include <loom/ImageFolder.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#ifdef LOOM_HAVE_OPENCV
#include "data/ImageDecoding.h"

#include <opencv2/imgproc.hpp>

#include <omp.h>
#endif

namespace loom {

namespace fs = std::filesystem;

namespace {

#ifndef LOOM_HAVE_OPENCV
[[noreturn]] void noOpenCv() {
    throw DataError(
        "image files are unavailable: this Loom was built without OpenCV "
        "(install libopencv-dev and rebuild)");
}
#endif

std::string labelOf(const fs::path& file, const fs::path& root, LabelSource source) {
    if (source == LabelSource::FileNamePrefix) {
        std::string name = file.filename().string();
        auto dot = name.find('.');
        return dot == std::string::npos || dot == 0 ? std::string() : name.substr(0, dot);
    }
    fs::path relative = fs::relative(file.parent_path(), root);
    return relative.empty() || relative == "." ? std::string() : relative.begin()->string();
}

#ifdef LOOM_HAVE_OPENCV
// The centred part of `image` with the aspect ratio of height x width.
cv::Mat centredCrop(const cv::Mat& image, int height, int width) {
    const double wanted = double(width) / height, actual = double(image.cols) / image.rows;
    if (actual > wanted) {
        const int cols = std::max(1, int(std::lround(image.rows * wanted)));
        return image(cv::Rect((image.cols - cols) / 2, 0, cols, image.rows));
    }
    const int rows = std::max(1, int(std::lround(image.cols / wanted)));
    return image(cv::Rect(0, (image.rows - rows) / 2, image.cols, rows));
}

// Decodes into [C, H, W] floats; OpenCV's BGR becomes RGB, as every model expects.
void decodeInto(const std::string& path, int height, int width, bool grayscale,
                const ImageLimits& limits, ImageFit fit, float* out) {
    cv::Mat image = decodeImage(path, grayscale, limits);
    if (fit == ImageFit::Crop) {
        image = centredCrop(image, height, width);
    }
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    const int channels = resized.channels();
    for (int y = 0; y < height; ++y) {
        const unsigned char* row = resized.ptr<unsigned char>(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < channels; ++c) {
                int source = channels == 3 ? 2 - c : c;
                out[(static_cast<size_t>(c) * height + y) * width + x] = row[x * channels + source];
            }
        }
    }
}
#endif

}  // namespace

bool imageFilesAvailable() {
#ifdef LOOM_HAVE_OPENCV
    return true;
#else
    return false;
#endif
}

Tensor readImage(const std::string& path, int height, int width, bool grayscale,
                 const ImageLimits& limits, ImageFit fit) {
#ifdef LOOM_HAVE_OPENCV
    Tensor t = Tensor::empty(Shape{grayscale ? 1 : 3, height, width});
    try {
        decodeInto(path, height, width, grayscale, limits, fit, t.data<float>());
    } catch (const DataError& e) {
        throw DataError(path + ": " + e.what());
    }
    return t;
#else
    (void)path, (void)height, (void)width, (void)grayscale, (void)limits, (void)fit;
    noOpenCv();
#endif
}

ImageFolderResult readImageFolder(const std::string& folder, const ImageFolderOptions& options) {
#ifdef LOOM_HAVE_OPENCV
    if (!fs::is_directory(folder)) {
        throw DataError(folder + ": not a folder");
    }
    ImageFolderResult result;
    std::vector<std::pair<std::string, std::string>> files;  // path, label
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        std::string label = labelOf(entry.path(), folder, options.labels);
        if (label.empty()) {
            result.skipped.push_back({entry.path().string(), "no label in its name or folder"});
            continue;
        }
        files.emplace_back(entry.path().string(), label);
    }
    // Sorted, so the sample order (and with it every seeded split) does not depend on the
    // order the file system lists files in.
    std::sort(files.begin(), files.end());
    const int channels = options.grayscale ? 1 : 3;
    const int64_t sampleSize = int64_t{channels} * options.height * options.width;
    std::vector<float> pixels(files.size() * static_cast<size_t>(sampleSize));
    std::vector<std::string> errors(files.size());
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads)
    for (int64_t i = 0; i < static_cast<int64_t>(files.size()); ++i) {
        try {
            decodeInto(files[static_cast<size_t>(i)].first, options.height, options.width,
                       options.grayscale, options.limits, options.fit,
                       pixels.data() + i * sampleSize);
        } catch (const std::exception& e) {
            errors[static_cast<size_t>(i)] = e.what();
        }
    }
    std::map<std::string, int> classes;
    for (size_t i = 0; i < files.size(); ++i) {
        if (errors[i].empty()) {
            classes.emplace(files[i].second, 0);
        }
    }
    int next = 0;
    for (auto& [name, index] : classes) {
        index = next++;
        result.data.classNames.push_back(name);
    }
    std::vector<float> kept, labels;
    for (size_t i = 0; i < files.size(); ++i) {
        if (!errors[i].empty()) {
            result.skipped.push_back({files[i].first, errors[i]});
            continue;
        }
        kept.insert(kept.end(), pixels.begin() + static_cast<int64_t>(i) * sampleSize,
                    pixels.begin() + static_cast<int64_t>(i + 1) * sampleSize);
        labels.push_back(static_cast<float>(classes[files[i].second]));
    }
    if (labels.empty()) {
        throw DataError(folder + ": no readable, labelled image was found (" +
                        std::to_string(result.skipped.size()) + " file(s) skipped)");
    }
    const auto n = static_cast<int64_t>(labels.size());
    result.data.samples =
        Tensor::fromVector(Shape{n, channels, options.height, options.width}, kept);
    result.data.targets = Tensor::fromVector(Shape{n}, labels);
    result.data.source = folder;
    return result;
#else
    (void)folder, (void)options;
    noOpenCv();
#endif
}

}  // namespace loom
