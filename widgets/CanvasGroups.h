#pragma once
/// How the canvas shows the network's groups (Graph::Node::group): a pretrained base of 150
/// layers is, until opened, one node standing for all of them, so it does not flood the canvas.

#include "NetworkAnalysis.h"

#include <loom/Graph.h>

#include <QPointF>
#include <QSet>
#include <QString>
#include <QStringList>

#include <vector>

namespace loom {

struct CollapsedGroup {
    QString name;
    QStringList members;  ///< in the order the network runs them
    /// The member whose output layers outside the group read (the last member when none
    /// does): the group node stands where it stands and gives its output.
    QString exit;
    QPointF position;
    /// The members' parameters and multiply-adds summed, valid when all are, with the exit's
    /// output shape and the first problem of a member.
    LayerAnalysis summary;
    int weighted = 0;   ///< members with weights
    int trainable = 0;  ///< of those, the ones training changes
};

/// The groups of `graph` not in `expanded`, in the order of their first layers.
std::vector<CollapsedGroup> collapsedGroups(const Graph& graph, const NetworkAnalysis& analysis,
                                            const QSet<QString>& expanded);

/// "154 layers · frozen", "154 layers · 12 of 52 with weights train": the group node's second
/// line.
QString groupDescription(const CollapsedGroup& group);

}  // namespace loom
