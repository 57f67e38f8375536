#pragma once
/// TensorFlow.js layers models: a model.json (Keras topology + weightsManifest) and its binary
/// weight shards, read into a built Loom graph. Weights may be float32, int32, float16 or
/// affine-quantised uint8/uint16 (value = q * scale + min, per tensor); export writes float32.

#include <loom/KerasModel.h>
#include <loom/TrainingConfig.h>

#include <string>

namespace loom {

/// Reads modelJsonPath and the shards its manifest names (relative to it). Every size is
/// checked before anything is allocated; a malformed file, a missing or truncated shard, an
/// unsupported layer or a weight of the wrong shape throws IoError naming what is wrong. The
/// topology's training_config (as tensorflowjs' converter copies it from Keras), when Loom
/// has its optimizer and loss, fills `training`; what it leaves out is in `warnings`.
KerasModel loadTfjsKerasModel(const std::string& modelJsonPath);

/// loadTfjsKerasModel's graph alone, for callers that only run the network.
Graph loadTfjsModel(const std::string& modelJsonPath);

/// Writes a built graph as a TF.js layers model that tf.loadLayersModel reads: modelJsonPath
/// (format "layers-model"; the same Keras topology as exportKerasHdf5, and training_config
/// when `training` is given) and float32 weights in 4 MiB shards beside it, named as the
/// converter names them ("group1-shard1of2.bin"; "<name>-group1-shard1of2.bin" for a model
/// file not called model.json). Each file is written atomically, model.json last. Layers
/// Keras cannot express throw IoError naming them.
void exportTfjsModel(const Graph& graph, const std::string& modelJsonPath,
                     const TrainingConfig* training = nullptr);

}  // namespace loom
