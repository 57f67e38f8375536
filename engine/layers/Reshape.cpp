// Reshape: gives each sample a new shape with the same number of elements (row-major order);
// one -1 in target_shape takes whatever size is left. A view: no data moves.

#include "ViewLayer.h"

#include <algorithm>

namespace loom::layers {
namespace {

class Reshape final : public ViewLayer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = inputs.at(0);
        std::vector<int64_t> dims = params().getInts("target_shape");
        int64_t known = 1;
        int wildcards = 0;
        for (int64_t d : dims) {
            if (d == -1) {
                ++wildcards;
            } else if (d == 0) {
                shapeError("target_shape sizes must be positive or a single -1");
            } else {
                known *= d;
            }
        }
        if (wildcards > 1) {
            shapeError("target_shape may contain at most one -1");
        }
        if (wildcards == 1 && known > 0 && in.numel() % known == 0) {
            std::replace(dims.begin(), dims.end(), int64_t{-1}, in.numel() / known);
        }
        Shape out(dims);
        if (out.numel() != in.numel() || out.numel() <= 0) {
            shapeError("cannot reshape " + in.str() + " (" + std::to_string(in.numel()) +
                       " elements) to target_shape " +
                       Shape(params().getInts("target_shape")).str());
        }
        return out;
    }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    std::vector<int64_t> target = r.config().at("target_shape").get<std::vector<int64_t>>();
    if (r.channelsLast() && (r.inputRank() == 3 || target.size() == 3)) {
        r.fail(
            "reshaping to or from a channels_last image changes the element order, which "
            "Loom cannot import");
    }
    return {"Reshape", {{"target_shape", target}}, target.size()};
}

void toKeras(KerasLayerWriter& w) {
    if (w.outputShape().rank() == 3 || w.inputShape().rank() == 3) {
        w.fail("reshaping to or from an image changes the element order in channels_last Keras");
    }
    w.config()["target_shape"] = w.outputShape().dims();
}

void toOnnx(OnnxLayerWriter& w) {
    // 0 copies the batch size; the layer's own -1, if it has one, stays the one -1.
    const Shape target(w.params().getInts("target_shape"));
    w.addNode("Reshape", {w.input(), w.addInt64s("shape", target.withBatch(0).dims())}, w.output());
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
        axes.insert(imp.axis(node, axis, imp.rankOf(input)));
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
    const int64_t rank = imp.rankOf(input) + static_cast<int64_t>(listed.size());
    std::set<int64_t> axes;
    for (int64_t axis : listed) {
        if (!axes.insert(imp.axis(node, axis, rank)).second) {
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

LayerKind kind() {
    LayerKind k;
    k.type = "Reshape";
    k.category = "Core";
    k.description = "Gives each sample a new shape with the same number of elements";
    k.params = {ParamSpec::intList("target_shape", {-1}, 1, 4, -1, 1 << 24,
                                   "New per-sample shape; one -1 takes the remaining size")};
    k.keras.className = "Reshape";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {
        {"Reshape", convertReshape}, {"Squeeze", convertSqueeze}, {"Unsqueeze", convertUnsqueeze}};
    k.create = [] { return std::make_unique<Reshape>(); };
    return k;
}

LOOM_REGISTER_LAYER(Reshape, kind());

}  // namespace
}  // namespace loom::layers
