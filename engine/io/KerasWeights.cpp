// Shared by the Keras readers: guarded weight reads, a budgeted build, and Keras 1 / Theano
// kernels brought to Keras 2's HWIO cross-correlation layout.

#include "io/KerasWeights.h"
#include "io/KerasNaming.h"

#include <loom/Error.h>

namespace loom {

using nlohmann::json;

namespace {

/// An HWIO kernel turned half a circle in its spatial axes: Theano's convolution with w is
/// TensorFlow's correlation with this.
Tensor flipSpatially(const Tensor& w) {
    const int64_t kh = w.dim(0), kw = w.dim(1), channels = w.dim(2) * w.dim(3);
    std::vector<float> src = w.toVector(), dst(src.size());
    for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
            std::copy_n(&src[((kh - 1 - y) * kw + (kw - 1 - x)) * channels], channels,
                        &dst[(y * kw + x) * channels]);
    return Tensor::fromVector(w.shape(), dst);
}

}  // namespace

Tensor KerasWeightReader::read(const std::string& datasetPath) {
    if (!m_file.isDataset(datasetPath)) {
        throw IoError(m_file.path() + ": weight '" + datasetPath + "' " +
                      (m_file.exists(datasetPath) ? "is not a dataset" : "is missing"));
    }
    if (!m_seen.insert(m_file.objectKey(datasetPath)).second) {
        throw IoError(m_file.path() + ": weight '" + datasetPath +
                      "' is a dataset the file already gave another weight");
    }
    Tensor value = m_file.readTensor(datasetPath);
    m_elements += value.numel();
    return value;
}

void buildKerasGraph(KerasModel& model, int64_t budget) {
    try {
        model.graph.build(0, DType::F32, budget);
    } catch (const Error& e) {
        // A topology Loom's layers reject, or one larger than the file's weights, is a bad file.
        throw IoError(e.what());
    }
}

void checkTheanoPadding(const Graph& graph) {
    for (const Graph::Node& node : graph.nodes()) {
        const Layer& layer = *node.layer;
        const bool conv = layer.type() == "Conv2D";
        const bool pool = layer.type() == "MaxPool2D" || layer.type() == "AveragePool2D";
        if ((!conv && !pool) || layer.params().getString("padding") != "same") {
            continue;
        }
        bool matches = conv;
        if (conv) {
            for (int64_t k : layer.params().getInts("kernel_size")) {
                matches = matches && k % 2 == 1;
            }
            for (int64_t s : layer.params().getInts("strides")) {
                matches = matches && s == 1;
            }
        }
        if (!matches) {
            throw IoError(layer.describe() +
                          ": the file comes from Theano, whose 'same' padding here (an even "
                          "kernel, a stride or a pool) differs from TensorFlow's, which Loom uses");
        }
    }
}

void assignKerasLayerWeights(KerasModel& model, const KerasWeightOrigin& origin,
                             const std::string& layerName, std::vector<Tensor> weights) {
    if (model.graph.contains(layerName) && model.graph.layer(layerName).type() == "Conv2D" &&
        !weights.empty() && weights[0].rank() == 4) {
        if (origin.keras1 && !model.channelsLast) {
            weights[0] = oihwToHwio(weights[0]);
        }
        if (origin.theano) {
            weights[0] = flipSpatially(weights[0]);
        }
    }
    assignKerasWeights(model, layerName, weights);
}

void checkAllAssigned(const Graph& graph, const std::set<std::string>& assigned) {
    for (const Graph::Node& node : graph.nodes()) {
        if (node.layer->parameterCount() > 0 && assigned.count(node.layer->name()) == 0) {
            throw IoError("the file has no weights for " + node.layer->describe());
        }
    }
}

std::map<std::string, std::string> denseLayersAfterFlatten(const Graph& graph) {
    std::map<std::string, std::string> found;
    for (const Graph::Node& node : graph.nodes()) {
        if (node.layer->type() != "Dense" || node.inputs.size() != 1) {
            continue;
        }
        const Graph::Node* from = &graph.node(node.inputs[0]);
        while (from->layer->kind().keepsElementOrder && from->inputs.size() == 1) {
            from = &graph.node(from->inputs[0]);
        }
        if (from->layer->type() == "Flatten" &&
            graph.node(from->inputs.at(0)).outputShape.rank() == 3) {
            found[node.layer->name()] = from->layer->name();
        }
    }
    return found;
}

std::vector<std::pair<std::string, std::string>> keras3VariablePaths(const json& layers) {
    std::vector<std::pair<std::string, std::string>> paths;
    std::map<std::string, int> used;
    for (const json& layer : layers) {
        std::string slot = kerasSnakeCase(layer.at("class_name").get<std::string>());
        auto [it, first] = used.emplace(slot, 0);
        if (!first) {
            slot += "_" + std::to_string(++it->second);
        }
        const json& cfg = layer.at("config");
        std::string name = cfg.value("name", layer.value("name", std::string()));
        paths.emplace_back(std::move(name), "/layers/" + slot + "/vars");
    }
    return paths;
}

std::vector<Tensor> readKeras3Variables(const h5::File& file, const std::string& vars,
                                        KerasWeightReader& reader) {
    std::vector<Tensor> values;
    if (!file.isGroup(vars)) {
        return values;
    }
    const size_t count = file.children(vars).size();
    for (size_t i = 0; i < count; ++i) {
        values.push_back(reader.read(vars + "/" + std::to_string(i)));
    }
    return values;
}

}  // namespace loom
