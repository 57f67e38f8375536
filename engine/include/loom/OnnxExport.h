#pragma once
/// ONNX export: a built Loom graph as an ONNX model (opset 13, IR version 8) that the ONNX
/// checker, ONNX Runtime and PyTorch's tools accept. Graph inputs and outputs are named after
/// the Input and output layers and have a symbolic batch dimension "N"; each layer's output
/// tensor is named after the layer; weights are float initializers named "<layer>/<weight>".
/// An activation fused into a layer (Dense, Conv2D) becomes a node of its own after it;
/// Keras-style "same" padding becomes explicit pads; Dropout stays a Dropout node, which
/// inference runs as the identity.

#include <loom/Graph.h>
#include <loom/OnnxModel.h>

#include <string>

namespace loom {

/// The ONNX model of graph, which must be built and hold its parameters on the host. A layer
/// ONNX cannot express throws IoError naming it.
OnnxModel onnxModelFromGraph(const Graph& graph);

/// Writes onnxModelFromGraph(graph) to path atomically (a crash leaves the old file intact).
void exportOnnx(const Graph& graph, const std::string& path);

}  // namespace loom
