// The ONNX ops that no layer computes: Identity (an alias), Constant, and Transpose of a
// constant (folded here). Every other op is read by the layer kind that declares it
// (LayerKind::onnx.readers).

#include "io/OnnxImporter.h"

#include <algorithm>

namespace loom {

namespace {

/// A constant with its axes reordered: output axis i is input axis perm[i].
Tensor permuted(const Tensor& t, const std::vector<int64_t>& perm) {
    const std::vector<int64_t>& dims = t.shape().dims();
    const size_t rank = dims.size();
    std::vector<int64_t> strides(rank, 1), outDims(rank), sourceStrides(rank);
    for (size_t i = rank; i-- > 1;) {
        strides[i - 1] = strides[i] * dims[i];
    }
    for (size_t i = 0; i < rank; ++i) {
        outDims[i] = dims[static_cast<size_t>(perm[i])];
        sourceStrides[i] = strides[static_cast<size_t>(perm[i])];
    }
    if (t.numel() == 0) {
        return Tensor::empty(Shape(outDims));
    }
    const std::vector<float> source = t.toVector();
    std::vector<float> out(source.size());
    std::vector<int64_t> index(rank, 0);
    for (float& value : out) {
        int64_t offset = 0;
        for (size_t i = 0; i < rank; ++i) {
            offset += index[i] * sourceStrides[i];
        }
        value = source[static_cast<size_t>(offset)];
        for (size_t i = rank; i-- > 0;) {  // the next output index, last axis fastest
            if (++index[i] < outDims[i]) {
                break;
            }
            index[i] = 0;
        }
    }
    return Tensor::fromVector(Shape(outDims), out);
}

}  // namespace

void convertOnnxIdentity(OnnxImporter& imp, const OnnxNode& node) {
    imp.alias(node, 0, imp.output(node));
}

void convertOnnxConstant(OnnxImporter& imp, const OnnxNode& node) {
    const std::string& output = imp.output(node);
    if (const OnnxAttribute* value = node.attribute("value"); value != nullptr && value->t) {
        imp.bindConstant(output, *value->t);
        return;
    }
    // Opset 12's scalar and list forms.
    std::vector<float> values;
    std::vector<int64_t> dims;
    if (node.has("value_float")) {
        values = {node.getFloat("value_float", 0.0f)};
    } else if (node.has("value_int")) {
        values = {static_cast<float>(node.getInt("value_int", 0))};
    } else if (const OnnxAttribute* list = node.attribute("value_floats")) {
        values = list->floats;
        dims = {static_cast<int64_t>(values.size())};
    } else if (const OnnxAttribute* ints = node.attribute("value_ints")) {
        values.assign(ints->ints.begin(), ints->ints.end());
        dims = {static_cast<int64_t>(values.size())};
    } else {
        imp.fail(node, "holds a sparse or string value, which Loom does not read");
    }
    imp.bindConstant(output, values.empty() ? Tensor::empty(Shape(dims))
                                            : Tensor::fromVector(Shape(dims), values));
}

void convertOnnxTranspose(OnnxImporter& imp, const OnnxNode& node) {
    if (!imp.hasInput(node, 0) || !imp.isConstant(node.inputs[0])) {
        imp.fail(node,
                 "transposes the network's data; Loom's layers keep the channels-first "
                 "order and none transposes");
    }
    const Tensor t = imp.constant(node, 0);
    std::vector<int64_t> perm(t.rank());
    for (size_t i = 0; i < perm.size(); ++i) {
        perm[i] = static_cast<int64_t>(perm.size() - 1 - i);  // ONNX's default: reverse
    }
    perm = node.getInts("perm", perm);
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    bool permutation = sorted.size() == t.rank();
    for (size_t i = 0; permutation && i < sorted.size(); ++i) {
        permutation = sorted[i] == static_cast<int64_t>(i);
    }
    if (!permutation) {
        imp.fail(node, "perm " + onnxListText(perm) + " is not a permutation of " +
                           std::to_string(t.rank()) + " axes");
    }
    imp.bindConstant(imp.output(node), permuted(t, perm));
}

}  // namespace loom
