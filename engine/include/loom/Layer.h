#pragma once
/// Layer: one node kind of a network. A layer kind lives in one file in engine/layers/: its
/// declaration (LayerKind: type, category, parameters), its shape inference, forward and
/// backward written in Backend ops, and its file formats: how Keras configs and weights and
/// ONNX nodes read and write it (KerasFormat, OnnxFormat), which the importers and exporters
/// reach through the registry. Shapes given to a layer are per sample (no
/// batch axis); tensors carry the batch as their first axis.
///
/// Layers with an "activation" parameter (Dense, Conv2D, Activation) compute the
/// pre-activation; the graph applies the activation after them, so that a loss can fuse with a
/// softmax or sigmoid output and each layer writes activations once.

#include <loom/Backend.h>
#include <loom/Initializer.h>
#include <loom/Params.h>
#include <loom/Registry.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace loom {

class Layer;
class KerasLayerReader;
class KerasLayerWriter;
class OnnxLayerWriter;
class OnnxImporter;
struct OnnxNode;

/// One weight tensor of a layer, with its gradient.
struct Parameter {
    std::string name;  ///< Keras' weight name: kernel, bias, gamma, beta, moving_mean, ...
    Tensor value;
    Tensor grad;  ///< undefined for non-trainable parameters (batch-norm statistics)
    bool trainable = true;
};

/// A Keras layer as Loom reads it: the Loom kind it becomes (not always the kind whose file
/// reads it: Keras' ReLU with a negative slope is Loom's LeakyReLU), its parameters, and the
/// per-sample rank of its output.
struct KerasLayerImport {
    std::string type;
    nlohmann::json params = nlohmann::json::object();
    size_t rank = 1;
};

/// How a layer kind is written to and read from Keras files (io/KerasLayerFormat.h has the
/// reader and writer).
struct KerasFormat {
    std::string className;  ///< Keras class_name, empty when Keras has none
    std::function<KerasLayerImport(const KerasLayerReader&)> read;
    /// Fills the writer's config (name, trainable and dtype are there already).
    std::function<void(KerasLayerWriter&)> write;
    /// The parameters in Keras' weight order, when it is not the order build creates them in.
    std::vector<std::string> weightOrder;
    /// A weight (or an optimizer slot shaped like it) in Keras' layout -> Loom's, checking its
    /// shape against the parameter; null when both are the same.
    std::function<Tensor(const Layer&, const Parameter&, const Tensor&)> weightFromKeras;
    /// Loom's layout -> Keras'; null when both are the same.
    std::function<Tensor(const Layer&, const std::string& parameter, const Tensor&)> weightToKeras;
};

/// Converts one ONNX node into Loom layers (io/OnnxImporter.h).
using OnnxOpConverter = void (*)(OnnxImporter&, const OnnxNode&);

/// How a layer kind is written to and read from ONNX.
struct OnnxFormat {
    /// Writes the layer's nodes (without the activation the graph applies after it); null
    /// when ONNX has no equivalent.
    std::function<void(OnnxLayerWriter&)> write;
    /// The ONNX ops this kind's file converts, each with its converter.
    std::vector<std::pair<std::string, OnnxOpConverter>> readers;
};

/// What a layer kind is, declared once in its file.
struct LayerKind {
    static constexpr const char* registryNoun = "layer type";

    std::string type;      ///< Loom's name: "Dense"
    std::string category;  ///< palette group: Core, Convolution, Pooling, Normalisation, ...
    std::string description;
    std::vector<ParamSpec> params;
    int minInputs = 1;
    int maxInputs = 1;  ///< -1: any number
    /// Output element i is computed from input element i alone (Dropout, the activations),
    /// so a flattened channels_last image keeps its meaning through it.
    bool keepsElementOrder = false;
    KerasFormat keras;
    OnnxFormat onnx;
    std::function<std::unique_ptr<Layer>()> create;
};

using LayerRegistry = Registry<LayerKind>;

/// Everything a forward or backward pass needs besides the tensors.
struct ExecutionContext {
    Backend& backend;
    bool training = false;
    uint64_t seed = 0;  ///< for dropout masks
    uint64_t step = 0;  ///< training step, advances dropout masks
    DType dtype = DType::F32;
    /// In data-parallel training, this rank's batch is the samples from `batchOffset` on of a
    /// global batch of `globalBatch` samples; random masks are drawn for the global batch's
    /// samples, so that N ranks draw what one process would. 0: the batch is the whole batch.
    int64_t batchOffset = 0;
    int64_t globalBatch = 0;
    /// In data-parallel training with synchronised batch normalisation: sums the values over
    /// every rank, in place (each rank calls it alike, in the same order); empty otherwise.
    std::function<void(std::span<float>)> sumOverRanks = {};

