#pragma once
/// TensorFlow.js layers models: a model.json (Keras topology + weightsManifest) and its binary
/// weight shards, read into a built Loom graph. Weights may be float32, int32, float16 or
/// affine-quantised uint8/uint16 (value = q * scale + min, per tensor).

#include <loom/KerasModel.h>

#include <string>

namespace loom {

/// Reads modelJsonPath and the shards its manifest names (relative to it). Every size is
/// checked before anything is allocated; a malformed file, a missing or truncated shard, an
/// unsupported layer or a weight of the wrong shape throws IoError naming what is wrong.
Graph loadTfjsModel(const std::string& modelJsonPath);

}  // namespace loom
