#pragma once

#include "LayerInspector.h"
#include "TrainingController.h"

namespace loom {

/// What the layer inspector shows of `layer` of a trained model for one sample [1, ...input]:
/// the layer's output for it and a host copy of the layer's kernel. Runs the model's copy, so
/// it belongs on a worker thread; throws what the engine throws (a layer the model lacks).
InspectedLayer inspectLayer(TrainedModel& model, const Tensor& sample, const QString& layer);

/// The layers of a trained model the inspector offers, in the order the network runs: every
/// layer but its inputs.
QStringList inspectableLayers(const Graph& graph);

/// The layer an embedding shows first: the last before the output that is not a Dropout (the
/// features the classifier separates), else the output.
QString defaultEmbeddingLayer(const Graph& graph);

}  // namespace loom
