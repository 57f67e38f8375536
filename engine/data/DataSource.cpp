#include <loom/Csv.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Idx.h>

namespace loom {

namespace {

std::pair<std::string, std::string> splitSpec(const std::string& spec) {
    auto colon = spec.find(':');
    if (colon == std::string::npos) {
        return {spec, ""};
    }
    return {spec.substr(0, colon), spec.substr(colon + 1)};
}

Dataset readPrimary(const std::string& kind, const std::string& where,
                    const nlohmann::json& section, const Shape& input, LoadedData& out) {
    if (kind == "fashion-mnist") {
        std::string folder =
            where.empty() ? section.value("path", kDefaultFashionMnistFolder) : where;
        out.test = loadFashionMnist(folder, true);
        return loadFashionMnist(folder, false);
    }
    if (kind == "idx") {
        auto comma = where.find(',');
        if (comma == std::string::npos) {
            throw DataError("idx data needs IMAGES,LABELS (two file paths)");
        }
        return loadIdxDataset(where.substr(0, comma), where.substr(comma + 1), false);
    }
    if (kind == "folder") {
        ImageFolderOptions options;
        options.labels = section.value("labels", "subfolder") == "prefix"
                             ? LabelSource::FileNamePrefix
                             : LabelSource::SubFolder;
        options.grayscale = section.value("grayscale", input.rank() == 3 && input[0] == 1);
        // Images take the model's spatial size; for a flat input, the size the data section says.
        std::vector<int> size = section.value("size", std::vector<int>{32, 32});
        options.height = input.rank() == 3 ? static_cast<int>(input[1]) : size.at(0);
        options.width = input.rank() == 3 ? static_cast<int>(input[2]) : size.at(1);
        ImageFolderResult result = readImageFolder(where, options);
        out.skipped = result.skipped;
        return result.data;
    }
    if (kind == "csv") {
        CsvOptions options;
        options.labelColumn = section.value("label_column", "");
        options.regression = section.value("regression", false);
        return readCsv(where, options);
    }
    throw DataError("unknown data source '" + kind +
                    "'; use fashion-mnist[:DIR], idx:IMAGES,LABELS, folder:DIR or csv:FILE");
}

// Reshapes samples to the model's input when only the layout differs (28x28 images for a
// 784-input MLP).
void fitToModel(Dataset& d, const Shape& input, LoadedData& out, const std::string& name) {
    if (d.sampleShape() == input || d.sampleShape().numel() != input.numel()) {
        return;
    }
    out.notes.push_back(name + " samples " + d.sampleShape().str() +
                        " reshaped to the model's input " + input.str());
    d.samples = d.samples.reshape(input.withBatch(d.size()));
}

}  // namespace

LoadedData loadData(const std::string& spec, const nlohmann::json& section,
                    const Shape& modelInput) {
    std::string effective = spec.empty() ? section.value("source", "") : spec;
    if (effective.empty()) {
        throw DataError(
            "no data: pass --data (e.g. --data fashion-mnist) or give the model file "
            "a \"data\" section");
    }
    auto [kind, where] = splitSpec(effective);
    LoadedData out;
    out.train = readPrimary(kind, where, section, modelInput, out);
    // The test set is split off first, so that per-channel statistics never see it.
    const double testSplit = section.value("test_split", 0.0);
    if (testSplit > 0 && !out.test) {
        auto [rest, held] =
            splitHoldout(out.train, testSplit, section.value("split_seed", 12345) + 1);
        out.train = std::move(rest);
        out.test = std::move(held);
    }
    const std::string normalization = section.value("normalization", "divide_255");
    Normalization norm;
    if (normalization == "divide_255") {
        norm = Normalization::divideBy(255.0);
    } else if (normalization == "mean_std") {
        norm = Normalization::perChannel(out.train);
    } else if (normalization != "none") {
        throw DataError("unknown normalization '" + normalization +
                        "'; use divide_255, mean_std or none");
    }
    norm.apply(out.train);
    out.normalization = norm;
    if (out.test) {
        norm.apply(*out.test);
    }
    const double split = section.value("validation_split", 0.0);
    if (split > 0) {
        auto [rest, held] = splitHoldout(out.train, split, section.value("split_seed", 12345));
        out.train = std::move(rest);
        out.validation = std::move(held);
    }
    fitToModel(out.train, modelInput, out, "training");
    if (out.validation) {
        fitToModel(*out.validation, modelInput, out, "validation");
    }
    if (out.test) {
        fitToModel(*out.test, modelInput, out, "test");
    }
    return out;
}

}  // namespace loom
