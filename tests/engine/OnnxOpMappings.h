#pragma once
// ONNX ops mapped to Loom, for TestOnnxConformance. Each mapping builds the Loom network a user
// (or an importer) would build for the node, with Keras-named layer parameters, runs it and
// returns Loom's outputs; where a node's attributes go beyond what a Loom layer takes but the
// backend op can express them (a Gemm with a matrix C, pooling with explicit pads) the mapping
// calls the CPU backend op directly and says so in its path; anything else is Unsupported, with
// the reason.

#include "OnnxConformance.h"

#include <cmath>

namespace loom::conformance {

/// Explicit pads of a 2-D window op, ONNX's order being top, left, bottom, right.
struct SpatialPads {
    int64_t top = 0, left = 0, bottom = 0, right = 0;
    bool any() const { return top != 0 || left != 0 || bottom != 0 || right != 0; }
    std::string text() const { return dimsText({top, left, bottom, right}); }
};

using Pair = std::pair<int64_t, int64_t>;

inline Pair pairOf(const std::vector<int64_t>& v, const std::string& what) {
    if (v.size() != 2) {
        unsupported("non-2-D window", what + " " + dimsText(v));
    }
    return {v[0], v[1]};
}

/// "same" padding along one axis as TensorFlow defines it (Keras' padding="same"): the output
/// has ceil(in / stride) cells; of an odd total the extra cell goes to the end.
inline Pair samePads(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, bool upper) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total =
        std::max<int64_t>((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
    const int64_t small = total / 2, large = total - small;
    return upper ? Pair{small, large} : Pair{large, small};
}

inline SpatialPads windowPads(const OnnxNode& node, const Tensor& x, Pair kernel, Pair stride,
                              Pair dilation) {
    const std::string autoPad = node.getString("auto_pad", "NOTSET");
    SpatialPads p;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        const bool upper = autoPad == "SAME_UPPER";
        std::tie(p.top, p.bottom) =
            samePads(x.dim(2), kernel.first, stride.first, dilation.first, upper);
        std::tie(p.left, p.right) =
            samePads(x.dim(3), kernel.second, stride.second, dilation.second, upper);
    } else if (autoPad == "NOTSET") {
        const std::vector<int64_t> pads = node.getInts("pads", {0, 0, 0, 0});
        if (pads.size() != 4) {
            unsupported("non-2-D window", "pads " + dimsText(pads));
        }
        p = {pads[0], pads[1], pads[2], pads[3]};
        if (pads[0] < 0 || pads[1] < 0 || pads[2] < 0 || pads[3] < 0) {
            unsupported("negative pads", "pads " + p.text());
        }
    } else if (autoPad != "VALID") {
        unsupported("unknown auto_pad", autoPad);
    }
    return p;
}

inline bool isKerasSame(const SpatialPads& p, const Tensor& x, Pair kernel, Pair stride,
                        Pair dilation) {
    return Pair{p.top, p.bottom} ==
               samePads(x.dim(2), kernel.first, stride.first, dilation.first, true) &&
           Pair{p.left, p.right} ==
               samePads(x.dim(3), kernel.second, stride.second, dilation.second, true);
}

inline nlohmann::json list(Pair p) {
    return {p.first, p.second};
}

inline MappedRun mapConv(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    if (x.rank() != 4) {
        unsupported("non-2-D convolution", "input rank " + std::to_string(x.rank()));
    }
    if (node.getInt("group", 1) != 1) {
        unsupported("grouped convolution", "group=" + std::to_string(node.getInt("group", 1)) +
                                               "; Loom's Conv2D has no groups");
    }
    const Tensor& w = v.constant(node.inputs.at(1));  // OIHW, Loom's layout too
    const bool hasBias = node.inputs.size() > 2 && !node.inputs[2].empty();
    const Pair kernel{w.dim(2), w.dim(3)};
    const Pair stride = pairOf(node.getInts("strides", {1, 1}), "strides");
    const Pair dilation = pairOf(node.getInts("dilations", {1, 1}), "dilations");
    const SpatialPads pads = windowPads(node, x, kernel, stride, dilation);
    const bool same = pads.any() && isKerasSame(pads, x, kernel, stride, dilation);

    GraphCase g;
    std::string from = g.input(x.shape().withoutBatch());
    if (pads.any() && !same) {
        from = g.add("ZeroPadding2D", "pad",
                     {{"padding", {pads.top, pads.bottom, pads.left, pads.right}}}, {from});
    }
    g.add("Conv2D", "conv",
          {{"filters", w.dim(0)},
           {"kernel_size", list(kernel)},
           {"strides", list(stride)},
           {"dilation_rate", list(dilation)},
           {"padding", same ? "same" : "valid"},
           {"use_bias", hasBias}},
          {from});
    g.setWeight("conv", "kernel", w);
    if (hasBias) {
        g.setWeight("conv", "bias", v.constant(node.inputs[2]));
    }
    const Tensor y = g.run({x}).at(0);
    return {g.path(same         ? "padding same"
                   : pads.any() ? "pads " + pads.text()
                                : "padding valid"),
            {{y}}};
}

/// ceil_mode only matters when it changes the output size.
inline bool ceilChangesOutput(const Tensor& x, const SpatialPads& p, Pair kernel, Pair stride) {
    auto differs = [](int64_t in, int64_t k, int64_t s) { return (in - k) % s != 0 && in >= k; };
    return differs(x.dim(2) + p.top + p.bottom, kernel.first, stride.first) ||
           differs(x.dim(3) + p.left + p.right, kernel.second, stride.second);
}

inline MappedRun mapPool(const OnnxNode& node, const CaseValues& v) {
    const bool isMax = node.opType == "MaxPool";
    const Tensor& x = v.data(node.inputs.at(0));
    if (x.rank() != 4) {
        unsupported("non-2-D pooling", "input rank " + std::to_string(x.rank()));
    }
    if (node.outputs.size() > 1) {
        unsupported("MaxPool indices output", "Loom's pooling returns values only");
    }
    const Pair kernel = pairOf(node.getInts("kernel_shape", {}), "kernel_shape");
    const Pair stride = pairOf(node.getInts("strides", {1, 1}), "strides");
    if (node.getInts("dilations", {1, 1}) != std::vector<int64_t>{1, 1}) {
        unsupported("pooling with dilations",
                    "dilations=" + dimsText(node.getInts("dilations", {})));
    }
    const SpatialPads pads = windowPads(node, x, kernel, stride, {1, 1});
    if (node.getInt("ceil_mode", 0) != 0 && ceilChangesOutput(x, pads, kernel, stride)) {
        unsupported("ceil_mode", "ceil_mode=1 gives a larger output than Loom's floor rounding");
    }
    const bool includePad = !isMax && node.getInt("count_include_pad", 0) != 0;
    const bool same = pads.any() && isKerasSame(pads, x, kernel, stride, {1, 1});
    if (!pads.any() || (same && !includePad)) {
        GraphCase g;
        const std::string in = g.input(x.shape().withoutBatch());
        g.add(isMax ? "MaxPool2D" : "AveragePool2D", "pool",
              {{"pool_size", list(kernel)},
               {"strides", list(stride)},
               {"padding", same ? "same" : "valid"}},
              {in});
        return {g.path(same ? "padding same" : "padding valid"), {{g.run({x}).at(0)}}};
    }
    // Explicit pads (or counting them in the average) are beyond the layers' valid/same but
    // within the backend op's geometry: test that op.
    Pool2DGeometry geo;
    geo.kernelH = static_cast<int>(kernel.first);
    geo.kernelW = static_cast<int>(kernel.second);
    geo.strideH = static_cast<int>(stride.first);
    geo.strideW = static_cast<int>(stride.second);
    geo.padTop = static_cast<int>(pads.top);
    geo.padLeft = static_cast<int>(pads.left);
    geo.padBottom = static_cast<int>(pads.bottom);
    geo.padRight = static_cast<int>(pads.right);
    const PoolMode mode = isMax        ? PoolMode::Max
                          : includePad ? PoolMode::AverageIncludePadding
                                       : PoolMode::AverageExcludePadding;
    Tensor y = Tensor::empty(geo.outputShape(x.shape()));
    cpuBackend().pool2dForward(mode, x, geo, y);
    return {"backend pool2dForward (pads " + pads.text() +
                (includePad ? ", padding counted in the mean" : "") +
                "; the pooling layers pad only valid/same)",
            {{y}}};
}

inline MappedRun mapGlobalAveragePool(const OnnxNode& node, const CaseValues& v) {
    const Tensor& x = v.data(node.inputs.at(0));
    if (x.rank() != 4) {
        unsupported("non-2-D pooling", "input rank " + std::to_string(x.rank()));
    }
    GraphCase g;
    g.add("GlobalAveragePool2D", "gap", {}, {g.input(x.shape().withoutBatch())});
    // Loom gives [N, C] where ONNX keeps [N, C, 1, 1]: the same values.
    return {g.path(), {{g.run({x}).at(0), Shape{x.dim(0), x.dim(1)}}}};
}

/// C as a per-output bias of n values (a scalar, [n] or [1, n]); undefined for other shapes.
inline Tensor rowBias(const Tensor& c, int64_t n) {
    if (c.numel() == 1) {
        return Tensor::full(Shape{n}, c.at(0));
    }
    if (c.numel() == n && (c.rank() == 1 || (c.rank() == 2 && c.dim(0) == 1))) {
        return c.reshape(Shape{n}).clone();
    }
    return {};
}

/// C broadcast (ONNX unidirectional broadcasting) to [m, n].
inline Tensor broadcastTo(const Tensor& c, int64_t m, int64_t n) {
    const int64_t rows = c.rank() == 2 ? c.dim(0) : 1;
    const int64_t cols = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
    if ((rows != 1 && rows != m) || (cols != 1 && cols != n) || c.rank() > 2) {
        throw Error("Gemm's C " + c.shape().str() + " does not broadcast to [" + std::to_string(m) +
                    ", " + std::to_string(n) + "]");
    }
    Tensor out = Tensor::empty(Shape{m, n});
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            out.set(i * n + j, c.at((rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)));
        }
    }
    return out;
}

