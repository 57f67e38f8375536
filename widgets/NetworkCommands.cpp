#include "NetworkCommands.h"

#include "NetworkModel.h"

#include <algorithm>
#include <set>

namespace loom {

namespace {

/// The id shared by parameter commands, for QUndoStack's merging; any number unique among
/// the document's command kinds.
constexpr int kSetParameterCommandId = 1001;
constexpr int kSetTrainingCommandId = 1002;

QStringList namesOf(const nlohmann::json& layers) {
    QStringList names;
    for (const nlohmann::json& layer : layers) {
        names << QString::fromStdString(layer["name"].get<std::string>());
    }
    return names;
}

}  // namespace

InsertLayersCommand::InsertLayersCommand(NetworkModel& model, nlohmann::json layers,
                                         const QString& text)
    : QUndoCommand(text), m_model(model), m_layers(std::move(layers)) {}

void InsertLayersCommand::redo() {
    m_model.insertLayers(m_layers);
}

void InsertLayersCommand::undo() {
    m_model.eraseLayers(namesOf(m_layers));
}

RemoveLayersCommand::RemoveLayersCommand(NetworkModel& model, const QStringList& names)
    : QUndoCommand(names.size() == 1 ? QObject::tr("Delete %1").arg(names.constFirst())
                                     : QObject::tr("Delete %n layer(s)", nullptr, names.size())),
      m_model(model),
      m_names(names),
      m_layers(nlohmann::json::array()),
      m_outputs(model.explicitOutputs()) {
    std::set<std::string> removed;
    for (const QString& name : names) {
        removed.insert(name.toStdString());
    }
    const nlohmann::json graph = model.graph().toJson();
    for (size_t place = 0; place < graph["layers"].size(); ++place) {
        const nlohmann::json& layer = graph["layers"][place];
        if (removed.count(layer["name"].get<std::string>())) {
            m_layers.push_back(layer);
            m_places.push_back(place);
        }
    }
    for (const Graph::Node& node : model.graph().nodes()) {
        const bool consumes = std::any_of(node.inputs.begin(), node.inputs.end(),
                                          [&](const std::string& in) { return removed.count(in); });
        if (consumes && !removed.count(node.layer->name())) {
            m_consumerInputs.emplace_back(node.layer->name(), node.inputs);
        }
    }
}

void RemoveLayersCommand::redo() {
    m_model.eraseLayers(m_names);
}

void RemoveLayersCommand::undo() {
    m_model.insertLayers(m_layers, m_places);
    for (const auto& [layer, inputs] : m_consumerInputs) {
        m_model.setInputs(layer, inputs);
    }
    m_model.setExplicitOutputs(m_outputs);
}

MoveLayersCommand::MoveLayersCommand(NetworkModel& model, QHash<QString, QPointF> to,
                                     const QString& text)
    : QUndoCommand(text), m_model(model), m_to(std::move(to)) {
    for (auto it = m_to.cbegin(); it != m_to.cend(); ++it) {
        m_from.insert(it.key(), model.position(it.key()));
    }
}

void MoveLayersCommand::redo() {
    m_model.placeLayers(m_to);
}

void MoveLayersCommand::undo() {
    m_model.placeLayers(m_from);
}

SetInputsCommand::SetInputsCommand(NetworkModel& model, std::string layer,
                                   std::vector<std::string> before, std::vector<std::string> after,
                                   const QString& text)
    : QUndoCommand(text),
      m_model(model),
      m_layer(std::move(layer)),
      m_before(std::move(before)),
      m_after(std::move(after)) {}

void SetInputsCommand::redo() {
    m_model.setInputs(m_layer, m_after);
}

void SetInputsCommand::undo() {
    m_model.setInputs(m_layer, m_before);
}

SetParameterCommand::SetParameterCommand(NetworkModel& model, std::string layer,
                                         std::string parameter, nlohmann::json before,
                                         nlohmann::json after)
    : QUndoCommand(QObject::tr("Set %1 of %2")
                       .arg(QString::fromStdString(parameter), QString::fromStdString(layer))),
      m_model(model),
      m_layer(std::move(layer)),
      m_parameter(std::move(parameter)),
      m_before(std::move(before)),
      m_after(std::move(after)) {}

void SetParameterCommand::redo() {
    m_model.applyParameter(m_layer, m_parameter, m_after);
}

void SetParameterCommand::undo() {
    m_model.applyParameter(m_layer, m_parameter, m_before);
}

int SetParameterCommand::id() const {
    return kSetParameterCommandId;
}

bool SetParameterCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const SetParameterCommand*>(other);
    if (next->m_layer != m_layer || next->m_parameter != m_parameter) {
        return false;
    }
    m_after = next->m_after;
    return true;
}

SetTrainingCommand::SetTrainingCommand(NetworkModel& model, std::string layer, LayerTraining before,
                                       LayerTraining after)
    : QUndoCommand(before.trainable != after.trainable
                       ? (after.trainable ? QObject::tr("Unfreeze %1") : QObject::tr("Freeze %1"))
                             .arg(QString::fromStdString(layer))
                       : QObject::tr("Set the learning-rate factor of %1")
                             .arg(QString::fromStdString(layer))),
      m_model(model),
      m_layer(std::move(layer)),
      m_before(before),
      m_after(after) {}

void SetTrainingCommand::redo() {
    m_model.applyTraining(m_layer, m_after);
}

void SetTrainingCommand::undo() {
    m_model.applyTraining(m_layer, m_before);
}

int SetTrainingCommand::id() const {
    return kSetTrainingCommandId;
}

bool SetTrainingCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const SetTrainingCommand*>(other);
    if (next->m_layer != m_layer || next->m_before.trainable != next->m_after.trainable ||
        m_before.trainable != m_after.trainable) {
        return false;
    }
    m_after = next->m_after;
    return true;
}

}  // namespace loom
