#pragma once
// Where loom-cli's data comes from: a spec on the command line (--data) or the model file's
// "data" section, turned into training, validation and test sets shaped for the model.

#include <loom/Dataset.h>
#include <loom/ImageFolder.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace loom::cli {

struct LoadedData {
    Dataset train;
    std::optional<Dataset> validation;
    std::optional<Dataset> test;
    std::vector<SkippedFile> skipped;
    std::vector<std::string> notes;  ///< what was done to fit the model, for the user
};

/// spec: "fashion-mnist[:DIR]", "idx:IMAGES,LABELS", "folder:DIR", "csv:FILE". The data
/// section supplies preprocessing: normalization (divide_255, mean_std, none),
/// validation_split, test_split (for sources without a test set), split_seed, labels (subfolder,
/// prefix), grayscale, label_column, regression. Samples are reshaped to the model's input when
/// only the layout differs.
LoadedData loadData(const std::string& spec, const nlohmann::json& section,
                    const Shape& modelInput);

}  // namespace loom::cli
