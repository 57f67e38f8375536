// TF.js layers model import: model.json + weight shards -> a built Loom graph.

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/TfjsModel.h>

#include "io/KerasTraining.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace loom {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// model.json holds only the topology and the manifest; InceptionV3's is well under 1 MiB.
constexpr uintmax_t kMaxModelJsonBytes = 256u << 20;
/// No single weight tensor is allowed more elements than this (1 << 32 floats = 16 GiB).
constexpr int64_t kMaxElements = int64_t(1) << 32;

/// One entry of weightsManifest[].weights, checked.
struct WeightSpec {
    std::string name, layer, suffix;
    Shape shape;
    std::string storage;  ///< float32, int32, uint8, uint16 or float16
    double scale = 1.0, min = 0.0;
    size_t bytes = 0;
};

std::string readText(const std::string& path) {
    std::error_code ec;
    uintmax_t size = fs::file_size(path, ec);
    if (ec) {
        throw IoError("cannot read TF.js model '" + path + "': " + ec.message());
    }
    if (size > kMaxModelJsonBytes) {
        throw IoError("TF.js model '" + path + "' is " + std::to_string(size) +
                      " bytes, more than a model.json can reasonably be");
    }
    std::ifstream file(path, std::ios::binary);
    std::string text(static_cast<size_t>(size), '\0');
    if (!file.read(text.data(), static_cast<std::streamsize>(size))) {
        throw IoError("cannot read TF.js model '" + path + "'");
    }
    return text;
}

Shape parseShape(const json& shape, const std::string& name) {
    std::vector<int64_t> dims;
    int64_t numel = 1;
    for (const json& d : shape) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > kMaxElements) {
            throw IoError("weight '" + name + "' has an invalid shape " + jsonExcerpt(shape));
        }
        dims.push_back(d.get<int64_t>());
        numel *= std::max<int64_t>(dims.back(), 1);
        if (numel > kMaxElements) {
            throw IoError("weight '" + name + "' has an absurd shape " + jsonExcerpt(shape));
        }
    }
    return Shape(dims);
}

WeightSpec parseWeight(const json& w) {
    WeightSpec s;
    s.name = w.at("name").get<std::string>();
    size_t slash = s.name.rfind('/');
    if (slash == std::string::npos || slash == 0) {
        throw IoError("weight '" + s.name + "' does not name its layer (layer/weight)");
    }
    s.layer = s.name.substr(0, slash);
    s.suffix = s.name.substr(slash + 1);
    s.shape = parseShape(w.at("shape"), s.name);
    s.storage = w.value("dtype", std::string("float32"));
    if (s.storage != "float32" && s.storage != "int32") {
        throw IoError("weight '" + s.name + "' has dtype '" + s.storage +
                      "' (float32 or int32 expected)");
    }
    if (w.contains("quantization")) {
        const json& q = w["quantization"];
        s.storage = q.at("dtype").get<std::string>();
        if (s.storage == "uint8" || s.storage == "uint16") {
            s.scale = q.at("scale").get<double>();
            s.min = q.at("min").get<double>();
        } else if (s.storage != "float16") {
            throw IoError("weight '" + s.name + "' has quantization dtype '" + s.storage +
                          "' (uint8, uint16 or float16 expected)");
        }
    }
    size_t elementBytes = s.storage == "uint8"                                ? 1
                          : (s.storage == "uint16" || s.storage == "float16") ? 2
                                                                              : 4;
    s.bytes = static_cast<size_t>(s.shape.numel()) * elementBytes;
    return s;
}

/// The group's shards, concatenated, after checking they hold exactly `expected` bytes.
std::vector<unsigned char> readShards(const json& paths, const fs::path& dir, size_t expected) {
    std::vector<fs::path> files;
    std::string names;
    uintmax_t total = 0;
    for (const json& p : paths) {
        fs::path relative = p.get<std::string>();
        // Shards sit beside model.json; a manifest may not point elsewhere on the disk.
        if (relative.is_absolute() ||
            std::find(relative.begin(), relative.end(), "..") != relative.end()) {
            throw IoError("weight shard path '" + relative.string() +
                          "' leaves the model's folder");
        }
        files.push_back(dir / relative);
        names += (names.empty() ? "'" : ", '") + files.back().string() + "'";
        std::error_code ec;
        uintmax_t size = fs::file_size(files.back(), ec);
        if (ec) {
            throw IoError("weight shard '" + files.back().string() +
                          "' cannot be read: " + ec.message());
        }
        total += size;
    }
    if (total != expected) {
        throw IoError("weight shards " + names + " hold " + std::to_string(total) +
                      " bytes, the manifest implies " + std::to_string(expected) + " bytes");
    }
    std::vector<unsigned char> bytes(static_cast<size_t>(total));
    size_t offset = 0;
    for (const fs::path& file : files) {
        std::ifstream in(file, std::ios::binary);
        size_t size = static_cast<size_t>(fs::file_size(file));
        if (!in.read(reinterpret_cast<char*>(bytes.data() + offset),
                     static_cast<std::streamsize>(size))) {
            throw IoError("cannot read weight shard '" + file.string() + "'");
        }
        offset += size;
    }
    return bytes;
}

