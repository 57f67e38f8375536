// ONNX ops -> Loom layers: the ops that move or reshape data, and those that only make
// constants. Loom's shapes are per sample, so every reshape must keep the batch axis (axis 0)
// where it is.

#include "io/OnnxImporter.h"

#include <algorithm>
#include <set>

namespace loom {

namespace {

using nlohmann::json;

/// An axis of a tensor of the given rank (batch included), negative ones counted from the end.
int64_t normalisedAxis(const OnnxImporter& imp, const OnnxNode& node, int64_t axis, int64_t rank) {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
        imp.fail(node, "axis " + std::to_string(axis) + " does not exist in a tensor of rank " +
                           std::to_string(rank));
    }
    if (a == 0) {
        imp.fail(node, "works along the batch axis, which Loom's layers leave alone");
    }
    return a;
}

int64_t rankOf(const OnnxImporter& imp, const std::string& layer) {
    return static_cast<int64_t>(imp.shapeOf(layer).rank()) + 1;
}

/// Opset 13 moved the axes of Squeeze and Unsqueeze from an attribute to an input.
std::vector<int64_t> axesOf(const OnnxImporter& imp, const OnnxNode& node) {
    if (imp.opset() >= 13) {
        return imp.hasInput(node, 1) ? imp.constantInts(node, 1) : std::vector<int64_t>{};
    }
    return node.getInts("axes", {});
}

/// The per-sample target_shape of a Reshape to `target` (batch axis included) for samples of
/// shape `sample`: 0 copies the input's size, one -1 (kept, for Loom's Reshape takes it too)
/// stands for what is left, and the batch must come out unchanged, which holds exactly when
/// the per-sample sizes keep the element count.
std::vector<int64_t> reshapedSample(const OnnxImporter& imp, const OnnxNode& node,
                                    const Shape& sample, const std::vector<int64_t>& target) {
    const std::string what =
        "reshapes samples of shape " + sample.str() + " to " + onnxListText(target);
    if (target.size() < 2 || target[0] < -1) {
        imp.fail(node, what + "; Loom keeps the batch axis and at least one more");
    }
    std::vector<int64_t> dims;
    bool wildcard = false;
    int64_t known = 1;
    for (size_t i = 1; i < target.size(); ++i) {
        int64_t d = target[i];
        if (d == 0 && i - 1 < sample.rank()) {
            d = sample[i - 1];
        }
        if (d == -1 && !wildcard && target[0] != -1) {
            wildcard = true;
        } else if (d < 1 || d > sample.numel() / known) {
            imp.fail(node, what + "; the batch axis would change size");
        } else {
            known *= d;
        }
        dims.push_back(d);
    }
    if (wildcard) {
        if (sample.numel() % known != 0) {
            imp.fail(node, what + "; the sizes do not divide the sample's " +
                               std::to_string(sample.numel()) + " elements");
        }
    } else if (known != sample.numel()) {
        imp.fail(node, what + "; the batch axis would change size");
    }
    return dims;
}

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

void convertFlatten(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const int64_t rank = rankOf(imp, input);
    const int64_t axis = node.getInt("axis", 1);
    if (axis != 1 && axis != 1 - rank) {
        imp.fail(node, "flattens at axis " + std::to_string(axis) +
                           ", which mixes the batch axis with the others; Loom flattens at 1");
    }
    imp.bindLayer(imp.output(node), imp.addLayer(node, "Flatten", json::object(), {input}));
}

void convertReshape(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    // Opset 5 moved the target shape from an attribute to an input.
    const std::vector<int64_t> target =
        imp.opset() >= 5 ? imp.constantInts(node, 1) : node.getInts("shape", {});
    if (node.getInt("allowzero", 0) != 0 &&
        std::find(target.begin(), target.end(), 0) != target.end()) {
        imp.fail(node, "allowzero asks for a size of 0, which Loom's shapes do not have");
    }
    const std::vector<int64_t> sample = reshapedSample(imp, node, imp.shapeOf(input), target);
    imp.bindLayer(imp.output(node),
                  imp.addLayer(node, "Reshape", {{"target_shape", sample}}, {input}));
}

void convertSqueeze(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape& sample = imp.shapeOf(input);
    std::set<int64_t> axes;
    for (int64_t axis : axesOf(imp, node)) {
        axes.insert(normalisedAxis(imp, node, axis, rankOf(imp, input)));
    }
    std::vector<int64_t> dims;
    for (size_t i = 0; i < sample.rank(); ++i) {
        const bool named = axes.count(static_cast<int64_t>(i) + 1) != 0;
        if (named && sample[i] != 1) {
            imp.fail(node, "squeezes axis " + std::to_string(i + 1) + " of size " +
                               std::to_string(sample[i]));
        }
        // Without axes every axis of size 1 goes, but never the batch axis.
        if (!(named || (axes.empty() && sample[i] == 1))) {
            dims.push_back(sample[i]);
        }
    }
    if (dims.empty()) {
        imp.fail(node, "squeezes samples of shape " + sample.str() +
                           " to nothing; Loom keeps at least one axis besides the batch");
    }
    imp.bindLayer(imp.output(node), imp.addReshape(node, input, Shape(dims), ""));
}

void convertUnsqueeze(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape& sample = imp.shapeOf(input);
    const std::vector<int64_t> listed = axesOf(imp, node);
    const int64_t rank = rankOf(imp, input) + static_cast<int64_t>(listed.size());
    std::set<int64_t> axes;
    for (int64_t axis : listed) {
        if (!axes.insert(normalisedAxis(imp, node, axis, rank)).second) {
            imp.fail(node, "names axis " + std::to_string(axis) + " twice");
        }
    }
    std::vector<int64_t> dims;
    size_t next = 0;
    for (int64_t axis = 1; axis < rank; ++axis) {
        dims.push_back(axes.count(axis) != 0 ? 1 : sample[next++]);
    }
    imp.bindLayer(imp.output(node), imp.addReshape(node, input, Shape(dims), ""));
}

void convertConcat(OnnxImporter& imp, const OnnxNode& node) {
    std::vector<std::string> inputs;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
        inputs.push_back(imp.layerInput(node, i));
    }
    if (inputs.empty() || !node.has("axis")) {
        imp.fail(node, "needs inputs and an axis");
    }
    const int64_t axis = normalisedAxis(imp, node, node.getInt("axis", 1), rankOf(imp, inputs[0]));
    if (inputs.size() == 1) {
        imp.alias(node, 0, imp.output(node));
        return;
    }
    imp.bindLayer(imp.output(node), imp.addLayer(node, "Concatenate", {{"axis", axis}}, inputs));
}

