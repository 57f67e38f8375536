// Keras 3 .keras archives (saving_lib.save_model): config.json holds the model and its
// compile_config; model.weights.h5 holds no names, only each layer's variables as
// layers/<snake_case class>[_n]/vars/0, 1, ... in the layer's own order (trainable, then
// non-trainable), the slot names numbered in the order of the model's layers.

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/KerasHdf5.h>

#include "io/KerasTraining.h"
#include "io/KerasWeights.h"
#include "io/ZipArchive.h"

namespace loom {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxConfigBytes = uint64_t{256} << 20;
constexpr uint64_t kMaxWeightsBytes = uint64_t{64} << 30;

KerasModel readArchive(const std::string& path) {
    ZipArchive zip(path);
    const json config = parseJson(zip.read("config.json", kMaxConfigBytes), path + ": config.json");
    if (!zip.contains("model.weights.h5")) {
        throw IoError(path + (zip.contains("model.weights.npz")
                                  ? ": holds its weights as .npz, which Loom does not read"
                                  : ": has no model.weights.h5"));
    }
    h5::File file = h5::File::openImage(zip.read("model.weights.h5", kMaxWeightsBytes),
                                        path + "/model.weights.h5");
    KerasModel model = kerasModelFromConfig(config);
    const json& modelConfig = config.at("config");
    KerasWeightReader reader(file);
    std::vector<std::pair<std::string, std::vector<Tensor>>> layers;
    for (auto& [name, vars] :
         keras3VariablePaths(modelConfig.is_array() ? modelConfig : modelConfig.at("layers"))) {
        std::vector<Tensor> values = readKeras3Variables(file, vars, reader);
        if (!values.empty()) {
            layers.emplace_back(name, std::move(values));
        }
    }
    buildKerasGraph(model, reader.elementsRead());
    std::set<std::string> assigned;
    for (auto& [name, values] : layers) {
        assignKerasLayerWeights(model, KerasWeightOrigin{}, name, std::move(values));
        assigned.insert(name);
    }
    checkAllAssigned(model.graph, assigned);
    if (config.contains("compile_config") && config["compile_config"].is_object()) {
        model.training = trainingFromKeras(config["compile_config"], model.warnings);
    }
    return model;
}

}  // namespace

KerasModel loadKerasZip(const std::string& path) {
    return withFileName(path, [&] {
        try {
            return readArchive(path);
        } catch (const json::exception& e) {
            throw IoError(std::string("config.json is malformed: ") + e.what());
        }
    });
}

}  // namespace loom
