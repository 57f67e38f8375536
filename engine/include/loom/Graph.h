#pragma once
/// Graph: a network as a DAG of named layers. It is built from code (add) or from JSON, checked
/// as a whole (every node gets a diagnostic; build() throws at the first bad node, in
/// topological order), and run forward and backward in topological order. Weight gradients go
/// into each layer's parameters; the gradient with respect to the inputs is kept when asked.

#include <loom/Layer.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace loom {

struct NodeDiagnostic {
    std::string node;
    std::string message;
};

class Graph {
public:
    struct Node {
        std::unique_ptr<Layer> layer;
        std::vector<std::string> inputs;
        double x = 0, y = 0;  ///< canvas position, kept for the editor
        /// The named group the node belongs to ("" for none): the editor shows a group (a
        /// pretrained base of 300 layers) as one node that opens on request.
        std::string group;
        // Filled by build():
        std::vector<size_t> inputIndices;
        Shape outputShape;
        bool valid = false;
        std::vector<Shape> builtInputShapes;  ///< what the layer's weights were made for
        nlohmann::json builtParams;
        // Filled by forward() / backward():
        Tensor preActivation;  ///< the layer's output before the graph applies its activation
        Tensor output;
        Tensor grad;                     ///< dLoss/d(output)
        Tensor preActivationGrad;        ///< dLoss/d(preActivation), when an activation follows
        std::vector<Tensor> inputGrads;  ///< the layer's dx buffers, reused across batches
    };

    Graph();
    ~Graph();
    Graph(Graph&&) noexcept;
    Graph& operator=(Graph&&) noexcept;

    /// Adds one layer given in the graph JSON's form (name, type, params, inputs, trainable,
    /// learning_rate_factor, group, position); returns its name. GraphError naming `where`.
    std::string addFromJson(const nlohmann::json& layer, std::string where = "layer");
    /// Adds a layer; an empty name gets Keras' style ("dense", "dense_1", ...). Returns the name.
    std::string add(const std::string& type, const std::string& name,
                    const nlohmann::json& params = nlohmann::json::object(),
                    const std::vector<std::string>& inputs = {});
    /// The name add gives a layer of this type when it is given none.
    std::string uniqueName(const std::string& type) const;
    void remove(const std::string& name);
    /// Moves a layer to place `index` of the order layers were added in (the end when past
    /// it), so that a removed layer can be put back where it was.
    void place(const std::string& name, size_t index);
    void connect(const std::string& from, const std::string& to);
    /// Marks which nodes are the model's outputs; by default every node nobody consumes.
    void setOutputs(std::vector<std::string> names);

    /// {"format": "loom-graph", "version": 1, "name": ..., "layers": [{name, type, params,
    /// inputs, trainable, position}], "outputs": [...]}.
    static Graph fromJson(const nlohmann::json& json);
    nlohmann::json toJson() const;

    /// Checks the whole graph without throwing: one diagnostic per bad node (an empty node
    /// name when the problem is the graph's: an output that names no layer). A valid graph's
    /// inputNames() and outputNames() are then up to date, as after build().
    std::vector<NodeDiagnostic> validate();
    /// Validates, then creates every layer's parameters (host, seeded by name and seed).
    /// Throws GraphError or ShapeError at the first bad node. Layers already built keep their
    /// weights when their input shapes are unchanged. parameterBudget, when given, caps the
    /// number of parameter elements created (GraphError before allocating more).
    void build(uint64_t seed = 0, DType dtype = DType::F32,
               std::optional<int64_t> parameterBudget = std::nullopt);
    bool isBuilt() const { return m_built; }

    /// The part of this built graph that computes `outputs`, as a new built graph with those
    /// outputs and with the Input layers named in `inputShapes` re-shaped (per sample). It
    /// shares this graph's weights (no copy), so a pretrained network can run on images of
    /// any size and stop at an inner layer. Throws ShapeError naming the layer whose weights
    /// would have to change shape (a Dense after a Flatten, say).
    Graph subgraph(const std::vector<std::string>& outputs,
                   const std::map<std::string, Shape>& inputShapes = {}) const;

    /// Moves every parameter to the backend's device.
    void moveTo(Backend& backend);

