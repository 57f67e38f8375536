#pragma once

#include "NetworkAnalysis.h"

#include <loom/Graph.h>

#include <nlohmann/json.hpp>

#include <QHash>
#include <QObject>
#include <QPointF>
#include <QSizeF>
#include <QStringList>

#include <string>
#include <vector>

class QUndoStack;

namespace loom {

/// Whether a layer's weights change in training, and how fast: its learning rate is the
/// optimizer's times the factor (fine-tuning a pretrained base uses about 0.1).
struct LayerTraining {
    bool trainable = true;
    double learningRateFactor = 1.0;
    bool operator==(const LayerTraining&) const = default;
};

/// NetworkModel: the editable network the canvas, the property editor and the summary observe
/// (QtNodes' "model first, the view observes"). It edits a Graph it does not own (the
/// project's) and puts every edit on an undo stack it does not own (the document's), as one
/// command each. An edit the engine would refuse (an unknown kind, a parameter out of range, a
/// wire into an Input, a cycle) is checked before it is pushed: it leaves the graph as it was
/// and emits editRefused with the reason, so the GUI shows it and never throws.
///
/// The second group of methods are the primitive changes the undo commands apply; views call
/// the edits, never those.
class NetworkModel : public QObject {
    Q_OBJECT

public:
    NetworkModel(Graph& graph, QUndoStack& undoStack, QObject* parent = nullptr);

    const Graph& graph() const { return *m_graph; }
    const NetworkAnalysis& analysis() const { return m_analysis; }
    QUndoStack& undoStack() const { return *m_undoStack; }
    QPointF position(const QString& layer) const;
    bool contains(const QString& layer) const;

    /// Call when the graph was replaced as a whole (a project opened): analyses it again. When
    /// the file named as outputs exactly the layers nobody consumes, that list is dropped so
    /// that the outputs follow the wiring as the person edits.
    void reset();
    /// True when the layers have been placed: not half of them or more on one point, as in graphs
    /// written by hand or imported, or a pretrained base under its new head.
    bool hasLayout() const;

    // Edits: one undo step each.
    /// Adds a layer of this kind with default parameters and a Keras-style name; returns the
    /// name, or an empty string when refused.
    QString addLayer(const QString& type, QPointF position);
    void removeLayers(const QStringList& names);
    void moveLayers(const QHash<QString, QPointF>& positions);
    /// Places every layer by layeredLayout.
    void tidyLayout(Qt::Orientation flow, QSizeF cell);
    /// Wires from's output into to. A layer that takes one input has it replaced.
    bool connectLayers(const QString& from, const QString& to);
    void disconnectLayers(const QString& from, const QString& to);
    bool setParameter(const QString& layer, const QString& parameter, const nlohmann::json& value);
    LayerTraining training(const QString& layer) const;
    /// Freezes or unfreezes a layer and sets its learning-rate factor (0 up to 1e6).
    bool setTraining(const QString& layer, LayerTraining training);
    /// Fine-tuning, one undo step: the layers of `layer`'s group (a pretrained base) from it on,
    /// in the order the network runs them, become trainable at `learningRateFactor` (batch
    /// normalization stays frozen: loom::staysFrozenWhenFineTuned); those before it are frozen.
    /// Layers outside the group (the new head) keep their settings.
    bool fineTuneFrom(const QString& layer, double learningRateFactor);
    /// Adds the layers of a copied fragment (see GraphFragment.h); returns their new names.
    QStringList paste(const nlohmann::json& fragment, QPointF offset);

    // Primitive changes, applied by the undo commands.
    /// Adds layers given in the graph JSON's layer form (name, type, params, inputs,
    /// trainable, position); at, when given, holds each one's place in the graph's order
    /// (ascending), else they are appended.
    void insertLayers(const nlohmann::json& layers, const std::vector<size_t>& at = {});
    void eraseLayers(const QStringList& names);
    void placeLayers(const QHash<QString, QPointF>& positions);
    void setInputs(const std::string& layer, const std::vector<std::string>& inputs);
    void applyParameter(const std::string& layer, const std::string& parameter,
                        const nlohmann::json& value);
    void applyTraining(const std::string& layer, LayerTraining training);
    std::vector<std::string> explicitOutputs() const;
    void setExplicitOutputs(const std::vector<std::string>& outputs);

signals:
    /// Layers, wiring or parameters changed; analysis() is already up to date.
    void changed();
    /// Only positions changed: shapes and counts are as they were.
    void layersMoved();
    void editRefused(const QString& reason);

private:
    void refresh();
    /// Why wiring from into to must not be made, or an empty string.
    QString connectionProblem(const std::string& from, const std::string& to) const;
    bool reaches(const std::string& from, const std::string& to) const;
    bool refuse(const QString& reason);

    Graph* m_graph;
    QUndoStack* m_undoStack;
    NetworkAnalyser m_analyser;
    NetworkAnalysis m_analysis;
};

}  // namespace loom
