#pragma once
// What the Keras file readers (KerasHdf5.cpp, KerasZip.cpp) share: reading weight datasets
// without reading any object twice, building the graph within what the file holds, and
// bringing Keras 1 and Theano kernels into Keras 2's layout before assignKerasWeights.

#include "io/Hdf5File.h"
#include "io/KerasLayerFormat.h"

#include <loom/Error.h>
#include <loom/KerasModel.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace loom {

/// Runs a reader, naming the file in any loom::Error that does not already, as an IoError.
template <typename Read>
auto withFileName(const std::string& path, const Read& read) {
    try {
        return read();
    } catch (const Error& e) {
        std::string message = e.what();
        throw IoError(message.rfind(path, 0) == 0 ? message : path + ": " + message);
    }
}

/// How a file's weights were written, which decides how they become Keras 2's layout.
struct KerasWeightOrigin {
    bool keras1 = false;  ///< Keras 1: a channels_first ('th') Conv2D kernel is OIHW
    bool theano = false;  ///< Theano convolved (flipped kernels) where TensorFlow correlates
};

/// Reads weight datasets and counts their elements. A dataset reached twice (listed twice,
/// or through a second hard link) is refused, so the total read is what the file holds.
class KerasWeightReader {
public:
    explicit KerasWeightReader(const h5::File& file) : m_file(file) {}

    Tensor read(const std::string& datasetPath);
    int64_t elementsRead() const { return m_elements; }

private:
    const h5::File& m_file;
    std::set<std::string> m_seen;
    int64_t m_elements = 0;
};

/// Builds model.graph creating at most `budget` parameter elements (what the file's weights
/// hold), so a config that claims huge layers fails before allocating; IoError on failure.
void buildKerasGraph(KerasModel& model, int64_t budget);

/// Theano padded "same" convolutions and pools differently from TensorFlow (and Loom) unless
/// the kernel is odd and the stride 1; IoError naming the first layer where that matters.
void checkTheanoPadding(const Graph& graph);

/// Brings one layer's weights from origin's layout to Keras 2's, then assignKerasWeights.
void assignKerasLayerWeights(KerasModel& model, const KerasWeightOrigin& origin,
                             const std::string& layerName, std::vector<Tensor> weights);

/// IoError naming the first layer with parameters that is not in `assigned`.
void checkAllAssigned(const Graph& graph, const std::set<std::string>& assigned);

/// Where Keras 3's saving_lib (a .keras archive's model.weights.h5, save_weights' .weights.h5)
/// puts each layer's variables, for the model config's layers in order: (layer name,
/// "/layers/<snake_case class>[_n]/vars"), numbered from the second layer of a class on
/// ("dense", "dense_1", ...).
std::vector<std::pair<std::string, std::string>> keras3VariablePaths(const nlohmann::json& layers);

/// vars/0 .. vars/n-1 of one layer; none when the group is missing.
std::vector<Tensor> readKeras3Variables(const h5::File& file, const std::string& vars,
                                        KerasWeightReader& reader);

/// Dense layer -> the Flatten of an image it reads, through element-wise layers (Dropout):
/// the rows whose order differs between channels_last Keras and Loom. The graph is built.
std::map<std::string, std::string> denseLayersAfterFlatten(const Graph& graph);

}  // namespace loom
