#pragma once
/// DataSource: a project's "data" section (or a spec such as "fashion-mnist") turned into the
/// training, validation and test sets a model trains on, with the section's preprocessing
/// applied. loom-cli and the application both load data through this one path, so a project
/// trains on the same samples wherever it runs.

#include <loom/Augmentation.h>
#include <loom/Dataset.h>
#include <loom/ImageFolder.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace loom {

struct LoadedData {
    Dataset train;
    std::optional<Dataset> validation;
    std::optional<Dataset> test;
    /// What was applied to every set, to apply again to a new sample before predicting.
    Normalization normalization;
    /// The section's "augmentation" for the training data, when it turns anything on.
    std::optional<AugmentationOptions> augmentation;
    std::vector<SkippedFile> skipped;
    std::vector<std::string> notes;  ///< what was done to fit the model, for the user
};

/// A whole source to evaluate a trained model on.
struct EvaluationData {
    Dataset data;  ///< every sample; data.source says what was read ("folder:DIR/test")
    std::vector<SkippedFile> skipped;
    std::vector<std::string> notes;  ///< what was done to fit the model, for the user
};

/// Where Debian's dataset-fashion-mnist package installs the four IDX files.
inline constexpr const char* kDefaultFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

/// The data section of a new project: Fashion-MNIST from Debian's package, pixels divided by
/// 255, a seeded 10% of the training set held out for validation.
nlohmann::json defaultDataSection();

/// The section with its source's relative paths ("folder:garments", "idx:IMAGES,LABELS") made
/// absolute from `folder`, the model file's own: a project and its data move together, and a
/// copy saved elsewhere still finds them. Other sections are returned as they are.
nlohmann::json withSourceRelativeTo(nlohmann::json section, const std::string& folder);

/// True when loadData fits samples of shape `sample` to a model input `input` by resizing
/// them as pictures (grey or RGB either side), whatever their sizes.
bool isPictureResize(const Shape& sample, const Shape& input);

/// spec: "fashion-mnist[:DIR]", "idx:IMAGES,LABELS", "folder:DIR", "csv:FILE"; empty: the
/// section's "source". A folder with train/ is split as laid out: validation/ (or val/) and
/// test/ beside it are the validation and test data, with the training data's classes. The data
/// section supplies preprocessing: normalization (divide_255, mean_std, none),
/// validation_split and test_split (for sources without those splits), split_seed, labels
/// (subfolder, prefix), train_samples (a seeded subset of the training data), grayscale, size,
/// resize (stretch, crop: how images of another shape
/// are brought to the size), label_column, regression; max_image_pixels
/// (the pixel budget of one image file, kDefaultMaxImagePixels by default) and large_images
/// (reduce: a JPEG above it is decoded at 1/2, 1/4 or 1/8 of its size, the default; refuse:
/// skipped like every other file above it); non_finite (error: a NaN or infinite CSV cell is an
/// error naming its line and column, the default; drop: its row is left out, with a note);
/// augmentation (see AugmentationOptions), checked against the training samples here.
/// Samples are reshaped to the model's input when only the layout differs. Throws DataError
/// saying what is wrong, also for a source with no samples.
LoadedData loadData(const std::string& spec, const nlohmann::json& section,
                    const Shape& modelInput);

/// True when the section's normalisation takes statistics of the training data (mean_std).
bool normalizesWithTrainingStatistics(const nlohmann::json& section);

/// The normalisation loadData gives the training data of `spec` (empty: the section's
/// source). Only mean_std depends on those data: then they are read for their statistics.
Normalization trainingNormalization(const std::string& spec, const nlohmann::json& section,
                                    const Shape& modelInput);

/// Every sample of a source, never split, to evaluate a model on: a CSV file, an IDX pair,
/// Fashion-MNIST's test files, an image folder (its test/ folder when it has one, else the
/// validation folder of a train/ layout). The section reads them as loadData reads training data,
/// `normalization` (the training data's: LoadedData::normalization or trainingNormalization)
/// scales them and they are laid out as the model's input. Throws DataError.
EvaluationData loadEvaluationData(const std::string& spec, const nlohmann::json& section,
                                  const Shape& modelInput, const Normalization& normalization);

/// How loadData reads an image folder for a model: the section's labels and grayscale, at the
/// model's picture size (for a flat input, the section's size, 32x32 by default).
ImageFolderOptions imageFolderOptions(const nlohmann::json& section, const Shape& modelInput);

}  // namespace loom
