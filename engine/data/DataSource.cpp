#include <loom/ArtImage.h>
#include <loom/Csv.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Idx.h>
#include <loom/Platform.h>

#include <algorithm>
#include <filesystem>
#include <optional>

namespace loom {

namespace {

std::pair<std::string, std::string> splitSpec(const std::string& spec) {
    auto colon = spec.find(':');
    if (colon == std::string::npos) {
        return {spec, ""};
    }
    return {spec.substr(0, colon), spec.substr(colon + 1)};
}

std::string effectiveSpec(const std::string& spec, const nlohmann::json& section) {
    std::string effective = spec.empty() ? section.value("source", "") : spec;
    if (effective.empty()) {
        throw DataError(
            "no data: the data section names no source (fashion-mnist, idx:IMAGES,LABELS, "
            "folder:DIR or csv:FILE)");
    }
    return effective;
}

// Which files of a source to read: those a model trains on, or those it is tested on.
enum class Files { Training, Test };

/// An image folder as people keep one: train/ with validation/ (or val/) and test/ beside it
/// are the splits; without train/, the whole folder is the training data.
struct FolderSplits {
    std::string train;
    std::optional<std::string> validation, test;
};

FolderSplits folderSplits(const std::string& folder) {
    const std::filesystem::path root(folder);
    const auto subFolder = [&root](const char* name) -> std::optional<std::string> {
        const std::filesystem::path path = root / name;
        return std::filesystem::is_directory(path) ? std::optional(path.string()) : std::nullopt;
    };
    if (!subFolder("train")) {
        return {folder, std::nullopt, subFolder("test")};
    }
    std::optional<std::string> validation = subFolder("validation");
    return {*subFolder("train"), validation ? validation : subFolder("val"), subFolder("test")};
}

// A folder is tested on its test/ folder, else on a split layout's validation folder.
std::string testFolder(const std::string& folder) {
    const FolderSplits splits = folderSplits(folder);
    if (splits.test) {
        return *splits.test;
    }
    return splits.validation ? *splits.validation : folder;
}

/// Gives `split`'s samples the class indices of the training data's `classes` (each split's
/// folder lists only the classes it has), or says which class training lacks.
void alignClasses(Dataset& split, const std::vector<std::string>& classes) {
    std::vector<float> index(split.classNames.size());
    for (size_t c = 0; c < split.classNames.size(); ++c) {
        const auto found = std::find(classes.begin(), classes.end(), split.classNames[c]);
        if (found == classes.end()) {
            throw DataError(split.source + " has the class '" + split.classNames[c] +
                            "', which the training data lack");
        }
        index[c] = float(found - classes.begin());
    }
    float* targets = split.targets.data<float>();
    for (int64_t i = 0; i < split.size(); ++i) {
        targets[i] = index[size_t(targets[i])];
    }
    split.classNames = classes;
}

// The section's setting `key`: one of `choices`, the first by default.
std::string choice(const nlohmann::json& section, const char* key,
                   const std::vector<std::string>& choices) {
    const auto found = section.find(key);
    if (found == section.end()) {
        return choices.front();
    }
    if (found->is_string() &&
        std::find(choices.begin(), choices.end(), found->get<std::string>()) != choices.end()) {
        return found->get<std::string>();
    }
    std::string list;
    for (const std::string& c : choices) {
        list += (list.empty() ? "" : " or ") + c;
    }
    throw DataError(std::string("the data section's ") + key + " must be " + list + ", not " +
                    found->dump());
}

ImageLimits imageLimits(const nlohmann::json& section) {
    ImageLimits limits;
    const auto found = section.find("max_image_pixels");
    if (found != section.end()) {
        if (!found->is_number_integer() || found->get<int64_t>() < 1) {
            throw DataError(
                "the data section's max_image_pixels must be a whole number >= 1, not " +
                found->dump());
        }
        limits.maxPixels = found->get<int64_t>();
    }
    limits.reduceLarge = choice(section, "large_images", {"reduce", "refuse"}) == "reduce";
    return limits;
}

// "data.csv: 2 row(s) with NaN or infinite cells dropped (lines 4, 9)"
std::string droppedLinesNote(const std::string& path, const std::vector<int64_t>& lines) {
    constexpr size_t kListed = 10;
    std::string list;
    for (size_t i = 0; i < std::min(lines.size(), kListed); ++i) {
        list += (i == 0 ? "" : ", ") + std::to_string(lines[i]);
    }
    return path + ": " + std::to_string(lines.size()) +
           " row(s) with NaN or infinite cells dropped (line" + (lines.size() > 1 ? "s " : " ") +
           list + (lines.size() > kListed ? ", ..." : "") + ")";
}

Dataset readSource(const std::string& kind, const std::string& where, const nlohmann::json& section,
                   const Shape& input, Files files, std::vector<SkippedFile>& skipped,
                   std::vector<std::string>& notes) {
    if (kind == "fashion-mnist") {
        std::string folder =
            where.empty() ? section.value("path", kDefaultFashionMnistFolder) : where;
        return loadFashionMnist(folder, files == Files::Test);
    }
    if (kind == "idx") {
        auto comma = where.find(',');
        if (comma == std::string::npos) {
            throw DataError("idx data needs IMAGES,LABELS (two file paths)");
        }
        return loadIdxDataset(where.substr(0, comma), where.substr(comma + 1), false);
    }
    if (kind == "folder") {
        ImageFolderResult result =
            readImageFolder(files == Files::Test ? testFolder(where) : folderSplits(where).train,
                            imageFolderOptions(section, input));
        skipped.insert(skipped.end(), result.skipped.begin(), result.skipped.end());
        return result.data;
    }
    if (kind == "csv") {
        CsvOptions options;
        options.labelColumn = section.value("label_column", "");
        options.regression = section.value("regression", false);
        options.dropNonFinite = choice(section, "non_finite", {"error", "drop"}) == "drop";
        CsvData csv = readCsv(where, options);
        if (!csv.droppedLines.empty()) {
            notes.push_back(droppedLinesNote(where, csv.droppedLines));
        }
        return csv.data;
    }
    throw DataError("unknown data source '" + kind +
                    "'; use fashion-mnist[:DIR], idx:IMAGES,LABELS, folder:DIR or csv:FILE");
}

// The section's normalisation; `train` is read only for the statistics mean_std takes.
Normalization normalizationFor(const nlohmann::json& section, const Dataset& train) {
    const std::string name = section.value("normalization", "divide_255");
    if (name == "divide_255") {
        return Normalization::divideBy(255.0);
    }
    if (name == "mean_std") {
        return Normalization::perChannel(train);
    }
    if (name != "none") {
        throw DataError("unknown normalization '" + name + "'; use divide_255, mean_std or none");
    }
    return {};
}

/// A picture's channels as `channels` (1 or 3): grey repeated, or colour as its luma.
Tensor withChannels(const Tensor& picture, int64_t channels) {
    const int64_t plane = picture.dim(1) * picture.dim(2);
    Tensor out = Tensor::empty(Shape{channels, picture.dim(1), picture.dim(2)});
    const float* in = picture.data<float>();
    float* o = out.data<float>();
    for (int64_t i = 0; i < plane; ++i) {
        const float grey = picture.dim(0) == 3 ? 0.299f * in[i] + 0.587f * in[plane + i] +
                                                     0.114f * in[2 * plane + i]
                                               : in[i];
        for (int64_t c = 0; c < channels; ++c) {
            o[c * plane + i] = picture.dim(0) == channels ? in[c * plane + i] : grey;
        }
    }
    return out;
}

// Pictures of another size or colour are resized and given the model's channels (Fashion-MNIST
// on a pretrained base made for 224x224 colour), when that fits in memory.
void fitPicturesToModel(Dataset& d, const Shape& input, std::vector<std::string>& notes,
                        const std::string& name) {
    const Shape from = d.sampleShape();
    const uint64_t bytes = uint64_t(d.size()) * uint64_t(input.numel()) * sizeof(float);
    if (bytes > availableMemoryBytes() / 2) {
        throw DataError(name + " samples " + from.str() + " resized to the model's input " +
                        input.str() + " would take " + std::to_string(bytes >> 20) +
                        " MiB, more than half the memory there is; use a smaller input or "
                        "fewer samples");
    }
    Tensor fitted = Tensor::empty(input.withBatch(d.size()));
    for (int64_t i = 0; i < d.size(); ++i) {
        const Tensor picture = withChannels(
            resizeImage(d.samples.slice(i, i + 1).reshape(from), input[1], input[2]), input[0]);
        std::copy_n(picture.data<float>(), picture.numel(),
                    fitted.data<float>() + i * input.numel());
    }
    d.samples = std::move(fitted);
    notes.push_back(name + " samples " + from.str() + " resized to the model's input " +
                    input.str());
}

// Reshapes samples to the model's input when only the layout differs (28x28 images for a
// 784-input MLP), and fits pictures of another size or colour to a picture input.
void fitToModel(Dataset& d, const Shape& input, std::vector<std::string>& notes,
                const std::string& name) {
    if (isPictureResize(d.sampleShape(), input) && d.sampleShape() != input && d.size() > 0) {
        fitPicturesToModel(d, input, notes, name);
        return;
    }
    if (d.sampleShape() == input || d.sampleShape().numel() != input.numel()) {
        return;
    }
    notes.push_back(name + " samples " + d.sampleShape().str() + " reshaped to the model's input " +
                    input.str());
    d.samples = d.samples.reshape(input.withBatch(d.size()));
}

// The section's augmentation, when it turns anything on, checked against the training samples
// now rather than at the first batch.
std::optional<AugmentationOptions> augmentationFor(const nlohmann::json& section,
                                                   const Dataset& train,
                                                   const Normalization& normalization) {
    const auto found = section.find("augmentation");
    if (found == section.end()) {
        return std::nullopt;
    }
    AugmentationOptions options = AugmentationOptions::fromJson(*found);
    if (!options.enabled()) {
        return std::nullopt;
    }
    Augmenter(options, normalization).checkSampleShape(train.sampleShape());
    return options;
}

}  // namespace

bool normalizesWithTrainingStatistics(const nlohmann::json& section) {
    return section.value("normalization", "divide_255") == "mean_std";
}

namespace {

// train_samples: a seeded subset of the training data, to try a setting on fewer samples.
void keepTrainingSamples(const nlohmann::json& section, LoadedData& out) {
    const auto found = section.find("train_samples");
    if (found == section.end()) {
        return;
    }
    if (!found->is_number_integer() || found->get<int64_t>() < 1) {
        throw DataError("the data section's train_samples must be a whole number >= 1, not " +
                        found->dump());
    }
    const int64_t keep = found->get<int64_t>();
    if (keep < out.train.size()) {
        std::vector<int64_t> chosen =
            shuffledIndices(out.train.size(), section.value("split_seed", 12345) + 2);
        chosen.resize(size_t(keep));
        out.notes.push_back("training on " + std::to_string(keep) + " of the " +
                            std::to_string(out.train.size()) + " training samples");
        out.train = out.train.subset(chosen);
    }
}

// The validation and test folders beside a folder's train/, read as it is and given its
// classes; they take the place of validation_split and test_split.
void readFolderSplits(const std::string& folder, const nlohmann::json& section,
                      const Shape& modelInput, LoadedData& out) {
    const FolderSplits splits = folderSplits(folder);
    const auto read = [&](const std::string& path, const char* role) {
        ImageFolderResult result = readImageFolder(path, imageFolderOptions(section, modelInput));
        out.skipped.insert(out.skipped.end(), result.skipped.begin(), result.skipped.end());
        alignClasses(result.data, out.train.classNames);
        out.notes.push_back(std::string(role) + " data: " + path + " (" +
                            std::to_string(result.data.size()) + " images)");
        return std::move(result.data);
    };
    if (splits.validation) {
        out.validation = read(*splits.validation, "validation");
    }
    if (splits.test) {
        out.test = read(*splits.test, "test");
    }
}

}  // namespace

ImageFolderOptions imageFolderOptions(const nlohmann::json& section, const Shape& modelInput) {
    ImageFolderOptions options;
    options.labels = section.value("labels", "subfolder") == "prefix" ? LabelSource::FileNamePrefix
                                                                      : LabelSource::SubFolder;
    const bool picture = modelInput.rank() == 3;
    options.grayscale = section.value("grayscale", picture && modelInput[0] == 1);
    // Images take the model's spatial size; for a flat input, the size the data section says.
    std::vector<int> size = section.value("size", std::vector<int>{32, 32});
    options.height = picture ? static_cast<int>(modelInput[1]) : size.at(0);
    options.width = picture ? static_cast<int>(modelInput[2]) : size.at(1);
    options.limits = imageLimits(section);
    options.fit = choice(section, "resize", {"stretch", "crop"}) == "crop" ? ImageFit::Crop
                                                                           : ImageFit::Stretch;
    return options;
}

nlohmann::json defaultDataSection() {
    return {{"source", "fashion-mnist"},
            {"normalization", "divide_255"},
            {"validation_split", 0.1},
            {"split_seed", 12345}};
}

nlohmann::json withSourceRelativeTo(nlohmann::json section, const std::string& folder) {
    auto [kind, where] = splitSpec(section.is_object() ? section.value("source", "") : "");
    if (where.empty()) {
        return section;
    }
    // idx: names two files, IMAGES,LABELS; every other source one.
    std::string resolved;
    for (size_t start = 0; start <= where.size();) {
        const size_t end =
            kind == "idx" ? std::min(where.find(',', start), where.size()) : where.size();
        const std::filesystem::path path(where.substr(start, end - start));
        resolved +=
            (start > 0 ? "," : "") +
            (path.is_relative() ? (std::filesystem::path(folder) / path).lexically_normal() : path)
                .string();
        start = end + 1;
    }
    section["source"] = kind + ":" + resolved;
    return section;
}

bool isPictureResize(const Shape& sample, const Shape& input) {
    const auto picture = [](const Shape& shape) {
        return shape.rank() == 3 && (shape[0] == 1 || shape[0] == 3);
    };
    return picture(sample) && picture(input);
}

LoadedData loadData(const std::string& spec, const nlohmann::json& section,
                    const Shape& modelInput) {
    auto [kind, where] = splitSpec(effectiveSpec(spec, section));
    LoadedData out;
    out.train =
        readSource(kind, where, section, modelInput, Files::Training, out.skipped, out.notes);
    // Fashion-MNIST comes with its own test files, a folder may come with its splits.
    if (kind == "fashion-mnist") {
        out.test =
            readSource(kind, where, section, modelInput, Files::Test, out.skipped, out.notes);
    } else if (kind == "folder") {
        readFolderSplits(where, section, modelInput, out);
    }
    // The test set is split off first, so that per-channel statistics never see it.
    const double testSplit = section.value("test_split", 0.0);
    if (testSplit > 0 && !out.test) {
        auto [rest, held] =
            splitHoldout(out.train, testSplit, section.value("split_seed", 12345) + 1);
        out.train = std::move(rest);
        out.test = std::move(held);
    }
    out.normalization = normalizationFor(section, out.train);
    out.normalization.apply(out.train);
    for (std::optional<Dataset>* split : {&out.validation, &out.test}) {
        if (*split) {
            out.normalization.apply(**split);
        }
    }
    const double split = section.value("validation_split", 0.0);
    if (split > 0 && !out.validation) {
        auto [rest, held] = splitHoldout(out.train, split, section.value("split_seed", 12345));
        out.train = std::move(rest);
        out.validation = std::move(held);
    }
    keepTrainingSamples(section, out);
    fitToModel(out.train, modelInput, out.notes, "training");
    if (out.validation) {
        fitToModel(*out.validation, modelInput, out.notes, "validation");
    }
    if (out.test) {
        fitToModel(*out.test, modelInput, out.notes, "test");
    }
    out.augmentation = augmentationFor(section, out.train, out.normalization);
    return out;
}

Normalization trainingNormalization(const std::string& spec, const nlohmann::json& section,
                                    const Shape& modelInput) {
    if (normalizesWithTrainingStatistics(section)) {
        return loadData(spec, section, modelInput).normalization;
    }
    return normalizationFor(section, Dataset{});
}

EvaluationData loadEvaluationData(const std::string& spec, const nlohmann::json& section,
                                  const Shape& modelInput, const Normalization& normalization) {
    auto [kind, where] = splitSpec(effectiveSpec(spec, section));
    EvaluationData out;
    out.data = readSource(kind, where, section, modelInput, Files::Test, out.skipped, out.notes);
    out.data.source = kind + ":" + out.data.source;
    normalization.apply(out.data);
    fitToModel(out.data, modelInput, out.notes, "evaluation");
    return out;
}

}  // namespace loom
