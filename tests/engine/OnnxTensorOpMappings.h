#pragma once
// ONNX ops mapped to Loom, for TestOnnxConformance: activations, softmax, batch normalisation,
// concatenation, addition, flatten, reshape and zero padding. ONNX tensors carry any layout;
// Loom's layers see [batch, sample...] with the op along axis 1, so a mapping feeds a
// row-major view of the same data ([3,4,5] with softmax over axis 2 runs as [12,5]) and states
// the shape Loom must produce in that view.

#include "OnnxConformance.h"

#include <cmath>

namespace loom::conformance {

inline MappedRun mapActivation(const OnnxNode& node, const CaseValues& v) {
    const Tensor x = elementwiseView(v.data(node.inputs.at(0)));
    GraphCase g;
    const std::string in = g.input(x.shape().withoutBatch());
    if (node.opType == "LeakyRelu") {
        g.add("LeakyReLU", "act", {{"alpha", node.getFloat("alpha", 0.01f)}}, {in});
    } else if (node.opType == "Elu") {
        g.add("ELU", "act", {{"alpha", node.getFloat("alpha", 1.0f)}}, {in});
    } else {
        const std::map<std::string, std::string> names = {
            {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}};
        g.add("Activation", "act", {{"activation", names.at(node.opType)}}, {in});
    }
    return {g.path(), {{g.run({x}).at(0), x.shape()}}};
}

/// Softmax from opset 13 normalises along one axis; before, it flattened the input to 2-D at
/// the axis and normalised the rows. Loom's normalises along axis 1 of [N, C, ...].
inline MappedRun mapSoftmax(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    const std::vector<int64_t>& d = x.shape().dims();
    const bool perAxis = v.opset() >= 13;
    const size_t axis = normalisedAxis(node.getInt("axis", perAxis ? -1 : 1), d.size());
    const int64_t outer = product(d, 0, axis);
    Shape view;
    if (perAxis) {
        const int64_t inner = product(d, axis + 1, d.size());
        view = inner == 1 ? Shape{outer, d[axis]} : Shape{outer, d[axis], inner};
    } else {
        view = Shape{outer, product(d, axis, d.size())};
    }
    const Tensor fed = x.reshape(view);
    GraphCase g;
    g.add("Activation", "softmax", {{"activation", "softmax"}}, {g.input(view.withoutBatch())});
    return {g.path("fed as " + view.str()), {{g.run({fed}).at(0), view}}};
}

/// Loom keeps the running variance unbiased (n / (n - 1) times the batch variance), as its
/// backend documents; ONNX's reference uses the biased one. Converts ONNX's expected running
/// variance: running = m * var + (1 - m) * batchVar.
inline std::function<Tensor(const Tensor&)> besselCorrected(Tensor inputVar, double momentum,
                                                            int64_t n) {
    return [inputVar, momentum, n](const Tensor& expected) {
        Tensor out = expected.clone();
        const double factor = static_cast<double>(n) / static_cast<double>(n - 1);
        for (int64_t c = 0; c < out.numel(); ++c) {
            const double prior = momentum * inputVar.at(c);
            out.set(c, prior + (expected.at(c) - prior) * factor);
        }
        return out;
    };
}

inline MappedRun mapBatchNorm(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    const std::vector<int64_t>& d = x.shape().dims();
    if (v.opset() < 9 && node.getInt("spatial", 1) == 0) {
        unsupported("per-activation batch norm", "spatial=0");
    }
    const bool training = node.getInt("training_mode", 0) != 0;
    if (!training && node.outputs.size() > 1) {
        unsupported("batch norm statistics outputs",
                    "opset " + std::to_string(v.opset()) + " training outputs saved_mean/var");
    }
    // Loom normalises [N, C] or [N, C, H, W]; other ranks are the same per-channel op on a view.
    Shape view = x.shape();
    if (d.size() == 3) {
        view = Shape{d[0], d[1], d[2], 1};
    } else if (d.size() == 5) {
        view = Shape{d[0], d[1], d[2] * d[3], d[4]};
    } else if (d.size() != 2 && d.size() != 4) {
        unsupported("batch norm input rank", dimsText(d));
    }
    const double momentum = node.getFloat("momentum", 0.9f);
    GraphCase g;
    g.add("BatchNormalization", "bn",
          {{"axis", 1}, {"epsilon", node.getFloat("epsilon", 1e-5f)}, {"momentum", momentum}},
          {g.input(view.withoutBatch())});
    const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (size_t i = 0; i < 4; ++i) {
        g.setWeight("bn", names[i], v.constant(node.inputs.at(i + 1)));
    }
    MappedRun run{g.path(training ? "training mode" : "inference"),
                  {{g.run({x.reshape(view)}, training).at(0), view}}};
    if (training) {
        // The running statistics the layer updated are ONNX's running_mean and running_var.
        Layer& bn = g.graph().layer("bn");
        run.outputs.push_back({bn.findParameter("moving_mean")->value.clone(), std::nullopt, {}});
        run.outputs.push_back(
            {bn.findParameter("moving_variance")->value.clone(), std::nullopt,
             besselCorrected(v.constant(node.inputs[4]).clone(), momentum, x.numel() / d[1])});
        run.path += "; running variance compared after Bessel's correction";
    }
    return run;
}

inline MappedRun mapConcat(const OnnxNode& node, const CaseValues& v) {
    if (node.inputs.size() < 2) {
        unsupported("single-input Concat", "Loom's Concatenate joins two or more inputs");
    }
    const Tensor& first = v.data(node.inputs[0]);
    const std::vector<int64_t>& d = first.shape().dims();
    const size_t axis = normalisedAxis(node.getInt("axis", 1), d.size());
    const int64_t outer = product(d, 0, axis), inner = product(d, axis + 1, d.size());
    auto viewOf = [&](int64_t extent) {
        return inner == 1 ? Shape{outer, extent} : Shape{outer, extent, inner};
    };
    GraphCase g;
    std::vector<std::string> ins;
    std::vector<Tensor> feeds;
    int64_t total = 0;
    for (const std::string& name : node.inputs) {
        const Tensor& t = v.data(name);
        feeds.push_back(t.reshape(viewOf(t.dim(axis))));
        ins.push_back(g.input(feeds.back().shape().withoutBatch()));
        total += t.dim(axis);
    }
    g.add("Concatenate", "concat", {{"axis", 1}}, ins);
    const Shape view = viewOf(total);
    return {g.path("fed as " + feeds[0].shape().str() + "..."), {{g.run(feeds).at(0), view}}};
}

inline MappedRun mapAdd(const OnnxNode& node, const CaseValues& v) {
    const Tensor& a = v.data(node.inputs.at(0));
    const Tensor& b = v.data(node.inputs.at(1));
    if (a.shape() != b.shape()) {
        unsupported("broadcasting Add",
                    a.shape().str() + " + " + b.shape().str() + "; Loom's Add takes equal shapes");
    }
    const Tensor va = elementwiseView(a), vb = elementwiseView(b);
    GraphCase g;
    const std::string ia = g.input(va.shape().withoutBatch());
    const std::string ib = g.input(vb.shape().withoutBatch());
    g.add("Add", "add", {}, {ia, ib});
    return {g.path(), {{g.run({va, vb}).at(0), va.shape()}}};
}

/// Flatten(axis) gives [prod(d[:axis]), prod(d[axis:])]: Loom's Flatten on the input seen as a
/// batch of prod(d[:axis]) samples.
inline MappedRun mapFlatten(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    const std::vector<int64_t>& d = x.shape().dims();
    const size_t axis = normalisedAxis(node.getInt("axis", 1), d.size(), true);
    std::vector<int64_t> fedDims{product(d, 0, axis)};
    fedDims.insert(fedDims.end(), d.begin() + static_cast<long>(axis), d.end());
    if (fedDims.size() == 1) {
        fedDims.push_back(1);
    }
    const Tensor fed = x.reshape(Shape(fedDims));
    GraphCase g;
    g.add("Flatten", "flatten", {}, {g.input(fed.shape().withoutBatch())});
    const Shape view{fedDims[0], product(d, axis, d.size())};
    return {g.path("fed as " + fed.shape().str()), {{g.run({fed}).at(0), view}}};
}

/// Reshape's 0 copies the input's extent (unless allowzero); Loom has no such code, so it is
/// resolved here, while a -1 is left for Loom's Reshape to infer.
inline std::vector<int64_t> reshapeSpec(const OnnxNode& node, const CaseValues& v,
                                        const Tensor& x) {
    std::vector<int64_t> spec;
    if (node.inputs.size() > 1) {
        const Tensor& s = v.constant(node.inputs[1]);
        for (int64_t i = 0; i < s.numel(); ++i) {
            spec.push_back(std::llround(s.at(i)));
        }
    } else {
        spec = node.getInts("shape", {});
    }
    for (size_t i = 0; i < spec.size(); ++i) {
        if (spec[i] == 0 && node.getInt("allowzero", 0) != 0) {
            unsupported("zero-sized tensor", "allowzero shape " + dimsText(spec));
        }
        if (spec[i] == 0) {
            spec[i] = x.dim(i);
        }
    }
    return spec;
}

inline MappedRun mapReshape(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    const std::vector<int64_t> spec = reshapeSpec(node, v, x);
    std::vector<int64_t> resolved = spec;
    const int64_t known = -product(spec, 0, spec.size());  // one -1 among them
    std::replace(resolved.begin(), resolved.end(), int64_t{-1},
                 known > 0 ? x.numel() / known : int64_t{-1});
    GraphCase g;
    if (spec.size() >= 2 && x.rank() >= 2 && spec[0] == x.dim(0)) {
        // The batch stays: each sample is reshaped.
        const std::vector<int64_t> target(spec.begin() + 1, spec.end());
        g.add("Reshape", "reshape", {{"target_shape", target}},
              {g.input(x.shape().withoutBatch())});
        return {g.path("per sample to " + dimsText(target)), {{g.run({x}).at(0), Shape(resolved)}}};
    }
    // The first extent changes: the whole tensor is one sample.
    if (x.rank() > 4 || spec.size() > 4) {
        unsupported("reshape beyond rank 4 per sample", dimsText(spec));
    }
    g.add("Reshape", "reshape", {{"target_shape", spec}}, {g.input(x.shape())});
    return {g.path("one sample to " + dimsText(spec)),
            {{g.run({x.reshape(x.shape().withBatch(1))}).at(0), Shape(resolved).withBatch(1)}}};
}

inline MappedRun mapPad(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    const std::string mode = node.getString("mode", "constant");
    if (mode != "constant") {
        unsupported("non-constant Pad mode", mode);
    }
    std::vector<int64_t> pads;
    double value = node.getFloat("value", 0);
    if (v.opset() >= 11) {
        const Tensor& p = v.constant(node.inputs.at(1));
        for (int64_t i = 0; i < p.numel(); ++i) {
            pads.push_back(std::llround(p.at(i)));
        }
        value = v.has(node.inputs.size() > 2 ? node.inputs[2] : "")
                    ? v.constant(node.inputs[2]).at(0)
                    : 0.0;
    } else {
        pads = node.getInts(v.opset() >= 2 ? "pads" : "paddings", {});
    }
    if (value != 0) {
        unsupported("Pad with a non-zero value",
                    "value=" + std::to_string(value) + "; Loom's ZeroPadding2D pads with zeros");
    }
    if (x.rank() != 4 || pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 ||
        pads[5] != 0) {
        unsupported("Pad outside the two spatial axes", "pads " + dimsText(pads));
    }
    if (*std::min_element(pads.begin(), pads.end()) < 0) {
        unsupported("negative pads", "pads " + dimsText(pads) + " crop");
    }
    GraphCase g;
    g.add("ZeroPadding2D", "pad", {{"padding", {pads[2], pads[6], pads[3], pads[7]}}},
          {g.input(x.shape().withoutBatch())});
    return {g.path(), {{g.run({x}).at(0)}}};
}

}  // namespace loom::conformance
