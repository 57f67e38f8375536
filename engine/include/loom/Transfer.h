#pragma once
/// Transfer learning: a new classifier made of a pretrained network's feature layers (the base,
/// frozen) and a new head (global average pooling, dropout, a softmax Dense layer), as Keras'
/// `include_top=False` + `trainable=False`; and fine-tuning, which unfreezes the base from a
/// chosen layer on with a smaller learning rate.

#include <loom/Graph.h>
#include <loom/Project.h>

#include <cstdint>
#include <string>

namespace loom {

struct TransferOptions {
    std::string cutAt;              ///< the base's last layer kept; empty: defaultCutLayer
    int64_t height = 0, width = 0;  ///< the input picture's size; 0: the base's own
    int64_t classes = 2;
    double dropout = 0.2;
    std::string group;  ///< the base layers' group name (Graph::Node::group); empty: "base"
};

/// The base's last layer with feature maps ([C, h, w]) larger than 1x1: where its own
/// classifier starts (its pooling to 1x1, tied to the base's input size, is what the new
/// head's global pooling does at any size). Throws GraphError when it has none.
std::string defaultCutLayer(const Graph& base);

/// The smallest picture side the base takes up to `cutAt` (each layer's output at least 1x1),
/// found by trying sides from 8 up; throws ShapeError when none up to the base's own does.
int64_t smallestInputSide(const Graph& base, const std::string& cutAt);

/// A built classifier: `base` (built, with its weights) up to options.cutAt, taking pictures
/// of options.height x width, its layers frozen and in options.group; then the head
/// "features_pool" (GlobalAveragePool2D), "head_dropout" (Dropout) and "predictions" (Dense,
/// softmax, options.classes units), seeded by `seed`. The base's weights are copied.
/// Throws ShapeError when the base cannot take that size, ConfigError for bad options.
Graph transferModel(const Graph& base, const TransferOptions& options, uint64_t seed = 0);

/// A new project around transferModel: the data section `data` (its classes are the head's
/// units, options.classes), Adam at 0.001, batch 32, 5 epochs.
Project transferProject(const Graph& base, const TransferOptions& options,
                        const nlohmann::json& data);

/// A JSON model file's "transfer" section, the model transferModel builds from a fetched
/// network instead of a list of layers: {"base": a name loadPretrainedModel knows,
/// "classes": N, "cut": LAYER (optional), "size": N or [H, W] (optional), "dropout": X
/// (optional)}; the base's layers are grouped under its name. Throws ConfigError for a bad
/// section, IoError when the base is not fetched.
Graph transferModelFromSection(const nlohmann::json& section, uint64_t seed = 0);

/// True for a layer with statistics that training mode would change (batch normalization's
/// moving mean and variance). Fine-tuning leaves such a layer frozen, in inference mode with
/// the statistics the base learnt, as Keras' fine-tuning guide advises: in training mode they
/// would follow the new data's batches and undo what the head learnt (measured on InceptionV3
/// and Fashion-MNIST: 0.826 fell to 0.644 in one epoch).
bool staysFrozenWhenFineTuned(const Layer& layer);

/// Fine-tuning: every weighted layer from `layer` on (in the order the graph runs) becomes
/// trainable with `learningRateFactor` (the head's own layers keep theirs), except those that
/// stay frozen when fine-tuned; layers before it stay frozen. Throws GraphError when there is
/// no such layer.
void unfreezeFrom(Graph& graph, const std::string& layer, double learningRateFactor);

}  // namespace loom