    /// t unchanged when it already has this shape and dtype, else freshly allocated. Buffers
    /// are reused across batches this way.
    void ensure(Tensor& t, const Shape& shape) const;
};

/// A parameter as a layer's build declares it: what counting it needs, without its values.
struct ParameterDeclaration {
    std::string name;
    Shape shape;
    bool trainable = true;
};

/// What a layer needs to create its parameters.
struct BuildContext {
    Rng& rng;
    DType dtype = DType::F32;
    /// When set, the parameter elements still allowed; addParameter throws instead of
    /// allocating beyond it (a model read from a file may not claim more than the file holds).
    int64_t* parameterBudget = nullptr;
    /// When set, addParameter only appends each parameter's declaration here: nothing is
    /// allocated or initialised and the layer gains no parameters. For counting weights from
    /// shapes (<loom/LayerCosts.h>), however many there are.
    std::vector<ParameterDeclaration>* declarations = nullptr;
};

class Layer {
public:
    virtual ~Layer() = default;

    const LayerKind& kind() const { return *m_kind; }
    const std::string& type() const { return m_kind->type; }
    const std::string& name() const { return m_name; }
    const ParamSet& params() const { return m_params; }
    ParamSet& params() { return m_params; }

    /// The output shape for these input shapes (per sample); throws ShapeError saying what
    /// is wrong. Called before build and after every parameter change.
    virtual Shape inferShape(const std::vector<Shape>& inputs) const = 0;
    /// Creates the parameters for these (already checked) input shapes.
    virtual void build(const std::vector<Shape>& inputs, BuildContext& ctx);
    /// y = f(x). y may be set to a view of an input (Flatten, Reshape).
    virtual void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) = 0;
    /// Given dy, writes parameter gradients (when trainable) and dx[i] for every i with
    /// needDx[i]; each dx[i] may be allocated with ctx.ensure or set to a view of dy.
    virtual void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor& y,
                          const Tensor& dy, std::vector<Tensor>& dx,
                          const std::vector<bool>& needDx) = 0;

    /// The activation the graph applies after this layer: the "activation" parameter when the
    /// kind declares one, else Linear.
    virtual ActivationKind activation() const;
    /// Its alpha: Keras' defaults (leaky_relu 0.2, elu 1.0, relu6 6) unless a kind overrides it.
    virtual double activationAlpha() const;

    std::vector<Parameter>& parameters() { return m_parameters; }
    const std::vector<Parameter>& parameters() const { return m_parameters; }
    Parameter* findParameter(const std::string& name);
    int64_t parameterCount() const;
    int64_t trainableParameterCount() const;

    /// A frozen layer keeps its weights: no weight gradients, gradients still flow through.
    bool trainable() const { return m_trainable; }
    void setTrainable(bool trainable) { m_trainable = trainable; }
    /// The optimizer's learning rate is multiplied by this for the layer's weights: below 1
    /// for a pretrained base that is fine-tuned, so it changes less than the new head.
    double learningRateFactor() const { return m_learningRateFactor; }
    void setLearningRateFactor(double factor) { m_learningRateFactor = factor; }

    /// Used by the graph when it creates a layer from its registry entry.
    void initialise(const LayerKind& kind, std::string name, const nlohmann::json& params);

    /// "layer 'dense_1' (Dense)", for messages.
    std::string describe() const;

protected:
    /// Adds a parameter initialised on the host with a Keras initialiser, or only declares it
    /// (BuildContext::declarations).
    void addParameter(const std::string& name, const Shape& shape, const std::string& initializer,
                      int64_t fanIn, int64_t fanOut, bool trainable, BuildContext& ctx);
    /// Throws ShapeError naming this layer, the input and what was expected.
    [[noreturn]] void shapeError(const std::string& message) const;
    /// Computes the gradient of a parameter only when this layer trains.
    bool wantsWeightGradients() const { return m_trainable; }

private:
    const LayerKind* m_kind = nullptr;
    std::string m_name;
    ParamSet m_params;
    std::vector<Parameter> m_parameters;
    bool m_trainable = true;
    double m_learningRateFactor = 1.0;
};

/// Registers a layer kind from its own file: `LOOM_REGISTER_LAYER(Dense, makeDenseKind());`
#define LOOM_REGISTER_LAYER(Name, kindExpression)             \
    [[maybe_unused]] static const bool loomRegistered##Name = \
        ::loom::LayerRegistry::instance().add(kindExpression)

/// The common activation parameter spec, shared by layers that take an activation.
ParamSpec activationParamSpec(const std::string& def = "linear");

}  // namespace loom