void convertPad(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape& sample = imp.shapeOf(input);
    const std::string mode = node.getString("mode", "constant");
    // Opset 11 moved pads and the fill value from attributes to inputs (and 18 added axes).
    const bool asInputs = imp.opset() >= 11;
    const std::vector<int64_t> pads =
        asInputs ? imp.constantInts(node, 1) : node.getInts("pads", {});
    const double value = asInputs ? (imp.hasInput(node, 2) ? imp.constant(node, 2).at(0) : 0.0)
                                  : node.getFloat("value", 0.0f);
    if (mode != "constant" || value != 0.0 || imp.hasInput(node, 3)) {
        imp.fail(node, "pads in mode '" + mode + "' with " + std::to_string(value) +
                           "; Loom's ZeroPadding2D pads images with zeros only");
    }
    if (sample.rank() != 3 || pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 ||
        pads[5] != 0 || *std::min_element(pads.begin(), pads.end()) < 0) {
        imp.fail(node, "pads " + onnxListText(pads) + " on samples of shape " + sample.str() +
                           "; Loom pads the height and width of images, and never crops");
    }
    // ONNX lists every axis' start, then every axis' end; Loom top, bottom, left, right.
    imp.bindLayer(imp.output(node),
                  imp.addLayer(node, "ZeroPadding2D",
                               {{"padding", {pads[2], pads[6], pads[3], pads[7]}}}, {input}));
}

void convertIdentity(OnnxImporter& imp, const OnnxNode& node) {
    imp.alias(node, 0, imp.output(node));
}

void convertConstant(OnnxImporter& imp, const OnnxNode& node) {
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

void convertTranspose(OnnxImporter& imp, const OnnxNode& node) {
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
