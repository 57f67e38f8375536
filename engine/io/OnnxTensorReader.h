#pragma once
/// Internal: decodes one TensorProto from a protobuf reader positioned on its message; shared by
/// parseOnnxTensor and the model decoder (initializers, tensor attributes).

#include <loom/OnnxModel.h>

#include "io/ProtobufReader.h"

namespace loom {

OnnxTensor readOnnxTensor(ProtobufReader& reader);

}  // namespace loom
