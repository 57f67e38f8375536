#pragma once
/// Internal: ONNX's protobuf messages, decoded by libonnx's generated classes (the official
/// schema), and the TensorProto conversion shared by parseOnnxTensor and the model decoder
/// (initializers, tensor attributes).

#include <loom/OnnxModel.h>

#include <onnx/onnx_pb.h>

#include <string>
#include <string_view>

namespace loom {

/// Decodes bytes into message; IoError naming context when they are not a valid encoding of
/// it or are more than protobuf's 2 GiB limit.
void decodeProtobuf(google::protobuf::MessageLite& message, std::string_view bytes,
                    const std::string& context);

/// The tensor t holds, its values converted to float32; context names it in errors.
OnnxTensor readOnnxTensor(const onnx::TensorProto& t, const std::string& context);

}  // namespace loom
