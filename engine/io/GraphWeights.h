#pragma once
/// A graph's weights inside an HDF5 group: one subgroup per layer, one dataset per parameter
/// (group/dense/kernel). Shared by weights files and project files.

#include "io/Hdf5File.h"

#include <loom/Graph.h>

#include <string>

namespace loom {

void writeGraphWeights(const Graph& graph, h5::File& file, const std::string& group);
/// Throws IoError naming the file, the layer and what does not match the model.
void readGraphWeights(Graph& graph, const h5::File& file, const std::string& group);

}  // namespace loom
