#pragma once
/// A network whose first layers are frozen (a pretrained base under a new head) computes the
/// same outputs from them at every epoch: the trainer computes them once per data set and
/// trains the rest on them (Keras' "extract features, then train a classifier" recipe, done
/// for the user). The base is the largest set of layers, from the input on, that training
/// cannot change (no trainable weights, and no Dropout or noise, which act only in training);
/// it can be cut off when only one of its layers feeds the rest.

#include <loom/Graph.h>

#include <string>

namespace loom {

/// The base's last layer, the one whose outputs the rest of the network reads; empty when the
/// network has no such base (nothing frozen, or the base feeds the rest from several layers).
std::string frozenBaseEnd(const Graph& graph);

}  // namespace loom
