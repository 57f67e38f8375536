#include "NetworkModel.h"

#include "GraphFragment.h"
#include "LayeredLayout.h"
#include "NetworkCommands.h"

#include <loom/Error.h>
#include <loom/Layer.h>
#include <loom/Transfer.h>

#include <QUndoStack>

#include <algorithm>
#include <exception>
#include <map>
#include <set>

namespace loom {

namespace {

std::vector<std::string> unconsumedLayers(const Graph& graph) {
    std::set<std::string> consumed;
    for (const Graph::Node& node : graph.nodes()) {
        consumed.insert(node.inputs.begin(), node.inputs.end());
    }
    std::vector<std::string> names;
    for (const Graph::Node& node : graph.nodes()) {
        if (!consumed.count(node.layer->name())) {
            names.push_back(node.layer->name());
        }
    }
    return names;
}

}  // namespace

NetworkModel::NetworkModel(Graph& graph, QUndoStack& undoStack, QObject* parent)
    : QObject(parent), m_graph(&graph), m_undoStack(&undoStack) {
    m_analysis = m_analyser.analyse(*m_graph);
}

QPointF NetworkModel::position(const QString& layer) const {
    const Graph::Node& node = m_graph->node(layer.toStdString());
    return {node.x, node.y};
}

bool NetworkModel::contains(const QString& layer) const {
    return m_graph->contains(layer.toStdString());
}

void NetworkModel::reset() {
    std::vector<std::string> outputs = explicitOutputs();
    std::vector<std::string> unconsumed = unconsumedLayers(*m_graph);
    std::sort(outputs.begin(), outputs.end());
    std::sort(unconsumed.begin(), unconsumed.end());
    if (!outputs.empty() && outputs == unconsumed) {
        m_graph->setOutputs({});
    }
    refresh();
}

bool NetworkModel::hasLayout() const {
    // Half the layers or more on one spot were never placed: an imported model, or a pretrained
    // base (all at the origin) under a new head placed below it.
    std::map<std::pair<double, double>, size_t> layersAt;
    size_t mostOnOneSpot = 0;
    for (const Graph::Node& node : m_graph->nodes()) {
        mostOnOneSpot = std::max(mostOnOneSpot, ++layersAt[{node.x, node.y}]);
    }
    return mostOnOneSpot < 2 || mostOnOneSpot * 2 < m_graph->nodes().size();
}

QString NetworkModel::addLayer(const QString& type, QPointF position) {
    const LayerKind* kind = LayerRegistry::instance().tryFind(type.toStdString());
    if (kind == nullptr) {
        refuse(tr("There is no layer kind '%1'.").arg(type));
        return {};
    }
    // The Keras-style name Graph::add would give, known before the command adds the layer.
    const std::string name = m_graph->uniqueName(kind->type);
    nlohmann::json layer = {{"name", name},
                            {"type", kind->type},
                            {"params", nlohmann::json::object()},
                            {"inputs", nlohmann::json::array()},
                            {"position", {position.x(), position.y()}}};
    m_undoStack->push(new InsertLayersCommand(*this, nlohmann::json::array({layer}),
                                              tr("Add %1").arg(QString::fromStdString(name))));
    return QString::fromStdString(name);
}

void NetworkModel::removeLayers(const QStringList& names) {
    QStringList present;
    for (const QString& name : names) {
        if (contains(name)) {
            present << name;
        }
    }
    if (!present.isEmpty()) {
        m_undoStack->push(new RemoveLayersCommand(*this, present));
    }
}

void NetworkModel::moveLayers(const QHash<QString, QPointF>& positions) {
    QHash<QString, QPointF> moved;
    for (auto it = positions.cbegin(); it != positions.cend(); ++it) {
        if (contains(it.key()) && position(it.key()) != it.value()) {
            moved.insert(it.key(), it.value());
        }
    }
    if (!moved.isEmpty()) {
        m_undoStack->push(new MoveLayersCommand(*this, moved, tr("Move")));
    }
}

void NetworkModel::tidyLayout(Qt::Orientation flow, QSizeF cell) {
    m_undoStack->push(
        new MoveLayersCommand(*this, layeredLayout(*m_graph, flow, cell), tr("Tidy layout")));
}

bool NetworkModel::connectLayers(const QString& from, const QString& to) {
    const std::string source = from.toStdString(), target = to.toStdString();
    if (QString problem = connectionProblem(source, target); !problem.isEmpty()) {
        return refuse(problem);
    }
    const Graph::Node& node = m_graph->node(target);
    std::vector<std::string> after = node.inputs;
    if (node.layer->kind().maxInputs == 1) {
        after.clear();
    }
    after.push_back(source);
    m_undoStack->push(new SetInputsCommand(*this, target, node.inputs, after,
                                           tr("Connect %1 to %2").arg(from, to)));
    return true;
}

void NetworkModel::disconnectLayers(const QString& from, const QString& to) {
    if (!contains(from) || !contains(to)) {
        return;
    }
    const std::string target = to.toStdString();
    std::vector<std::string> after = m_graph->node(target).inputs;
    auto wire = std::find(after.begin(), after.end(), from.toStdString());
    if (wire == after.end()) {
        return;
    }
    after.erase(wire);
    m_undoStack->push(new SetInputsCommand(*this, target, m_graph->node(target).inputs, after,
                                           tr("Disconnect %1 from %2").arg(from, to)));
}

bool NetworkModel::setParameter(const QString& layer, const QString& parameter,
                                const nlohmann::json& value) {
    if (!contains(layer)) {
        return refuse(tr("There is no layer '%1'.").arg(layer));
    }
    const ParamSet& params = m_graph->node(layer.toStdString()).layer->params();
    const std::string name = parameter.toStdString();
    try {
        // A copy takes the value first: the engine's own validation, with its message.
        ParamSet checked = params;
        checked.set(name, value);
        if (checked.toJson()[name] == params.toJson()[name]) {
            return true;
        }
        m_undoStack->push(new SetParameterCommand(*this, layer.toStdString(), name,
                                                  params.toJson()[name], checked.toJson()[name]));
    } catch (const std::exception& e) {
        return refuse(QString::fromUtf8(e.what()));
    }
    return true;
}

LayerTraining NetworkModel::training(const QString& layer) const {
    const Layer& shown = *m_graph->node(layer.toStdString()).layer;
    return {shown.trainable(), shown.learningRateFactor()};
}

bool NetworkModel::setTraining(const QString& layer, LayerTraining training) {
    if (!contains(layer)) {
        return refuse(tr("There is no layer '%1'.").arg(layer));
    }
    if (!(training.learningRateFactor >= 0 && training.learningRateFactor <= 1e6)) {
        return refuse(tr("A learning-rate factor goes from 0 (no change) to 1e6."));
    }
    const LayerTraining before = this->training(layer);
    if (training != before) {
        m_undoStack->push(new SetTrainingCommand(*this, layer.toStdString(), before, training));
    }
    return true;
}

bool NetworkModel::fineTuneFrom(const QString& layer, double learningRateFactor) {
    if (!contains(layer)) {
        return refuse(tr("There is no layer '%1'.").arg(layer));
    }
    const std::string group = m_graph->node(layer.toStdString()).group;
    if (group.empty()) {
        return refuse(tr("%1 belongs to no group (a pretrained base) to fine-tune.").arg(layer));
    }
    if (!(learningRateFactor >= 0 && learningRateFactor <= 1e6)) {
        return refuse(tr("A learning-rate factor goes from 0 (no change) to 1e6."));
    }
    std::vector<std::pair<QString, LayerTraining>> changes;
    bool reached = false;
    for (const Graph::Node& node : m_graph->nodes()) {
        const QString name = QString::fromStdString(node.layer->name());
        reached = reached || name == layer;
        const LayerTraining wanted = reached && !staysFrozenWhenFineTuned(*node.layer)
                                         ? LayerTraining{true, learningRateFactor}
                                         : LayerTraining{false, 1.0};
        if (node.group == group && training(name) != wanted) {
            changes.emplace_back(name, wanted);
        }
    }
    if (!changes.empty()) {
        m_undoStack->beginMacro(
            tr("Fine-tune %1 from %2").arg(QString::fromStdString(group), layer));
        for (const auto& [name, wanted] : changes) {
            setTraining(name, wanted);
        }
        m_undoStack->endMacro();
    }
    return true;
}

QStringList NetworkModel::paste(const nlohmann::json& fragment, QPointF offset) {
    try {
        nlohmann::json layers = layersToPaste(*m_graph, fragment, offset);
        if (layers.empty()) {
            return {};
        }
        // Reading the result as a graph checks kinds and parameters before anything changes.
        nlohmann::json check = m_graph->toJson();
        check["layers"].insert(check["layers"].end(), layers.begin(), layers.end());
        Graph::fromJson(check);
        QStringList names;
        for (const nlohmann::json& layer : layers) {
            names << QString::fromStdString(layer["name"].get<std::string>());
        }
        m_undoStack->push(new InsertLayersCommand(*this, std::move(layers),
                                                  tr("Paste %n layer(s)", nullptr, names.size())));
        return names;
    } catch (const std::exception& e) {
        refuse(tr("Cannot paste: %1").arg(QString::fromUtf8(e.what())));
        return {};
    }
}

void NetworkModel::insertLayers(const nlohmann::json& layers, const std::vector<size_t>& at) {
    for (size_t i = 0; i < layers.size(); ++i) {
        const std::string name = m_graph->addFromJson(layers[i]);
        if (i < at.size()) {
            m_graph->place(name, at[i]);
        }
    }
    refresh();
}

void NetworkModel::eraseLayers(const QStringList& names) {
    for (const QString& name : names) {
        m_graph->remove(name.toStdString());
    }
    refresh();
}

void NetworkModel::placeLayers(const QHash<QString, QPointF>& positions) {
    for (auto it = positions.cbegin(); it != positions.cend(); ++it) {
        Graph::Node& node = m_graph->node(it.key().toStdString());
        node.x = it.value().x();
        node.y = it.value().y();
    }
    emit layersMoved();
}

void NetworkModel::setInputs(const std::string& layer, const std::vector<std::string>& inputs) {
    m_graph->node(layer).inputs = inputs;
    refresh();
}

void NetworkModel::applyParameter(const std::string& layer, const std::string& parameter,
                                  const nlohmann::json& value) {
    m_graph->node(layer).layer->params().set(parameter, value);
    refresh();
}

void NetworkModel::applyTraining(const std::string& layer, LayerTraining training) {
    Layer& changed = *m_graph->node(layer).layer;
    changed.setTrainable(training.trainable);
    changed.setLearningRateFactor(training.learningRateFactor);
    refresh();
}

std::vector<std::string> NetworkModel::explicitOutputs() const {
    return m_graph->toJson().value("outputs", std::vector<std::string>{});
}

void NetworkModel::setExplicitOutputs(const std::vector<std::string>& outputs) {
    m_graph->setOutputs(outputs);
    refresh();
}

void NetworkModel::refresh() {
    m_analysis = m_analyser.analyse(*m_graph);
    emit changed();
}

QString NetworkModel::connectionProblem(const std::string& from, const std::string& to) const {
    if (!m_graph->contains(from) || !m_graph->contains(to)) {
        return tr("Both ends of a wire must be layers of the network.");
    }
    if (from == to) {
        return tr("A layer cannot take its own output.");
    }
    const Graph::Node& target = m_graph->node(to);
    if (target.layer->kind().maxInputs == 0) {
        return tr("%1 is an Input layer: it takes no inputs.").arg(QString::fromStdString(to));
    }
    if (std::find(target.inputs.begin(), target.inputs.end(), from) != target.inputs.end()) {
        return tr("%1 already feeds %2.")
            .arg(QString::fromStdString(from), QString::fromStdString(to));
    }
    if (reaches(to, from)) {
        return tr("Wiring %1 into %2 would make a cycle.")
            .arg(QString::fromStdString(from), QString::fromStdString(to));
    }
    return {};
}

bool NetworkModel::reaches(const std::string& from, const std::string& to) const {
    std::vector<std::string> pending{from};
    std::set<std::string> seen;
    while (!pending.empty()) {
        const std::string current = pending.back();
        pending.pop_back();
        if (current == to) {
            return true;
        }
        if (!seen.insert(current).second) {
            continue;
        }
        for (const Graph::Node& node : m_graph->nodes()) {
            const auto& inputs = node.inputs;
            if (std::find(inputs.begin(), inputs.end(), current) != inputs.end()) {
                pending.push_back(node.layer->name());
            }
        }
    }
    return false;
}

bool NetworkModel::refuse(const QString& reason) {
    emit editRefused(reason);
    return false;
}

}  // namespace loom
