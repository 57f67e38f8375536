#pragma once

#include <loom/Graph.h>

#include <nlohmann/json.hpp>

#include <QPointF>
#include <QStringList>

namespace loom {

/// The MIME type of copied layers on the clipboard; the data is a graph fragment as JSON.
inline constexpr char kLayersMimeType[] = "application/x-loom-layers";

/// A copy of the named layers as {"format": "loom-layers", "layers": [...]} in the graph JSON's
/// layer form, keeping only the wires between copied layers: a pasted fragment must not
/// reach back into whatever network it came from.
nlohmann::json copyLayers(const Graph& graph, const QStringList& names);

/// The layers of a fragment ready to add to graph: renamed where a name is taken ("dense" ->
/// "dense_1"), wires renamed with them, moved by offset. Throws GraphError for a fragment
/// that is not one (the clipboard can hold anything).
nlohmann::json layersToPaste(const Graph& graph, const nlohmann::json& fragment, QPointF offset);

}  // namespace loom
