#include "LayeredLayout.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace loom {

namespace {

/// Longest-path depth of every node; nodes that cannot be reached in topological order (a
/// cycle, a dangling input) get -1.
std::vector<int> depths(const Graph& graph) {
    const auto& nodes = graph.nodes();
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < nodes.size(); ++i) {
        index[nodes[i].layer->name()] = i;
    }
    std::vector<int> depth(nodes.size(), -1);
    // Relaxing every node until nothing changes settles the longest paths (at most n rounds);
    // it stays simple and is fast for the few hundred layers of the largest networks. Nodes
    // in or after a cycle keep -1, since one of their inputs always has -1.
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t i = 0; i < nodes.size(); ++i) {
            int deepest = 0;
            bool reachable = true;
            for (const std::string& input : nodes[i].inputs) {
                auto from = index.find(input);
                reachable = reachable && from != index.end() && depth[from->second] >= 0;
                if (reachable) {
                    deepest = std::max(deepest, depth[from->second] + 1);
                }
            }
            const int wanted = reachable ? deepest : -1;
            if (wanted != depth[i]) {
                depth[i] = wanted;
                changed = true;
            }
        }
    }
    return depth;
}

}  // namespace

QHash<QString, QPointF> layeredLayout(const Graph& graph, Qt::Orientation flow, QSizeF cell) {
    std::vector<int> depth = depths(graph);
    const int deepest = depth.empty() ? 0 : *std::max_element(depth.begin(), depth.end());
    std::map<int, std::vector<size_t>> byDepth;
    for (size_t i = 0; i < depth.size(); ++i) {
        byDepth[depth[i] < 0 ? deepest + 1 : depth[i]].push_back(i);
    }
    const bool leftToRight = flow == Qt::Horizontal;
    const double along = leftToRight ? cell.width() : cell.height();
    const double across = leftToRight ? cell.height() : cell.width();
    QHash<QString, QPointF> positions;
    for (const auto& [level, members] : byDepth) {
        const double first = -across * static_cast<double>(members.size() - 1) / 2.0;
        for (size_t k = 0; k < members.size(); ++k) {
            const double main = along * level;
            const double side = first + across * static_cast<double>(k);
            positions.insert(QString::fromStdString(graph.nodes()[members[k]].layer->name()),
                             leftToRight ? QPointF(main, side) : QPointF(side, main));
        }
    }
    return positions;
}

}  // namespace loom
