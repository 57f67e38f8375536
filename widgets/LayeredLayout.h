#pragma once

#include <loom/Graph.h>

#include <QHash>
#include <QPointF>
#include <QSizeF>
#include <QString>

namespace loom {

/// The tidy layout of a network: each layer goes into the column (left to right) or row (top
/// to bottom) of its depth, the longest path from an input, so every wire points downstream;
/// within a column layers keep the order of the graph and are centred on the main axis.
/// `cell` is the room one node takes including the gap to its neighbours. Layers in a cycle
/// or with dangling inputs go one step past the deepest layer, where they are easy to find.
QHash<QString, QPointF> layeredLayout(const Graph& graph, Qt::Orientation flow, QSizeF cell);

}  // namespace loom
