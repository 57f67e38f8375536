#pragma once
/// The check every model load makes on the weights it read. A NaN or an infinite weight means
/// a damaged file (few formats carry a checksum; see README.md) or one saved from a training
/// run that diverged, and makes the network's outputs NaN: loading refuses it, naming the layer
/// and the weight, unless the caller asks to load such a file anyway, to inspect it.

#include <string>

namespace loom {

class Graph;

/// What loading does with weights that are NaN or infinite.
enum class NonFiniteWeights { Refuse, Allow };

/// IoError starting with `source` (the file) and naming the first layer, in the graph's order,
/// with a weight that holds a NaN or an infinity: which weight, where and how many.
void requireFiniteWeights(const Graph& graph, const std::string& source);

}  // namespace loom
