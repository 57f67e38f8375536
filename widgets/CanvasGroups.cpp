#include "CanvasGroups.h"

#include <loom/Layer.h>

#include <QHash>
#include <QObject>

namespace loom {

namespace {

void addMember(CollapsedGroup& group, const Graph::Node& node, const NetworkAnalysis& analysis) {
    group.members << QString::fromStdString(node.layer->name());
    const LayerAnalysis* own = analysis.find(node.layer->name());
    LayerAnalysis& sum = group.summary;
    if (own == nullptr || !own->valid) {
        sum.valid = false;
    }
    if (own != nullptr && sum.problem.empty()) {
        sum.problem = own->problem;
    }
    if (own != nullptr && own->parameters && sum.parameters) {
        *sum.parameters += *own->parameters;
        *sum.multiplyAdds += own->multiplyAdds.value_or(0);
        if (*own->parameters > 0) {
            ++group.weighted;
            group.trainable += node.layer->trainable() ? 1 : 0;
        }
    } else {
        sum.parameters.reset();
    }
}

}  // namespace

std::vector<CollapsedGroup> collapsedGroups(const Graph& graph, const NetworkAnalysis& analysis,
                                            const QSet<QString>& expanded) {
    std::vector<CollapsedGroup> groups;
    QHash<QString, size_t> index;
    QHash<QString, QString> groupOf;
    for (const Graph::Node& node : graph.nodes()) {
        const QString name = QString::fromStdString(node.group);
        if (name.isEmpty() || expanded.contains(name)) {
            continue;
        }
        if (!index.contains(name)) {
            index.insert(name, groups.size());
            CollapsedGroup group;
            group.name = name;
            group.summary.valid = true;
            group.summary.parameters = group.summary.multiplyAdds = 0;
            groups.push_back(group);
        }
        addMember(groups[index.value(name)], node, analysis);
        groupOf.insert(QString::fromStdString(node.layer->name()), name);
    }
    for (const Graph::Node& node : graph.nodes()) {
        const QString reader = groupOf.value(QString::fromStdString(node.layer->name()));
        for (const std::string& input : node.inputs) {
            const QString source = QString::fromStdString(input);
            const QString group = groupOf.value(source);
            if (!group.isEmpty() && group != reader && groups[index.value(group)].exit.isEmpty()) {
                groups[index.value(group)].exit = source;
            }
        }
    }
    for (CollapsedGroup& group : groups) {
        if (group.exit.isEmpty()) {
            group.exit = group.members.last();
        }
        const Graph::Node& exit = graph.node(group.exit.toStdString());
        group.position = QPointF(exit.x, exit.y);
        if (const LayerAnalysis* own = analysis.find(exit.layer->name())) {
            group.summary.outputShape = own->outputShape;
        }
    }
    return groups;
}

QString groupDescription(const CollapsedGroup& group) {
    const QString layers = QObject::tr("%1 layers").arg(group.members.size());
    if (group.weighted == 0) {
        return layers;
    }
    if (group.trainable == 0) {
        return QObject::tr("%1 · frozen").arg(layers);
    }
    return QObject::tr("%1 · %2 of %3 train").arg(layers).arg(group.trainable).arg(group.weighted);
}

}  // namespace loom
