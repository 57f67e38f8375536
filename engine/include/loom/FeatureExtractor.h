#pragma once
/// FeatureExtractor: a pretrained network cut at chosen inner layers and run on pictures of
/// any size, forward to those layers' activations and backward to the gradient with respect
/// to the picture. It holds the part of the network the layers depend on (Graph::subgraph,
/// sharing the weights), re-made when the picture size changes, with every layer frozen so
/// that no weight gradient is computed.

#include <loom/Graph.h>

#include <string>
#include <vector>

namespace loom {

class FeatureExtractor {
public:
    /// Moves `model`'s weights to the backend's device; `model` must outlive the extractor.
    /// Throws GraphError naming a layer the model does not have.
    FeatureExtractor(Graph& model, std::vector<std::string> layers, Backend& backend);

    /// The activations of the layers (in the constructor's order, on the backend's device)
    /// for one input [1, 3, H, W] in the model's element type, on the host or the device. They
    /// stay valid until the next forward.
    const std::vector<Tensor>& forward(const Tensor& input);

    /// dLoss/d(input) on the backend's device, given dLoss/d(activation) for each layer of the
    /// last forward (same shapes, on the device).
    const Tensor& backward(const std::vector<Tensor>& activationGradients);

    Backend& backend() const { return m_backend; }
    DType dtype() const { return m_dtype; }
    const std::vector<std::string>& layers() const { return m_layers; }

private:
    void prepare(const Shape& inputShape);

    Graph& m_model;
    std::vector<std::string> m_layers;
    Backend& m_backend;
    DType m_dtype = DType::F32;
    Graph m_part;
    Shape m_partInput;
    Tensor m_deviceInput;  ///< the input's copy when it comes from the host
    std::vector<Tensor> m_activations;
};

}  // namespace loom
