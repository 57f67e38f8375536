#pragma once
// The harness behind TestOnnxConformance: the values an ONNX test case's node reads (its
// initializers, Constant nodes and the data set's input files), a Loom graph built for the case
// through loom::Graph, and the small tensor helpers the op mappings share. Header-only because
// each engine test suite is one source file.

#include <loom/Backend.h>
#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/OnnxModel.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loom::conformance {

/// Thrown by a mapping when a case cannot be expressed in Loom. category groups the skip
/// table; detail names what this case has that Loom cannot take.
struct Unsupported {
    std::string category;
    std::string detail;
};

[[noreturn]] inline void unsupported(std::string category, std::string detail) {
    throw Unsupported{std::move(category), std::move(detail)};
}

/// One output Loom computed, with the shape Loom must have given it: the ONNX output seen
/// through the view the mapping fed (softmax over axis 0 of [3,4,5] runs as [1,3,20]), or,
/// when unset, the ONNX output's own dims.
/// adjustExpected, when set, converts the ONNX reference into Loom's documented convention.
struct LoomOutput {
    LoomOutput(Tensor v, std::optional<Shape> shape = std::nullopt,
               std::function<Tensor(const Tensor&)> adjust = {})
        : value(std::move(v)), expectedShape(std::move(shape)), adjustExpected(std::move(adjust)) {}

    Tensor value;
    std::optional<Shape> expectedShape;  ///< unset: the ONNX output's own dims
    std::function<Tensor(const Tensor&)> adjustExpected;
};

/// What a case ran as: "graph Input > Conv2D" or "backend gemm", and its outputs in the order
/// of the ONNX node's outputs.
struct MappedRun {
    std::string path;
    std::vector<LoomOutput> outputs;
};

inline int64_t product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end && i < dims.size(); ++i) {
        p *= dims[i];
    }
    return p;
}

inline std::string dimsText(const std::vector<int64_t>& dims) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i > 0) {
            s += ',';
        }
        s += std::to_string(dims[i]);
    }
    s += ']';
    return s;
}

/// A new host tensor with the rows and columns of a rank-2 tensor swapped.
inline Tensor transposed(const Tensor& m) {
    const int64_t rows = m.dim(0), cols = m.dim(1);
    Tensor t = Tensor::empty(Shape{cols, rows});
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            t.set(c * rows + r, m.at(r * cols + c));
        }
    }
    return t;
}

/// ONNX axis normalisation: a negative axis counts from the end.
inline size_t normalisedAxis(int64_t axis, size_t rank, bool allowRank = false) {
    const int64_t r = static_cast<int64_t>(rank);
    const int64_t a = axis < 0 ? axis + r : axis;
    if (a < 0 || a > r || (a == r && !allowRank)) {
        throw Error("axis " + std::to_string(axis) + " is out of range for rank " +
                    std::to_string(rank));
    }
    return static_cast<size_t>(a);
}

/// The values one test-data set gives a model, by ONNX name: initializers, Constant nodes,
/// Transposes of constants (folded here, as an importer would), and the data set's inputs,
/// bound in order to the graph inputs that are not initializers. What remains to map is
/// nodes().
class CaseValues {
public:
    CaseValues(const OnnxModel& model, const std::vector<OnnxTensor>& dataInputs)
        : m_opset(model.opsetVersion()) {
        for (const OnnxTensor& t : model.graph.initializers) {
            m_values[t.name] = &t;
        }
        size_t next = 0;
        for (const OnnxValueInfo& in : model.graph.inputs) {
            if (model.graph.initializer(in.name) != nullptr) {
                continue;
            }
            if (next >= dataInputs.size()) {
                throw Error("the data set has fewer input files than the model has inputs");
            }
            m_values[in.name] = &dataInputs[next++];
            m_dataNames.push_back(in.name);
        }
        for (const OnnxNode& node : model.graph.nodes) {
            if (!fold(node)) {
                m_nodes.push_back(&node);
            }
        }
    }

    CaseValues(const CaseValues&) = delete;
    CaseValues& operator=(const CaseValues&) = delete;

    int64_t opset() const { return m_opset; }
    const std::vector<const OnnxNode*>& nodes() const { return m_nodes; }

    /// A tensor used as a weight, a bias or a shape; any type Loom reads.
    const Tensor& constant(const std::string& name) const {
        const OnnxTensor& t = lookup(name);
        if (!t.hasValue()) {
            try {
                t.value();
            } catch (const IoError& e) {
                unsupported("tensor type Loom does not read", e.what());
            }
        }
        return t.value();
    }

