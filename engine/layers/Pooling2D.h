#pragma once
// The shared body of MaxPool2D and AveragePool2D: the same window geometry with a different
// reduction.
//   max:     y[n,c,p,q] = max over the window;  dx gets dy at the window's first maximum
//   average: y[n,c,p,q] = mean over the window's cells inside the input (padding excluded)

#include "LayerSupport.h"
#include "io/OnnxWindow.h"

namespace loom::layers {

class Pooling2D : public Layer {
public:
    explicit Pooling2D(PoolMode mode) : m_mode(mode) {}

    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        try {
            return geometry(in).outputShape(in.withBatch(1)).withoutBatch();
        } catch (const ShapeError& e) {
            shapeError(std::string(e.what()) + " (input " + in.str() + ")");
        }
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        Pool2DGeometry g = geometry(x[0].shape().withoutBatch());
        ctx.ensure(y, g.outputShape(x[0].shape()));
        ctx.backend.pool2dForward(m_mode, x[0], g, y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor& y,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.pool2dBackward(m_mode, x[0], y, dy, geometry(x[0].shape().withoutBatch()),
                                       dx[0]);
        }
    }

    static std::vector<ParamSpec> paramSpecs() {
        return {
            ParamSpec::intList("pool_size", {2, 2}, 2, 2, 1, 1024, "Window height and width"),
            ParamSpec::intList("strides", {}, 0, 2, 1, 1024,
                               "Step between windows; empty means the pool size"),
            ParamSpec::choice("padding", "valid", {"valid", "same"},
                              "valid: only whole windows; same: pad so the output has "
                              "ceil(in / stride) cells"),
        };
    }

    /// Keras' MaxPooling2D or AveragePooling2D config as the Loom kind `type`.
    static KerasLayerImport fromKeras(const KerasLayerReader& r, const char* type) {
        nlohmann::json params = {{"pool_size", r.pair("pool_size", 2)}, {"padding", r.padding()}};
        if (r.config().contains("strides") && !r.config()["strides"].is_null()) {
            params["strides"] = r.pair("strides", 1);
        }
        return {type, params, 3};
    }

    static void toKeras(KerasLayerWriter& w) {
        const std::vector<int64_t>& strides = w.params().getInts("strides");
        w.config().update({{"pool_size", w.params().getInts("pool_size")},
                           {"padding", w.params().getString("padding")},
                           {"strides", strides.empty() ? w.params().getInts("pool_size") : strides},
                           {"data_format", "channels_last"}});
    }

    static void toOnnx(OnnxLayerWriter& w) {
        const auto& pool = static_cast<const Pooling2D&>(w.layer());
        const Pool2DGeometry g = pool.geometry(w.inputShape());
        const bool max = pool.m_mode == PoolMode::Max;
        OnnxNode& node = w.addNode(max ? "MaxPool" : "AveragePool", {w.input()}, w.output());
        node.attributes = {
            OnnxLayerWriter::intsAttribute("kernel_shape", {g.kernelH, g.kernelW}),
            OnnxLayerWriter::intsAttribute("strides", {g.strideH, g.strideW}),
            OnnxLayerWriter::intsAttribute("pads", {g.padTop, g.padLeft, g.padBottom, g.padRight}),
        };
        if (!max) {
            // Loom's average, like Keras', leaves the padded cells out of each window's count.
            node.attributes.push_back(OnnxLayerWriter::intAttribute("count_include_pad", 0));
        }
    }

    static void fromOnnx(OnnxImporter& imp, const OnnxNode& node) {
        const bool max = node.opType == "MaxPool";
        const Image x = imageInput(imp, node);
        const Shape image = imp.shapeOf(x.layer);
        const Window win =
            windowOf(imp, node, image, node.getInts("kernel_shape", {}), x.spatial());
        if (win.dilations != std::array<int64_t, 2>{1, 1}) {
            imp.fail(node, "dilated pooling is not supported by Loom's pooling layers");
        }
        for (size_t i = 0; i < x.spatial() && node.getInt("ceil_mode", 0) != 0; ++i) {
            const int64_t span = image[1 + i] + win.padBegin[i] + win.padEnd[i] - win.kernel[i];
            if (span % win.strides[i] != 0) {
                imp.fail(node,
                         "ceil_mode 1 adds a partial window here, which Loom's pooling does not");
            }
        }
        // Padded cells count in ONNX's average with count_include_pad 1: zeros padded in front
        // give exactly that; Loom's own padding leaves them out, as ONNX's default does.
        const bool countPadding = !max && node.getInt("count_include_pad", 0) != 0;
        const PadFit fit = padFit(win, image);
        std::string input = x.layer, padding = "valid";
        if (fit == PadFit::Same && !countPadding) {
            padding = "same";
        } else if (fit != PadFit::None) {
            if (!countPadding) {
                imp.fail(node, "pads " +
                                   onnxListText({win.padBegin[0], win.padBegin[1], win.padEnd[0],
                                                 win.padEnd[1]}) +
                                   " are not Keras' \"same\" padding, the only padding Loom's " +
                                   "pooling layers leave out of each window");
            }
            input = addZeroPadding(imp, node, input, win);
        }
        const std::string pool = imp.addLayer(
            node, max ? "MaxPool2D" : "AveragePool2D",
            {{"pool_size", win.kernel}, {"strides", win.strides}, {"padding", padding}}, {input});
        imp.bindLayer(imp.output(node), imageOutput(imp, node, pool, x));
    }

    Pool2DGeometry geometry(const Shape& in) const {
        Pool2DGeometry g;
        std::tie(g.kernelH, g.kernelW) = pairParam(*this, "pool_size");
        if (params().getInts("strides").empty()) {
            std::tie(g.strideH, g.strideW) = std::pair(g.kernelH, g.kernelW);
        } else {
            std::tie(g.strideH, g.strideW) = pairParam(*this, "strides");
        }
        if (params().getString("padding") == "same") {
            std::tie(g.padTop, g.padBottom) = samePadding(in[1], g.kernelH, g.strideH, 1);
            std::tie(g.padLeft, g.padRight) = samePadding(in[2], g.kernelW, g.strideW, 1);
        }
        return g;
    }

private:
    PoolMode m_mode;
};

}  // namespace loom::layers