inline Tensor scaled(const Tensor& t, double factor) {
    Tensor out = t.clone();
    for (int64_t i = 0; i < out.numel(); ++i) {
        out.set(i, out.at(i) * factor);
    }
    return out;
}

inline MappedRun denseCase(const Tensor& a, const Tensor& kernel, const Tensor& bias,
                           const std::string& note) {
    GraphCase g;
    const std::string in = g.input(Shape{a.dim(1)});
    g.add("Dense", "dense", {{"units", kernel.dim(1)}, {"use_bias", bias.defined()}}, {in});
    g.setWeight("dense", "kernel", kernel);
    if (bias.defined()) {
        g.setWeight("dense", "bias", bias);
    }
    return {g.path(note), {{g.run({a}).at(0)}}};
}

inline MappedRun mapGemm(const OnnxNode& node, const CaseValues& v) {
    const Tensor& a = v.data(node.inputs.at(0));
    const Tensor& b = v.constant(node.inputs.at(1));
    const bool hasC = node.inputs.size() > 2 && !node.inputs[2].empty();
    const double alpha = node.getFloat("alpha", 1), beta = node.getFloat("beta", 1);
    const bool transA = node.getInt("transA", 0) != 0, transB = node.getInt("transB", 0) != 0;
    const int64_t n = transB ? b.dim(0) : b.dim(1);
    const bool useC = hasC && beta != 0;
    const Tensor bias = useC ? rowBias(v.constant(node.inputs[2]), n) : Tensor();
    if (!transA && (!useC || bias.defined())) {
        // Dense: y = x W + b with W = alpha op(B) in Keras' [in, out] layout and b = beta C.
        const Tensor kernel = scaled(transB ? transposed(b) : b, alpha);
        return denseCase(a, kernel, useC ? scaled(bias, beta) : Tensor(),
                         std::string(transB ? "B transposed to [in, out]; " : "") +
                             "alpha folded into the kernel, beta into the bias");
    }
    // A transposed (samples are columns) or C a full matrix: no Dense layer says that, the
    // backend's GEMM does.
    const int64_t m = transA ? a.dim(1) : a.dim(0);
    Tensor c = useC ? broadcastTo(v.constant(node.inputs[2]), m, n) : Tensor::zeros(Shape{m, n});
    cpuBackend().gemm(transA, transB, alpha, a, b, useC ? beta : 0.0, c);
    return {std::string("backend gemm (") + (transA ? "transA" : "C is a full [M,N] matrix") +
                ": not a Dense layer)",
            {{c}}};
}

inline MappedRun mapMatMul(const OnnxNode& node, const CaseValues& v) {
    const Tensor& a = v.data(node.inputs.at(0));
    const Tensor& b = v.constant(node.inputs.at(1));
    if (a.rank() != 2 || b.rank() != 2) {
        unsupported("batched or 1-D MatMul",
                    "operands " + a.shape().str() + " x " + b.shape().str());
    }
    return denseCase(a, b, Tensor(), "B as the kernel");
}

}  // namespace loom::conformance