    /// A tensor that flows through the network: it must be floating point, as Loom computes
    /// in float32.
    const Tensor& data(const std::string& name) const {
        const OnnxTensor& t = lookup(name);
        if (t.dataType != static_cast<int32_t>(OnnxDataType::Float) &&
            t.dataType != static_cast<int32_t>(OnnxDataType::Double)) {
            unsupported("non-float data", "'" + name + "' is " + onnxDataTypeName(t.dataType) +
                                              "; Loom's layers compute in float32");
        }
        if (t.value().numel() == 0) {
            unsupported("zero-sized tensor", "'" + name + "' has dims " + dimsText(t.dims) +
                                                 "; Loom's shapes are positive");
        }
        return t.value();
    }

    bool has(const std::string& name) const { return !name.empty() && m_values.count(name) > 0; }

private:
    const OnnxTensor& lookup(const std::string& name) const {
        auto it = m_values.find(name);
        if (it == m_values.end()) {
            throw Error("the case gives no value for '" + name + "'");
        }
        return *it->second;
    }

    // Constant nodes and 2-D Transposes of constants become values; returns whether it folded.
    bool fold(const OnnxNode& node) {
        if (node.opType == "Constant" && node.attribute("value") != nullptr &&
            node.attribute("value")->t != nullptr) {
            m_folded.push_back(*node.attribute("value")->t);
        } else if (node.opType == "Transpose" && node.inputs.size() == 1 &&
                   m_values.count(node.inputs[0]) > 0 && !isData(node.inputs[0]) &&
                   lookup(node.inputs[0]).dims.size() == 2 &&
                   node.getInts("perm", {1, 0}) == std::vector<int64_t>{1, 0}) {
            OnnxTensor t = lookup(node.inputs[0]);
            t.dims = {t.dims[1], t.dims[0]};
            t.setValue(transposed(t.value()));
            m_folded.push_back(t);
        } else {
            return false;
        }
        m_values[node.outputs.at(0)] = &m_folded.back();
        return true;
    }

    bool isData(const std::string& name) const {
        return std::find(m_dataNames.begin(), m_dataNames.end(), name) != m_dataNames.end();
    }

    int64_t m_opset;
    std::map<std::string, const OnnxTensor*> m_values;
    std::vector<std::string> m_dataNames;
    std::deque<OnnxTensor> m_folded;  // a deque keeps the addresses m_values holds
    std::vector<const OnnxNode*> m_nodes;
};

/// A Loom network for one case, built through loom::Graph from Keras-named parameters. Weights
/// are recorded before build() and written into the layers' parameters after it.
class GraphCase {
public:
    std::string input(const Shape& sample) {
        return add("Input", "input_" + std::to_string(m_inputs++), {{"shape", sample.dims()}});
    }

    std::string add(const std::string& type, const std::string& name, const nlohmann::json& params,
                    const std::vector<std::string>& inputs = {}) {
        m_graph.add(type, name, params, inputs);
        if (std::find(m_types.begin(), m_types.end(), type) == m_types.end()) {
            m_types.push_back(type);
        }
        return name;
    }

    void setWeight(const std::string& layer, const std::string& parameter, Tensor value) {
        m_weights.push_back({layer, parameter, std::move(value)});
    }

    /// Builds, loads the weights and runs forward once; returns host copies of the outputs.
    std::vector<Tensor> run(const std::vector<Tensor>& feeds, bool training = false) {
        m_graph.build(0);
        for (const PendingWeight& w : m_weights) {
            Parameter* p = m_graph.layer(w.layer).findParameter(w.parameter);
            if (p == nullptr) {
                throw Error("layer '" + w.layer + "' has no parameter '" + w.parameter + "'");
            }
            checkSameShape(p->value, w.value, "weight " + w.layer + "/" + w.parameter);
            p->value.copyFrom(w.value);
        }
        ExecutionContext ctx{cpuBackend()};
        ctx.training = training;
        std::vector<Tensor> outputs;
        for (const Tensor& y : m_graph.forward(ctx, feeds)) {
            outputs.push_back(y.clone());
        }
        return outputs;
    }

    Graph& graph() { return m_graph; }

    /// "graph Input > ZeroPadding2D > Conv2D", for the report.
    std::string path(const std::string& note = "") const {
        std::string s = "graph ";
        for (size_t i = 0; i < m_types.size(); ++i) {
            s += (i == 0 ? "" : " > ") + m_types[i];
        }
        return note.empty() ? s : s + " (" + note + ")";
    }

private:
    struct PendingWeight {
        std::string layer, parameter;
        Tensor value;
    };

    Graph m_graph;
    std::vector<std::string> m_types;
    std::vector<PendingWeight> m_weights;
    int m_inputs = 0;
};

/// The runtime tensor reshaped to a batch Loom's Input takes: [N, ...] as it is for ranks 2 to
/// 5, else one sample [1, numel]. Only for element-wise ops, which any layout computes alike.
inline Tensor elementwiseView(const Tensor& x) {
    if (x.rank() >= 2 && x.rank() <= 5) {
        return x;
    }
    return x.reshape(Shape{1, x.numel()});
}

}  // namespace loom::conformance