    /// An independent copy: the same layers, wiring, positions and built state, with its own
    /// host copy of every weight (one memcpy per tensor, no re-initialisation), so a training
    /// run can work on it while this graph stays free for editing.
    Graph copy() const;
    /// Moves the weights of `trained` into the layers of this graph that it has with the same
    /// name, type, parameters and input shapes (an edited graph keeps the trained weights of
    /// the layers the edit left alone, even while another layer is half-wired). The graph
    /// counts as built when it is valid and every layer got its weights this way. Returns the
    /// number of layers that took weights.
    size_t takeWeightsFrom(Graph& trained);

    /// Runs the graph on inputs (one per Input node, in the order of inputNames()). Returns the
    /// outputs, in the order of outputNames(); they stay valid until the next forward.
    std::vector<Tensor> forward(ExecutionContext& ctx, const std::vector<Tensor>& inputs);
    /// Runs only the layers after `layer`, given its output (a batch of it): the layers it
    /// depends on are skipped, as when a frozen base's outputs were computed once. Throws
    /// GraphError when a later layer reads one of them other than `layer`.
    std::vector<Tensor> forwardFrom(ExecutionContext& ctx, const std::string& layer,
                                    const Tensor& output);
    /// The layers `layer` depends on, itself included, by node index.
    std::vector<bool> ancestorsOf(const std::string& layer) const;

    /// Seed gradient for one output. preActivation: the gradient is with respect to the
    /// output's pre-activation (a loss fused with its softmax/sigmoid), so the activation's own
    /// backward is skipped.
    struct OutputGradient {
        Tensor grad;
        bool preActivation = false;
    };
    /// Backpropagates from the outputs; fills trainable parameters' gradients and, when
    /// wantInputGradients, inputGradient(i). `afterNode(index)`, when given, is called as each
    /// node's backward ends: its parameters' gradients are then final (what lets data-parallel
    /// training send them while the layers before it still run).
    void backward(ExecutionContext& ctx, const std::vector<OutputGradient>& outputGradients,
                  bool wantInputGradients = false,
                  const std::function<void(size_t node)>& afterNode = nullptr);
    const Tensor& inputGradient(size_t index) const;

    const std::vector<std::string>& inputNames() const { return m_inputNames; }
    const std::vector<std::string>& outputNames() const { return m_outputNames; }
    /// Nodes in topological order (valid after build()).
    const std::vector<size_t>& order() const { return m_order; }
    const std::vector<Node>& nodes() const { return m_nodes; }
    Node& node(const std::string& name);
    const Node& node(const std::string& name) const;
    Layer& layer(const std::string& name) { return *node(name).layer; }
    bool contains(const std::string& name) const;

    int64_t parameterCount() const;
    int64_t trainableParameterCount() const;
    /// Every parameter, "layer/name" with the tensor; for optimizers and files.
    std::vector<std::pair<std::string, Parameter*>> parameters();

    const std::string& name() const { return m_name; }
    void setName(std::string name) { m_name = std::move(name); }

private:
    std::optional<size_t> findNode(const std::string& name) const;
    /// Runs every node but the inputs and those `skipped` marks; returns the outputs.
    std::vector<Tensor> runNodes(ExecutionContext& ctx, const std::vector<bool>& skipped);
    void invalidate() { m_built = false; }
    /// Both collect a diagnostic per bad node; with throwFirst they throw at the first instead.
    std::vector<NodeDiagnostic> sortTopologically(bool throwFirst);
    std::vector<NodeDiagnostic> inferShapes(bool throwFirst);
    void resolveInputsAndOutputs();
    void computeGradientNeeds(bool wantInputGradients);
    void seedOutputGradients(ExecutionContext& ctx, const std::vector<OutputGradient>& grads);
    void backwardNode(ExecutionContext& ctx, size_t index);
    void accumulateGradient(ExecutionContext& ctx, size_t index, const Tensor& grad);

    std::string m_name = "model";
    std::vector<Node> m_nodes;
    std::vector<size_t> m_order;
    std::vector<std::string> m_inputNames;
    std::vector<std::string> m_outputNames;
    std::vector<std::string> m_explicitOutputs;
    std::vector<bool> m_needsGrad;
    std::vector<bool> m_gradSet;
    std::vector<bool> m_gradIsPreActivation;
    bool m_built = false;
};

/// Keras' model.summary() as text: layer (type), output shape, parameter count and, for
/// networks with branches, what each layer is connected to; then the totals.
std::string modelSummary(const Graph& graph, int lineLength = 0);

}  // namespace loom
