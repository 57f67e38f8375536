#pragma once
// What the libFuzzer targets (tests/fuzz/Fuzz*.cpp), their seed generator and the regression
// suite (tests/engine/TestFuzzRegressions.cpp) share: the readers a file is handed to, how
// each refuses a bad file, and the small model the weights readers load into. Kept in one
// place so that a regression input is read exactly as the fuzzer read it when it found the
// bug. Qt-free.

#include <loom/Csv.h>
#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Idx.h>
#include <loom/ImageFolder.h>
#include <loom/Json.h>
#include <loom/KerasHdf5.h>
#include <loom/ModelFile.h>
#include <loom/OnnxImport.h>
#include <loom/Project.h>
#include <loom/TfjsModel.h>
#include <loom/WeightsFile.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace loom::fuzz {

/// The readers of untrusted files that the fuzzers exercise.
enum class Reader {
    Project,        ///< loadProject (.loom)
    Weights,        ///< loadWeights into fuzzModel() (.h5 written by saveWeights)
    KerasHdf5,      ///< loadKerasHdf5 (model.save('x.h5'))
    KerasWeights,   ///< loadKerasWeightsInto fuzzModel() (save_weights('w.h5'))
    KerasZip,       ///< loadKerasZip (Keras 3 .keras)
    ModelJson,      ///< readModelFile on a .json (Loom's graph with training and data)
    KerasJson,      ///< kerasModelFromConfig on a Keras topology, as the Keras readers call it
    Tfjs,           ///< loadTfjsKerasModel on a model.json and one shard (splitTfjsInput)
    Onnx,           ///< importOnnx
    Idx,            ///< readIdx (plain or gzip)
    Csv,            ///< readCsv with default options: classes from the last column
    CsvRegression,  ///< readCsv: numbers from the first column, non-finite rows dropped
    Image,          ///< readImage in colour, then in grey, within fuzzImageLimits()
};

/// Every reader, for looking one up by its prefix.
inline constexpr Reader kReaders[] = {Reader::Project,      Reader::Weights,  Reader::KerasHdf5,
                                      Reader::KerasWeights, Reader::KerasZip, Reader::ModelJson,
                                      Reader::KerasJson,    Reader::Tfjs,     Reader::Onnx,
                                      Reader::Idx,          Reader::Csv,      Reader::CsvRegression,
                                      Reader::Image};

/// The regression inputs' file-name prefixes (tests/fixtures/fuzz/<prefix>-<what>.<ext>).
inline const char* prefixOf(Reader reader) {
    switch (reader) {
        case Reader::Project:
            return "project";
        case Reader::Weights:
            return "weights";
        case Reader::KerasHdf5:
            return "keras";
        case Reader::KerasWeights:
            return "kerasweights";
        case Reader::KerasZip:
            return "zip";
        case Reader::ModelJson:
            return "json";
        case Reader::KerasJson:
            return "kerasjson";
        case Reader::Tfjs:
            return "tfjs";
        case Reader::Onnx:
            return "onnx";
        case Reader::Idx:
            return "idx";
        case Reader::Csv:
            return "csv";
        case Reader::CsvRegression:
            return "csvregression";
        case Reader::Image:
            return "image";
    }
    return "";
}

/// The data readers promise a DataError for a bad file (loom/Csv.h, loom/ImageFolder.h), every
/// other reader an IoError; either names the file.
inline bool refusesWithDataError(Reader reader) {
    return reader == Reader::Csv || reader == Reader::CsvRegression || reader == Reader::Image;
}

inline const char* refusalOf(Reader reader) {
    return refusesWithDataError(reader) ? "DataError" : "IoError";
}

/// True when `e` is the clean refusal that `reader` promises (its type only; whether it names
/// the file is checked against namedFile()).
inline bool isRefusal(Reader reader, const std::exception& e) {
    return refusesWithDataError(reader) ? dynamic_cast<const DataError*>(&e) != nullptr
                                        : dynamic_cast<const IoError*>(&e) != nullptr;
}

/// A folder of this process's own (TMPDIR, /tmp by default), removed when the process ends, so
/// that fuzzers running side by side never read each other's inputs.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "loom-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::perror("loom fuzz: mkdtemp");
            std::abort();
        }
        m_path = pattern;
    }
    ~ScratchFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;

    std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
    std::filesystem::path m_path;
};

/// The one scratch folder of this process: the fuzz targets' inputs and the TF.js parts.
inline const ScratchFolder& scratchFolder() {
    static const ScratchFolder folder;
    return folder;
}

inline void writeBytes(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
        std::fprintf(stderr, "loom fuzz: cannot write %s\n", path.c_str());
        std::abort();
    }
}

