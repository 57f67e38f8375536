#pragma once
// The shared body of MaxPool2D and AveragePool2D: the same window geometry with a different
// reduction.
//   max:     y[n,c,p,q] = max over the window;  dx gets dy at the window's first maximum
//   average: y[n,c,p,q] = mean over the window's cells inside the input (padding excluded)

#include "LayerSupport.h"

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

private:
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

    PoolMode m_mode;
};

}  // namespace loom::layers
