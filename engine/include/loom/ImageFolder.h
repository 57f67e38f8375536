#pragma once
/// Image data from files, decoded and resized with OpenCV in parallel. Without OpenCV (a build
/// where it was not found) every function here throws DataError saying so.

#include <loom/Dataset.h>
#include <loom/ImageHeader.h>

#include <string>
#include <vector>

namespace loom {

/// True when this build can read image files.
bool imageFilesAvailable();

enum class LabelSource {
    SubFolder,       ///< train/cat/1.jpg -> "cat"
    FileNamePrefix,  ///< cat.3141.jpg -> "cat" (Kaggle's dogs-vs-cats)
};

/// How an image of another shape is brought to the size a model reads.
enum class ImageFit {
    Stretch,  ///< resized to the size, its aspect ratio lost (Keras' flow_from_directory)
    Crop,     ///< the largest centred part of the size's aspect ratio, resized
};

struct ImageFolderOptions {
    LabelSource labels = LabelSource::SubFolder;
    int height = 32, width = 32;
    bool grayscale = false;
    int threads = 0;     ///< 0: as many as the machine has
    ImageLimits limits;  ///< files above the pixel budget are skipped (or decoded reduced)
    ImageFit fit = ImageFit::Stretch;
};

/// Files that could not be used, with the reason for each.
struct SkippedFile {
    std::string path;
    std::string reason;
};

struct ImageFolderResult {
    Dataset data;  ///< samples [N, C, H, W] with values 0..255; classes sorted by name
    std::vector<SkippedFile> skipped;
};

/// Reads every image below `folder`; unreadable and non-image files, and those above the pixel
/// budget, are skipped and listed, never fatal. Throws DataError when no image at all could be
/// read.
ImageFolderResult readImageFolder(const std::string& folder, const ImageFolderOptions& options);

/// One image as [C, H, W] (0..255), brought to height x width as `fit` says. Throws DataError
/// naming the file when it cannot be read or the pixel budget refuses it.
Tensor readImage(const std::string& path, int height, int width, bool grayscale,
                 const ImageLimits& limits = {}, ImageFit fit = ImageFit::Stretch);

}  // namespace loom
