#pragma once
/// ONNX import: an ONNX model made of ops Loom has, turned into a built Loom graph holding the
/// model's weights. The first axis of every graph input is the batch; Loom keeps the rest as the
/// per-sample shape. What maps, for opset 6 and later:
///   Conv (2-D, and 1-D run as 2-D over a width of 1; one group -> Conv2D, a group per input
///   channel -> DepthwiseConv2D), with pads that are none, Keras' "same" or anything a
///   ZeroPadding2D in front can give; Gemm and MatMul with constant weights -> Dense; an Add of
///   a constant channel bias right after a Conv / Gemm / MatMul -> its bias; MaxPool and
///   AveragePool (1-D or 2-D); GlobalAveragePool; BatchNormalization (any rank); Relu,
///   Sigmoid, Tanh, Softmax and Clip(0, max) (fused into a Dense or convolution that feeds only
///   them); LeakyRelu, Elu; Flatten at axis 1; Reshape, Squeeze and Unsqueeze that keep the batch
///   axis; Concat; Add and Sum of equal shapes; Pad with zeros on the spatial axes; Dropout,
///   Identity; Constant, and Transpose of constants (PyTorch's Linear without bias).
/// Anything else (an op, an attribute value or a pattern Loom cannot express) throws IoError
/// naming the file, the node and its op type. Sizes from the file are checked before anything
/// is allocated for them: every weight the graph creates matches a tensor the file holds.

#include <loom/Graph.h>
#include <loom/OnnxModel.h>

#include <string>

namespace loom {

/// Reads an .onnx file and converts it.
Graph importOnnx(const std::string& path);

/// Converts a decoded model; source names it in error messages.
Graph graphFromOnnx(const OnnxModel& model, const std::string& source);

}  // namespace loom
