#include <loom/Error.h>
#include <loom/Graph.h>

#include <algorithm>
#include <cctype>
#include <functional>

namespace loom {

namespace {

// Keras' automatic names: "Conv2D" -> "conv2d", "BatchNormalization" -> "batch_normalization".
std::string snakeCase(const std::string& type) {
    std::string out;
    for (size_t i = 0; i < type.size(); ++i) {
        char c = type[i];
        if (std::isupper(static_cast<unsigned char>(c)) && i > 0 &&
            std::islower(static_cast<unsigned char>(type[i - 1]))) {
            out += '_';
        }
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

void checkName(const std::string& name) {
    if (name.empty() || name.size() > 200) {
        throw GraphError("a layer name must have 1 to 200 characters");
    }
    for (char c : name) {
        if (std::iscntrl(static_cast<unsigned char>(c)) || c == '/') {
            throw GraphError("layer name '" + name + "' contains '/' or a control character");
        }
    }
}

}  // namespace

Graph::Graph() = default;
Graph::~Graph() = default;
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;

std::optional<size_t> Graph::findNode(const std::string& name) const {
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        if (m_nodes[i].layer->name() == name) {
            return i;
        }
    }
    return std::nullopt;
}

bool Graph::contains(const std::string& name) const {
    return findNode(name).has_value();
}

Graph::Node& Graph::node(const std::string& name) {
    if (auto i = findNode(name)) {
        return m_nodes[*i];
    }
    throw GraphError("no layer named '" + name + "' in the graph");
}

const Graph::Node& Graph::node(const std::string& name) const {
    return const_cast<Graph*>(this)->node(name);
}

std::string Graph::uniqueName(const std::string& type) const {
    std::string base = snakeCase(type);
    if (!contains(base)) {
        return base;
    }
    for (int i = 1;; ++i) {
        std::string candidate = base + "_" + std::to_string(i);
        if (!contains(candidate)) {
            return candidate;
        }
    }
}

std::string Graph::add(const std::string& type, const std::string& name,
                       const nlohmann::json& params, const std::vector<std::string>& inputs) {
    const LayerKind& kind = LayerRegistry::instance().find(type);
    std::string layerName = name.empty() ? uniqueName(type) : name;
    checkName(layerName);
    if (contains(layerName)) {
        throw GraphError("the graph already has a layer named '" + layerName + "'");
    }
    Node node;
    node.layer = kind.create();
    node.layer->initialise(kind, layerName, params);
    node.inputs = inputs;
    m_nodes.push_back(std::move(node));
    invalidate();
    return layerName;
}

void Graph::remove(const std::string& name) {
    auto index = findNode(name);
    if (!index) {
        throw GraphError("cannot remove '" + name + "': no such layer");
    }
    m_nodes.erase(m_nodes.begin() + static_cast<std::ptrdiff_t>(*index));
    for (Node& n : m_nodes) {
        std::erase(n.inputs, name);
    }
    std::erase(m_explicitOutputs, name);
    invalidate();
}

void Graph::place(const std::string& name, size_t index) {
    auto from = findNode(name);
    if (!from) {
        throw GraphError("cannot place '" + name + "': no such layer");
    }
    const auto begin = m_nodes.begin();
    const size_t to = std::min(index, m_nodes.size() - 1);
    if (to < *from) {
        std::rotate(begin + static_cast<std::ptrdiff_t>(to),
                    begin + static_cast<std::ptrdiff_t>(*from),
                    begin + static_cast<std::ptrdiff_t>(*from) + 1);
    } else {
        std::rotate(begin + static_cast<std::ptrdiff_t>(*from),
                    begin + static_cast<std::ptrdiff_t>(*from) + 1,
                    begin + static_cast<std::ptrdiff_t>(to) + 1);
    }
    invalidate();
}

void Graph::connect(const std::string& from, const std::string& to) {
    if (!contains(from)) {
        throw GraphError("cannot connect from '" + from + "': no such layer");
    }
    node(to).inputs.push_back(from);
    invalidate();
}

void Graph::setOutputs(std::vector<std::string> names) {
    m_explicitOutputs = std::move(names);
    invalidate();
}

std::vector<NodeDiagnostic> Graph::sortTopologically(bool throwFirst) {
    std::vector<NodeDiagnostic> problems;
    auto report = [&](const Node& n, const std::string& message) {
        if (throwFirst) {
            throw GraphError(n.layer->describe() + ": " + message);
        }
        problems.push_back({n.layer->name(), message});
    };
    const size_t count = m_nodes.size();
    std::vector<std::vector<size_t>> consumers(count);
    std::vector<size_t> pending(count, 0);
    for (size_t i = 0; i < count; ++i) {
        Node& n = m_nodes[i];
        n.inputIndices.clear();
        const LayerKind& kind = n.layer->kind();
        int inputs = static_cast<int>(n.inputs.size());
        if (inputs < kind.minInputs || (kind.maxInputs >= 0 && inputs > kind.maxInputs)) {
            std::string expected =
                kind.maxInputs < 0 ? "at least " + std::to_string(kind.minInputs)
                : kind.minInputs == kind.maxInputs
                    ? std::to_string(kind.minInputs)
                    : std::to_string(kind.minInputs) + " to " + std::to_string(kind.maxInputs);
            report(n, "takes " + expected + " input(s) but has " + std::to_string(inputs));
        }
        for (const std::string& input : n.inputs) {
            auto from = findNode(input);
            if (!from) {
                report(n, "its input '" + input + "' does not exist (dangling input)");
                continue;
            }
            n.inputIndices.push_back(*from);
            consumers[*from].push_back(i);
            ++pending[i];
        }
    }
    m_order.clear();
    std::vector<size_t> ready;
    for (size_t i = 0; i < count; ++i) {
        if (pending[i] == 0) {
            ready.push_back(i);
        }
    }
    // Lowest index first keeps the order stable: the order layers were added in.
    while (!ready.empty()) {
        auto lowest = std::min_element(ready.begin(), ready.end());
        size_t i = *lowest;
        ready.erase(lowest);
        m_order.push_back(i);
        for (size_t c : consumers[i]) {
            if (--pending[c] == 0) {
                ready.push_back(c);
            }
        }
    }
    if (m_order.size() != count) {
        std::string members;
        for (size_t i = 0; i < count; ++i) {
            if (pending[i] > 0) {
                members += (members.empty() ? "" : ", ") + m_nodes[i].layer->name();
            }
        }
        for (size_t i = 0; i < count; ++i) {
            if (pending[i] > 0) {
                report(m_nodes[i], "is part of a cycle (layers involved: " + members + ")");
            }
        }
    }
    return problems;
}

std::vector<NodeDiagnostic> Graph::inferShapes(bool throwFirst) {
    std::vector<NodeDiagnostic> problems;
    for (Node& n : m_nodes) {
        n.valid = false;
    }
    for (size_t index : m_order) {
        Node& n = m_nodes[index];
        std::vector<Shape> inputShapes;
        bool inputsValid = true;
        for (size_t from : n.inputIndices) {
            inputsValid = inputsValid && m_nodes[from].valid;
            inputShapes.push_back(m_nodes[from].outputShape);
        }
        const LayerKind& kind = n.layer->kind();
        const int count = static_cast<int>(n.inputs.size());
        const bool countFits =
            count >= kind.minInputs && (kind.maxInputs < 0 || count <= kind.maxInputs);
        if (!inputsValid || n.inputIndices.size() != n.inputs.size() || !countFits) {
            continue;  // the bad input or input count already has its own diagnostic
        }
        try {
            n.outputShape = n.layer->inferShape(inputShapes);
            n.valid = true;
        } catch (const Error& e) {
            if (throwFirst) {
                throw;
            }
            problems.push_back({n.layer->name(), e.what()});
        }
    }
    return problems;
}

void Graph::resolveInputsAndOutputs() {
    m_inputNames.clear();
    m_outputNames.clear();
    std::vector<bool> consumed(m_nodes.size(), false);
    for (const Node& n : m_nodes) {
        for (size_t from : n.inputIndices) {
            consumed[from] = true;
        }
        if (n.layer->kind().minInputs == 0) {
            m_inputNames.push_back(n.layer->name());
        }
    }
    for (const std::string& name : m_explicitOutputs) {
        if (!contains(name)) {
            throw GraphError("the output '" + name + "' is not a layer of the graph");
        }
        m_outputNames.push_back(name);
    }
    for (size_t i = 0; m_explicitOutputs.empty() && i < m_nodes.size(); ++i) {
        if (!consumed[i]) {
            m_outputNames.push_back(m_nodes[i].layer->name());
        }
    }
}

std::vector<NodeDiagnostic> Graph::validate() {
    std::vector<NodeDiagnostic> problems = sortTopologically(false);
    if (m_order.size() == m_nodes.size()) {
        std::vector<NodeDiagnostic> shapeProblems = inferShapes(false);
        problems.insert(problems.end(), shapeProblems.begin(), shapeProblems.end());
    }
    if (problems.empty()) {
        try {
            resolveInputsAndOutputs();
        } catch (const GraphError& e) {
            problems.push_back({"", e.what()});
        }
    }
    return problems;
}

void Graph::build(uint64_t seed, DType dtype, std::optional<int64_t> parameterBudget) {
    if (m_nodes.empty()) {
        throw GraphError("the graph has no layers");
    }
    sortTopologically(true);
    inferShapes(true);
    resolveInputsAndOutputs();
    if (m_inputNames.empty()) {
        throw GraphError("the graph has no Input layer");
    }
    for (size_t index : m_order) {
        Node& n = m_nodes[index];
        std::vector<Shape> inputShapes;
        for (size_t from : n.inputIndices) {
            inputShapes.push_back(m_nodes[from].outputShape);
        }
        nlohmann::json params = n.layer->params().toJson();
        bool sameDType =
            n.layer->parameters().empty() || n.layer->parameters().front().value.dtype() == dtype;
        const bool wasBuilt = !n.builtParams.is_null();
        if (wasBuilt && inputShapes == n.builtInputShapes && params == n.builtParams && sameDType) {
            continue;
        }
        // Each layer's seed depends on its name only, so adding a layer elsewhere does not
        // change the initial weights of the others.
        Rng rng(seed ^ stableHash(n.layer->name()));
        BuildContext ctx{rng, dtype, parameterBudget ? &*parameterBudget : nullptr};
        n.layer->build(inputShapes, ctx);
        n.builtInputShapes = std::move(inputShapes);
        n.builtParams = std::move(params);
    }
    m_built = true;
}

void Graph::moveTo(Backend& backend) {
    for (Node& n : m_nodes) {
        for (Parameter& p : n.layer->parameters()) {
            if (p.value.device() == backend.device()) {
                continue;
            }
            Tensor moved = backend.allocate(p.value.shape(), p.value.dtype());
            backend.copy(p.value, moved);
            p.value = std::move(moved);
            p.grad = Tensor();
        }
        n.preActivation = n.output = n.grad = n.preActivationGrad = Tensor();
        n.inputGrads.clear();
    }
}

int64_t Graph::parameterCount() const {
    int64_t total = 0;
    for (const Node& n : m_nodes) {
        total += n.layer->parameterCount();
    }
    return total;
}

int64_t Graph::trainableParameterCount() const {
    int64_t total = 0;
    for (const Node& n : m_nodes) {
        total += n.layer->trainableParameterCount();
    }
    return total;
}

std::vector<std::pair<std::string, Parameter*>> Graph::parameters() {
    std::vector<std::pair<std::string, Parameter*>> all;
    for (size_t index : m_order) {
        Layer& layer = *m_nodes[index].layer;
        for (Parameter& p : layer.parameters()) {
            all.emplace_back(layer.name() + "/" + p.name, &p);
        }
    }
    return all;
}

}  // namespace loom
