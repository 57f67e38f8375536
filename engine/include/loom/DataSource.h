#pragma once
/// DataSource: a project's "data" section (or a spec such as "fashion-mnist") turned into the
/// training, validation and test sets a model trains on, with the section's preprocessing
/// applied. loom-cli and the application both load data through this one path, so a project
/// trains on the same samples wherever it runs.

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
    std::vector<SkippedFile> skipped;
    std::vector<std::string> notes;  ///< what was done to fit the model, for the user
};

/// Where Debian's dataset-fashion-mnist package installs the four IDX files.
inline constexpr const char* kDefaultFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

/// spec: "fashion-mnist[:DIR]", "idx:IMAGES,LABELS", "folder:DIR", "csv:FILE"; empty: the
/// section's "source". The data section supplies preprocessing: normalization (divide_255,
/// mean_std, none), validation_split, test_split (for sources without a test set), split_seed,
/// labels (subfolder, prefix), grayscale, size, label_column, regression. Samples are reshaped
/// to the model's input when only the layout differs. Throws DataError saying what is wrong.
LoadedData loadData(const std::string& spec, const nlohmann::json& section,
                    const Shape& modelInput);

}  // namespace loom
