// Cases of the three convolution ops, one per geometry of convSpecs(): every geometry the CPU
// backend's suites and the CUDA parity cases used, fixed ones that exercise edge cases
// (asymmetric padding, strides, dilation, groups, odd sizes, the CPU's one-image and
// batch-parallel paths, the tutorials' shapes) and random ones.

#include "BackendOpCaseBuilders.h"

#include <loom/Error.h>

#include <array>

namespace loom::test {

const std::vector<ConvSpec>& convSpecs() {
    static const std::vector<ConvSpec> specs = [] {
        std::vector<ConvSpec> s = {
            {"3x3 valid", {2, 3, 7, 6}, {4, 3, 3, 3}, {}},
            {"3x3 asymmetric pads",
             {2, 2, 6, 7},
             {3, 2, 3, 3},
             {.padTop = 1, .padLeft = 0, .padBottom = 2, .padRight = 1}},
            {"stride 2 pad 1",
             {3, 2, 9, 8},
             {2, 2, 3, 3},
             {.strideH = 2,
              .strideW = 2,
              .padTop = 1,
              .padLeft = 1,
              .padBottom = 1,
              .padRight = 1}},
            {"dilation 2 pad 2",
             {2, 2, 9, 9},
             {3, 2, 3, 3},
             {.padTop = 2,
              .padLeft = 2,
              .padBottom = 2,
              .padRight = 2,
              .dilationH = 2,
              .dilationW = 2}},
            {"strides 2x3 dilation 2x1 mixed pads",
             {2, 3, 11, 10},
             {2, 3, 3, 2},
             {.strideH = 2,
              .strideW = 3,
              .padTop = 0,
              .padLeft = 2,
              .padBottom = 1,
              .padRight = 0,
              .dilationH = 2,
              .dilationW = 1}},
            {"pointwise 1x1", {2, 4, 5, 5}, {3, 4, 1, 1}, {}},
            {"1x1 stride 2", {2, 4, 5, 6}, {3, 4, 1, 1}, {.strideH = 2, .strideW = 2}},
            {"one image (threaded GEMM path)",
             {1, 3, 8, 8},
             {4, 3, 3, 3},
             {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1}},
            {"five images", {5, 2, 6, 6}, {3, 2, 2, 2}, {}},
            // Big enough for the one-image path to split its GEMMs over the cores.
            {"one big image",
             {1, 16, 32, 32},
             {32, 16, 3, 3},
             {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1},
             true},
            {"big batch", {4, 16, 16, 16}, {32, 16, 3, 3}, {}, true},
            {"W4 conv2", {8, 32, 26, 26}, {64, 32, 3, 3}, {}, true},
            {"W3 2x2", {16, 32, 13, 13}, {64, 32, 2, 2}, {}, true},
            // Grouped: each output channel reads its group's input channels only.
            {"2 groups", {2, 4, 7, 7}, {6, 2, 3, 3}, {.groups = 2}},
            {"depthwise 3x3 same",
             {2, 4, 7, 6},
             {4, 1, 3, 3},
             {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1, .groups = 4}},
            {"depthwise multiplier 2 stride 2",
             {2, 3, 9, 8},
             {6, 1, 3, 3},
             {.strideH = 2, .strideW = 2, .padBottom = 1, .padRight = 1, .groups = 3}},
            {"depthwise x2 same pads",
             {2, 3, 8, 8},
             {6, 1, 3, 3},
             {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1, .groups = 3}},
            {"depthwise stride 2 asymmetric",
             {2, 4, 9, 9},
             {4, 1, 3, 3},
             {.strideH = 2,
              .strideW = 2,
              .padTop = 0,
              .padLeft = 0,
              .padBottom = 1,
              .padRight = 1,
              .groups = 4}},
            {"2 groups dilated",
             {3, 4, 8, 8},
             {6, 2, 3, 2},
             {.padTop = 1, .padLeft = 2, .dilationH = 2, .groups = 2}},
            {"2 groups pointwise", {2, 6, 5, 5}, {4, 3, 1, 1}, {.groups = 2}},
            {"depthwise one image", {1, 5, 6, 6}, {5, 1, 3, 3}, {.groups = 5}},
            // Enough (image, group) tasks and work for the CPU's parallel path.
            {"depthwise big batch",
             {8, 32, 16, 16},
             {64, 1, 3, 3},
             {.padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1, .groups = 32},
             true},
        };
        // Random geometries; a draw whose filter does not fit its input is drawn again.
        const uint64_t seed = cases::seedOf("conv random");
        uint64_t counter = 0;
        auto roll = [&](int64_t low, int64_t high) {
            const double u = counterUniform(seed, counter++);
            return low + std::min<int64_t>(high - low, int64_t(u * double(high - low + 1)));
        };
        for (int i = 0; i < 6; ++i) {
            while (true) {
                Conv2DGeometry g;
                g.strideH = int(roll(1, 3)), g.strideW = int(roll(1, 3));
                g.dilationH = int(roll(1, 2)), g.dilationW = int(roll(1, 2));
                g.padTop = int(roll(0, 2)), g.padBottom = int(roll(0, 2));
                g.padLeft = int(roll(0, 2)), g.padRight = int(roll(0, 2));
                const Shape x{roll(1, 4), roll(1, 8), roll(3, 14), roll(3, 14)};
                const Shape w{roll(1, 8), x[1], roll(1, 4), roll(1, 4)};
                try {
                    g.outputShape(x, w);
                } catch (const ShapeError&) {
                    continue;
                }
                s.push_back(
                    {"random " + std::to_string(i) + " x" + x.str() + " w" + w.str(), x, w, g});
                break;
            }
        }
        return s;
    }();
    return specs;
}

namespace cases {

namespace {

enum class Direction { Forward, BackwardData, BackwardFilter };

// The direct convolution (cross-correlation, as every framework computes it) in float64, or
// either of its adjoints: y from x and w; dx from dy and w; dw from x and dy. Each term
// x[n, ch, h, v] * w[k, c, r, t] * dy[n, k, p, q] of the one loop nest lands in the output of
// its direction. With groups, output channel k reads the C/groups input channels of its group.
Tensor referenceConv(Direction dir, const ConvSpec& s, const Tensor& a, const Tensor& b) {
    const Shape out = s.g.outputShape(s.x, s.w);
    const Tensor first = f64(a), second = f64(b);
    const double* pa = first.data<double>();
    const double* pb = second.data<double>();
    const Shape& result = dir == Direction::Forward        ? out
                          : dir == Direction::BackwardData ? s.x
                                                           : s.w;
    Tensor r = Tensor::zeros(result, DType::F64);
    double* pr = r.data<double>();
    const int64_t N = s.x[0], C = s.x[1], H = s.x[2], W = s.x[3];
    const int64_t K = s.w[0], Cg = s.w[1], R = s.w[2], S = s.w[3], P = out[2], Q = out[3];
    const int64_t groupFilters = K / s.g.groups;
    const Conv2DGeometry& g = s.g;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t p = 0; p < P; ++p)
                for (int64_t q = 0; q < Q; ++q) {
                    const int64_t yi = ((n * K + k) * P + p) * Q + q;
                    double acc = 0.0;
                    for (int64_t c = 0; c < Cg; ++c)
                        for (int64_t rr = 0; rr < R; ++rr)
                            for (int64_t t = 0; t < S; ++t) {
                                const int64_t h = p * g.strideH - g.padTop + rr * g.dilationH;
                                const int64_t v = q * g.strideW - g.padLeft + t * g.dilationW;
                                if (h < 0 || h >= H || v < 0 || v >= W) {
                                    continue;
                                }
                                const int64_t ch = k / groupFilters * Cg + c;
                                const int64_t xi = ((n * C + ch) * H + h) * W + v;
                                const int64_t wi = ((k * Cg + c) * R + rr) * S + t;
                                if (dir == Direction::Forward) {
                                    acc += pa[xi] * pb[wi];  // a = x, b = w
                                } else if (dir == Direction::BackwardData) {
                                    pr[xi] += pa[yi] * pb[wi];  // a = dy, b = w
                                } else {
                                    pr[wi] += pa[xi] * pb[yi];  // a = x, b = dy
                                }
                            }
                    if (dir == Direction::Forward) {
                        pr[yi] = acc;
                    }
                }
    return r;
}

void addConvolutionCasesOf(std::vector<OpCase>& table, const ConvSpec& s, DType dt) {
    const uint64_t seed = seedOf("conv " + s.name);
    const Shape yShape = s.g.outputShape(s.x, s.w);
    auto x = [=] { return seeded(s.x, dt, seed); };
    auto w = [=] { return seeded(s.w, dt, seed + 1); };
    auto dy = [=] { return seeded(yShape, dt, seed + 2); };
    addCase(
        table, BackendOp::conv2dForward, s.name, dt, kConvolution,
        [=](Backend& b) {
            const Tensor xd = onDevice(b, x()), wd = onDevice(b, w());
            Tensor y = unwritten(b, yShape, dt), again = unwritten(b, yShape, dt);
            b.conv2dForward(xd, wd, s.g, y);
            // A second call reuses what the first one set up (cuDNN's plan) and must agree.
            b.conv2dForward(xd, wd, s.g, again);
            return Outputs{{"y", y}, {"y (second call)", again}};
        },
        [=] {
            const Tensor y = referenceConv(Direction::Forward, s, x(), w());
            return Outputs{{"y", y}, {"y (second call)", y}};
        });
    addCase(
        table, BackendOp::conv2dBackwardData, s.name, dt, kConvolution,
        [=](Backend& b) {
            Tensor dx = unwritten(b, s.x, dt);
            b.conv2dBackwardData(onDevice(b, dy()), onDevice(b, w()), s.g, dx);
            return Outputs{{"dx", dx}};
        },
        [=] {
            return Outputs{{"dx", referenceConv(Direction::BackwardData, s, dy(), w())}};
        });
    addCase(
        table, BackendOp::conv2dBackwardFilter, s.name, dt, kConvolution,
        [=](Backend& b) {
            Tensor dw = unwritten(b, s.w, dt);
            b.conv2dBackwardFilter(onDevice(b, x()), onDevice(b, dy()), s.g, dw);
            return Outputs{{"dw", dw}};
        },
        [=] {
            return Outputs{{"dw", referenceConv(Direction::BackwardFilter, s, x(), dy())}};
        });
}

}  // namespace

void addConvolutionCases(std::vector<OpCase>& table) {
    for (DType dt : {DType::F32, DType::F64}) {
        for (const ConvSpec& s : convSpecs()) {
            addConvolutionCasesOf(table, s, dt);
        }
        // Empty problems: no images, and no filters. The output is an empty sum, 0.
        const ConvSpec noImages{"no images", {0, 3, 5, 5}, {2, 3, 3, 3}, {}};
        const ConvSpec noFilters{"no filters", {2, 3, 5, 5}, {0, 3, 3, 3}, {}};
        addConvolutionCasesOf(table, noImages, dt);
        addConvolutionCasesOf(table, noFilters, dt);
    }
}

}  // namespace cases

}  // namespace loom::test
