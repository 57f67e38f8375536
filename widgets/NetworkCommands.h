#pragma once

#include "NetworkModel.h"

#include <nlohmann/json.hpp>

#include <QHash>
#include <QPointF>
#include <QStringList>
#include <QUndoCommand>

#include <string>
#include <utility>
#include <vector>

namespace loom {

class NetworkModel;

/// The undo commands of a network edit, after Tiled: each stores what it needs to go both ways
/// and changes the graph only through NetworkModel's primitive changes.

/// Adds layers (one dropped from the palette, or a pasted fragment); undo removes them.
class InsertLayersCommand : public QUndoCommand {
public:
    InsertLayersCommand(NetworkModel& model, nlohmann::json layers, const QString& text);
    void redo() override;
    void undo() override;

private:
    NetworkModel& m_model;
    nlohmann::json m_layers;
};

/// Removes layers; undo puts them back with their parameters, positions, the wires into them
/// and the wires out of them into the layers that remain, and the model's outputs.
class RemoveLayersCommand : public QUndoCommand {
public:
    RemoveLayersCommand(NetworkModel& model, const QStringList& names);
    void redo() override;
    void undo() override;

private:
    NetworkModel& m_model;
    QStringList m_names;
    nlohmann::json m_layers;
    std::vector<size_t> m_places;  ///< each removed layer's place in the graph's order
    std::vector<std::pair<std::string, std::vector<std::string>>> m_consumerInputs;
    std::vector<std::string> m_outputs;
};

/// Moves layers (a drag, or the tidy layout).
class MoveLayersCommand : public QUndoCommand {
public:
    MoveLayersCommand(NetworkModel& model, QHash<QString, QPointF> to, const QString& text);
    void redo() override;
    void undo() override;

private:
    NetworkModel& m_model;
    QHash<QString, QPointF> m_from, m_to;
};

/// Replaces a layer's input list: connecting, disconnecting, or replacing the one input of a
/// layer that takes one.
class SetInputsCommand : public QUndoCommand {
public:
    SetInputsCommand(NetworkModel& model, std::string layer, std::vector<std::string> before,
                     std::vector<std::string> after, const QString& text);
    void redo() override;
    void undo() override;

private:
    NetworkModel& m_model;
    std::string m_layer;
    std::vector<std::string> m_before, m_after;
};

/// Sets one parameter of a layer. Successive changes of the same parameter (clicks on a spin
/// box' arrows) merge into one undo step.
class SetParameterCommand : public QUndoCommand {
public:
    SetParameterCommand(NetworkModel& model, std::string layer, std::string parameter,
                        nlohmann::json before, nlohmann::json after);
    void redo() override;
    void undo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    NetworkModel& m_model;
    std::string m_layer, m_parameter;
    nlohmann::json m_before, m_after;
};

/// Freezes, unfreezes or sets the learning-rate factor of one layer; successive edits of the
/// same layer's factor merge into one step.
class SetTrainingCommand : public QUndoCommand {
public:
    SetTrainingCommand(NetworkModel& model, std::string layer, LayerTraining before,
                       LayerTraining after);
    void redo() override;
    void undo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    NetworkModel& m_model;
    std::string m_layer;
    LayerTraining m_before, m_after;
};

}  // namespace loom