inline std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Between a TF.js input's model.json and its weight shard. A line break cannot occur inside a
/// JSON string and the dashes not between JSON values, so no model.json holds it; loom.dict
/// has it, so that mutations keep or make the split.
inline constexpr std::string_view kShardSeparator = "\n--shard--\n";

/// The model.json that splitTfjsInput writes.
inline std::string tfjsModelJson() {
    return scratchFolder().file("model.json");
}

/// Writes a TF.js input, model.json bytes + kShardSeparator + shard bytes, as tfjsModelJson()
/// and the one shard Loom's export names for it, group1-shard1of1.bin (empty when the input has
/// no separator). Returns the model.json's path.
inline std::string splitTfjsInput(const std::string& path) {
    const std::string bytes = readBytes(path);
    const size_t split = bytes.find(kShardSeparator);
    const std::string_view all = bytes;
    writeBytes(tfjsModelJson(), all.substr(0, split));
    writeBytes(scratchFolder().file("group1-shard1of1.bin"),
               split == std::string::npos ? std::string_view()
                                          : all.substr(split + kShardSeparator.size()));
    return tfjsModelJson();
}

/// The file that `reader`'s errors must name when it reads the input at `path`.
inline std::string namedFile(Reader reader, const std::string& path) {
    return reader == Reader::Tfjs ? tfjsModelJson() : path;
}

/// kerasModelFromConfig as loadKerasHdf5 and loadKerasZip call it: the JSON parsed within
/// parseJson's limits, and a loom::Error turned into an IoError naming the file.
inline void readKerasTopology(const std::string& path) {
    const nlohmann::json config = parseJson(readBytes(path), path);
    try {
        KerasModel model = kerasModelFromConfig(config);
    } catch (const Error& e) {
        throw IoError(path + ": " + e.what());
    }
}

/// A small pixel budget (256 x 256), so that no input decodes to much: a run stays fast and a
/// file that declares more pixels is refused (or, a JPEG, decoded reduced).
inline ImageLimits fuzzImageLimits() {
    ImageLimits limits;
    limits.maxPixels = 256 * 256;
    return limits;
}

/// A small model with every kind of weight the weights files hold (a conv kernel and bias, a
/// dense kernel after a flatten, batch-norm statistics). The seed generator saves it, so the
/// seeds' layer names and shapes are the ones the weights readers look for.
inline Graph fuzzModel() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, 6, 6}}});
    g.add("Conv2D", "conv", {{"filters", 2}, {"kernel_size", {3, 3}}, {"activation", "relu"}},
          {"input"});
    g.add("BatchNormalization", "norm", {}, {"conv"});
    g.add("Flatten", "flatten", {}, {"norm"});
    g.add("Dense", "classes", {{"units", 3}, {"activation", "softmax"}}, {"flatten"});
    g.build(1);
    return g;
}

/// Hands the file at `path` to `reader`. Whatever it throws passes through: isRefusal() and
/// namedFile() say which of it is the clean refusal of a bad file.
inline void readWith(Reader reader, const std::string& path) {
    switch (reader) {
        case Reader::Project: {
            Project project = loadProject(path);
            return;
        }
        case Reader::Weights: {
            Graph model = fuzzModel();
            loadWeights(model, path);
            return;
        }
        case Reader::KerasHdf5: {
            KerasModel model = loadKerasHdf5(path);
            return;
        }
        case Reader::KerasWeights: {
            Graph model = fuzzModel();
            loadKerasWeightsInto(model, path);
            return;
        }
        case Reader::KerasZip: {
            KerasModel model = loadKerasZip(path);
            return;
        }
        case Reader::ModelJson: {
            ModelFile model = readModelFile(path);
            return;
        }
        case Reader::KerasJson:
            readKerasTopology(path);
            return;
        case Reader::Tfjs: {
            KerasModel model = loadTfjsKerasModel(splitTfjsInput(path));
            return;
        }
        case Reader::Onnx: {
            Graph model = importOnnx(path);
            return;
        }
        case Reader::Idx: {
            Tensor values = readIdx(path);
            return;
        }
        case Reader::Csv: {
            CsvData data = readCsv(path, {});
            return;
        }
        case Reader::CsvRegression: {
            CsvOptions numbers;
            numbers.labelColumn = "0";
            numbers.regression = true;
            numbers.dropNonFinite = true;
            CsvData data = readCsv(path, numbers);
            return;
        }
        case Reader::Image: {
            Tensor colour = readImage(path, 8, 8, false, fuzzImageLimits());
            Tensor grey = readImage(path, 8, 8, true, fuzzImageLimits());
            return;
        }
    }
}

}  // namespace loom::fuzz
