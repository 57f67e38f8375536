// TF.js layers model export: the Keras topology and weights KerasExporter gives, written as
// tensorflowjs' converter writes a Keras model (model.json + float32 weight shards).

#include <loom/Error.h>
#include <loom/TfjsModel.h>
#include <loom/WeightsFile.h>

#include "io/KerasExporter.h"
#include "io/KerasTraining.h"

#include <bit>
#include <filesystem>

namespace loom {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little,
              "TF.js shards are little-endian; writing them needs a byte swap here");

/// tensorflowjs' converter's default shard size, so browsers can cache shards separately.
constexpr size_t kShardBytes = 4u << 20;

/// One manifest group: every weight's entry and their float32 bytes, in manifest order.
struct WeightGroup {
    json entries = json::array();
    std::vector<char> bytes;
};

WeightGroup collectWeights(const KerasExporter& exporter) {
    WeightGroup group;
    for (const Layer* layer : exporter.modelLayers()) {
        for (auto& [weight, value] : exporter.weights(*layer)) {
            const std::vector<float> values = value.toVector();
            group.entries.push_back({{"name", layer->name() + "/" + weight},
                                     {"shape", value.shape().dims()},
                                     {"dtype", "float32"}});
            const char* data = reinterpret_cast<const char*>(values.data());
            group.bytes.insert(group.bytes.end(), data, data + values.size() * sizeof(float));
        }
    }
    return group;
}

/// Shard file names as the converter gives them ("group1-shard1of3.bin"), prefixed with the
/// model file's name when it is not model.json, so two models can share a folder.
std::vector<std::string> shardNames(const fs::path& modelJson, size_t bytes) {
    const size_t count = std::max<size_t>(1, (bytes + kShardBytes - 1) / kShardBytes);
    const std::string stem = modelJson.stem().string();
    const std::string prefix = stem == "model" ? "group1" : stem + "-group1";
    std::vector<std::string> names;
    for (size_t i = 1; i <= count; ++i) {
        names.push_back(prefix + "-shard" + std::to_string(i) + "of" + std::to_string(count) +
                        ".bin");
    }
    return names;
}

}  // namespace

void exportTfjsModel(const Graph& graph, const std::string& modelJsonPath,
                     const TrainingConfig* training) {
    const KerasExporter exporter(graph);
    json topology = {{"keras_version", kKerasVersion},
                     {"backend", kKerasBackend},
                     {"model_config", exporter.modelConfig()}};
    if (training != nullptr) {
        topology["training_config"] = kerasTrainingConfig(*training);
    }
    const WeightGroup weights = collectWeights(exporter);
    const fs::path jsonPath(modelJsonPath);
    const std::vector<std::string> shards = shardNames(jsonPath, weights.bytes.size());
    for (size_t i = 0; i < shards.size(); ++i) {
        const size_t begin = std::min(i * kShardBytes, weights.bytes.size());
        const size_t size = std::min(kShardBytes, weights.bytes.size() - begin);
        writeFileAtomically((jsonPath.parent_path() / shards[i]).string(),
                            std::string_view(weights.bytes.data() + begin, size));
    }
    const json model = {
        {"format", "layers-model"},
        {"generatedBy", std::string("keras v") + kKerasVersion},
        {"convertedBy", std::string("Loom ") + LOOM_VERSION},
        {"modelTopology", topology},
        {"weightsManifest", json::array({{{"paths", shards}, {"weights", weights.entries}}})}};
    // model.json last, so it never names a shard that is not written yet.
    writeFileAtomically(modelJsonPath, model.dump());
}

}  // namespace loom
