// model.summary() in Keras' layout (tf.keras 2.x): a sequential table for plain chains, the
// functional one with a "Connected to" column for networks with branches. The counts come from
// shapes (<loom/LayerCosts.h>), so a validated graph need not be built: summarising a model
// with billions of weights allocates none of them.

#include <loom/Graph.h>
#include <loom/LayerCosts.h>

#include <sstream>

namespace loom {

namespace {

std::string withThousands(int64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (count > 0 && count % 3 == 0 && *it != '-') {
            out.insert(out.begin(), ',');
        }
        out.insert(out.begin(), *it);
        ++count;
    }
    return out;
}

// Keras keeps a linear chain "sequential-like": one Input, one input per layer, one consumer
// each. (The Inputs are counted here: Graph::inputNames is filled by build alone.)
bool isSequential(const Graph& graph) {
    std::vector<int> consumers(graph.nodes().size(), 0);
    int inputLayers = 0;
    for (const Graph::Node& n : graph.nodes()) {
        if (n.inputIndices.size() > 1) {
            return false;
        }
        for (size_t from : n.inputIndices) {
            if (++consumers[from] > 1) {
                return false;
            }
        }
        inputLayers += n.layer->kind().minInputs == 0 ? 1 : 0;
    }
    return inputLayers == 1;
}

// Lays out fields at Keras' column positions: the line opens with a space, each field starts
// at its column and is cut to leave two spaces before the next (print_row in Keras).
std::string row(const std::vector<std::string>& fields, const std::vector<int>& positions) {
    std::string line = " ";
    for (size_t i = 0; i < fields.size(); ++i) {
        const bool last = i + 1 == fields.size();
        const int room = positions[i] - static_cast<int>(line.size()) - (last ? 0 : 2);
        line += fields[i].substr(0, static_cast<size_t>(std::max(room, 0)));
        if (static_cast<int>(line.size()) < positions[i]) {
            line.append(static_cast<size_t>(positions[i]) - line.size(), ' ');
        }
    }
    return line;
}

std::string connections(const Graph& graph, const Graph::Node& n) {
    std::string text;
    for (size_t from : n.inputIndices) {
        text += (text.empty() ? "" : ", ") + graph.nodes()[from].layer->name() + "[0][0]";
    }
    return text;
}

}  // namespace

std::string modelSummary(const Graph& graph, int lineLength) {
    const bool sequential = isSequential(graph);
    const int length = lineLength > 0 ? lineLength : (sequential ? 65 : 98);
    std::vector<double> fractions =
        sequential ? std::vector<double>{.45, .85, 1.} : std::vector<double>{.33, .55, .67, 1.};
    std::vector<int> positions;
    for (double f : fractions) {
        positions.push_back(static_cast<int>(length * f));
    }
    std::vector<std::string> header{"Layer (type)", "Output Shape", "Param #"};
    if (!sequential) {
        header.push_back("Connected to");
    }
    const NetworkCosts costs = networkCosts(graph);
    std::ostringstream out;
    out << "Model: \"" << graph.name() << "\"\n"
        << std::string(length, '_') << "\n"
        << row(header, positions) << "\n"
        << std::string(length, '=') << "\n";
    for (size_t index : graph.order()) {
        const Graph::Node& n = graph.nodes()[index];
        bool isInput = n.inputIndices.empty();
        if (sequential && isInput) {
            continue;  // Keras' Sequential summary has no InputLayer row
        }
        std::string shape = n.outputShape.str("None");
        std::vector<std::string> fields{
            n.layer->name() + " (" + n.layer->type() + ")", isInput ? "[" + shape + "]" : shape,
            std::to_string(costs.layers.at(n.layer->name()).parameters)};
        if (!sequential) {
            fields.push_back(connections(graph, n));
        }
        out << row(fields, positions) << "\n" << std::string(length, ' ') << "\n";
    }
    const int64_t total = costs.total.parameters, trainable = costs.total.trainableParameters;
    out << std::string(length, '=') << "\n"
        << "Total params: " << withThousands(total) << "\n"
        << "Trainable params: " << withThousands(trainable) << "\n"
        << "Non-trainable params: " << withThousands(total - trainable) << "\n"
        << std::string(length, '_') << "\n";
    return out.str();
}

}  // namespace loom