float halfToFloat(uint16_t h) {
    int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    float sign = (h & 0x8000) ? -1.0f : 1.0f;
    if (exponent == 0) {
        return sign * std::ldexp(static_cast<float>(mantissa), -24);
    }
    if (exponent == 31) {
        return mantissa ? NAN : sign * INFINITY;
    }
    return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}

/// Little-endian unsigned integer of n bytes.
uint32_t readLe(const unsigned char* p, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}

Tensor decode(const WeightSpec& s, const unsigned char* p) {
    std::vector<float> values(static_cast<size_t>(s.shape.numel()));
    for (size_t i = 0; i < values.size(); ++i) {
        if (s.storage == "uint8") {
            values[i] = static_cast<float>(p[i] * s.scale + s.min);
        } else if (s.storage == "uint16") {
            values[i] = static_cast<float>(readLe(p + 2 * i, 2) * s.scale + s.min);
        } else if (s.storage == "float16") {
            values[i] = halfToFloat(static_cast<uint16_t>(readLe(p + 2 * i, 2)));
        } else if (s.storage == "int32") {
            values[i] = static_cast<float>(static_cast<int32_t>(readLe(p + 4 * i, 4)));
        } else {
            uint32_t bits = readLe(p + 4 * i, 4);
            std::memcpy(&values[i], &bits, 4);
        }
    }
    return Tensor::fromVector(s.shape, values);
}

/// Manifests list weights alphabetically; Keras' order puts the kernel before the bias and
/// gamma before beta.
int kerasRank(const std::string& suffix) {
    static const std::vector<std::string> order = {
        "kernel", "depthwise_kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"};
    auto it = std::find(order.begin(), order.end(), suffix);
    return static_cast<int>(it - order.begin());
}

using LayerWeights = std::map<std::string, std::vector<std::pair<std::string, Tensor>>>;

LayerWeights readWeights(const json& manifest, const fs::path& dir) {
    LayerWeights layers;
    for (const json& group : manifest) {
        std::vector<WeightSpec> specs;
        size_t expected = 0;
        for (const json& w : group.at("weights")) {
            specs.push_back(parseWeight(w));
            expected += specs.back().bytes;
        }
        std::vector<unsigned char> bytes = readShards(group.at("paths"), dir, expected);
        size_t offset = 0;
        for (const WeightSpec& s : specs) {
            layers[s.layer].emplace_back(s.suffix, decode(s, bytes.data() + offset));
            offset += s.bytes;
        }
    }
    return layers;
}

void assignAll(KerasModel& model, LayerWeights& layers) {
    for (auto& [layer, weights] : layers) {
        std::stable_sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
            return kerasRank(a.first) < kerasRank(b.first);
        });
        std::vector<Tensor> tensors;
        for (auto& w : weights) {
            tensors.push_back(w.second);
        }
        assignKerasWeights(model, layer, tensors);
    }
    for (const Graph::Node& node : model.graph.nodes()) {
        if (node.layer->parameterCount() > 0 && layers.count(node.layer->name()) == 0) {
            throw IoError("the weights manifest has no weights for " + node.layer->describe());
        }
    }
}

/// What build may create for a model whose shards hold `supplied`: that, or a little more
/// (1 M elements, 4 MB), so that a weight missing from a small model is reported by name when
/// the weights are assigned; a topology asking for more than that is refused before build
/// allocates it (a few edited characters in model.json could ask for any amount of memory).
int64_t parameterBudget(const LayerWeights& supplied) {
    int64_t elements = 0;
    for (const auto& [layer, tensors] : supplied) {
        for (const auto& [name, tensor] : tensors) {
            elements += tensor.numel();
        }
    }
    return std::max<int64_t>(elements, int64_t{1} << 20);
}

KerasModel modelFromJson(const json& root, const std::string& modelJsonPath) {
    const json& topology = root.at("modelTopology");
    KerasModel model = kerasModelFromConfig(
        topology.contains("model_config") ? topology["model_config"] : topology);
    // Read first: each shard is checked against the manifest and the file's size as it is read.
    LayerWeights weights =
        readWeights(root.at("weightsManifest"), fs::path(modelJsonPath).parent_path());
    model.graph.build(0, DType::F32, parameterBudget(weights));
    assignAll(model, weights);
    if (topology.contains("training_config")) {
        model.training = trainingFromKeras(topology["training_config"], model.warnings);
    }
    return model;
}

}  // namespace

KerasModel loadTfjsKerasModel(const std::string& modelJsonPath) {
    const json root = parseJson(readText(modelJsonPath), "TF.js model '" + modelJsonPath + "'");
    try {
        return modelFromJson(root, modelJsonPath);
    } catch (const json::exception& e) {
        throw IoError("TF.js model '" + modelJsonPath + "' is malformed: " + e.what());
    } catch (const Error& e) {
        // Whatever the topology, the manifest or the shards get wrong (a Dense on images, a
        // short shard), the file is named: readModelFile's callers show it as it is.
        throw IoError("TF.js model '" + modelJsonPath + "': " + e.what());
    }
}

Graph loadTfjsModel(const std::string& modelJsonPath) {
    return std::move(loadTfjsKerasModel(modelJsonPath).graph);
}

}  // namespace loom
