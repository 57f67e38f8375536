// Cases of pooling, global average pooling and zero padding. Pooling follows the CPU backend
// rule for rule on every device (the first maximum of a window takes its gradient, a NaN wins,
// sums run in the same order), so their parity is exact.

#include "BackendOpCaseBuilders.h"

#include <cmath>
#include <limits>

namespace loom::test {

const std::vector<PoolSpec>& poolSpecs() {
    static const std::vector<PoolSpec> specs = {
        {"2x2 stride 2", {2, 3, 6, 6}, {}},
        {"2x2 stride 2 odd size", {1, 2, 5, 7}, {}},
        {"W4 pool", {4, 64, 24, 24}, {}, true},
        {"3x3 stride 2 pad 1",
         {2, 2, 7, 7},
         {.kernelH = 3, .kernelW = 3, .padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1}},
        {"3x3 stride 1 asymmetric pads",
         {1, 2, 5, 6},
         {.kernelH = 3,
          .kernelW = 3,
          .strideH = 1,
          .strideW = 1,
          .padTop = 0,
          .padLeft = 2,
          .padBottom = 1,
          .padRight = 0}},
        {"2x3 strides 1x2", {2, 1, 5, 7}, {.kernelH = 2, .kernelW = 3, .strideH = 1, .strideW = 2}},
        {"3x3 stride 1 overlapping",
         {2, 3, 9, 8},
         {.kernelH = 3, .kernelW = 3, .strideH = 1, .strideW = 1}},
    };
    return specs;
}

const char* poolModeName(PoolMode mode) {
    switch (mode) {
        case PoolMode::Max:
            return "max";
        case PoolMode::AverageExcludePadding:
            return "avg-exclude-pad";
        case PoolMode::AverageIncludePadding:
            return "avg-include-pad";
    }
    return "?";
}

const std::vector<PoolMode>& poolModes() {
    static const std::vector<PoolMode> modes = {PoolMode::Max, PoolMode::AverageExcludePadding,
                                                PoolMode::AverageIncludePadding};
    return modes;
}

namespace cases {

namespace {

// Calls f(plane, p, q, cells) for every window, where cells lists the flat indices (within the
// plane) of the window's cells inside the input, in row-major order.
template <typename F>
void forEachWindow(const PoolSpec& s, F&& f) {
    const Shape out = s.g.outputShape(s.x);
    const int64_t planes = s.x[0] * s.x[1], H = s.x[2], W = s.x[3];
    std::vector<int64_t> cells;
    for (int64_t i = 0; i < planes; ++i)
        for (int64_t p = 0; p < out[2]; ++p)
            for (int64_t q = 0; q < out[3]; ++q) {
                cells.clear();
                for (int64_t r = 0; r < s.g.kernelH; ++r)
                    for (int64_t t = 0; t < s.g.kernelW; ++t) {
                        const int64_t h = p * s.g.strideH - s.g.padTop + r;
                        const int64_t v = q * s.g.strideW - s.g.padLeft + t;
                        if (h >= 0 && h < H && v >= 0 && v < W) {
                            cells.push_back(h * W + v);
                        }
                    }
                f(i, (i * out[2] + p) * out[3] + q, cells);
            }
}

// The window's first maximum in row-major order; its first NaN, if it holds one.
int64_t firstMaximum(const double* plane, const std::vector<int64_t>& cells) {
    int64_t best = cells[0];
    for (int64_t c : cells) {
        if (std::isnan(plane[c])) {
            return std::isnan(plane[best]) ? best : c;
        }
        if (plane[c] > plane[best]) {
            best = c;
        }
    }
    return best;
}

double divisor(PoolMode mode, const PoolSpec& s, const std::vector<int64_t>& cells) {
    return mode == PoolMode::AverageIncludePadding ? double(s.g.kernelH * s.g.kernelW)
                                                   : double(cells.size());
}

// Direct pooling in float64. Padded cells are skipped (and counted only when mode is
// AverageIncludePadding).
Tensor referencePool(PoolMode mode, const PoolSpec& s, const Tensor& xt) {
    const Tensor x = f64(xt);
    Tensor y = Tensor::zeros(s.g.outputShape(s.x), DType::F64);
    const int64_t cellsPerPlane = s.x[2] * s.x[3];
    forEachWindow(s, [&](int64_t plane, int64_t out, const std::vector<int64_t>& cells) {
        const double* in = x.data<double>() + plane * cellsPerPlane;
        if (mode == PoolMode::Max) {
            y.set(out, in[firstMaximum(in, cells)]);
            return;
        }
        double sum = 0;
        for (int64_t c : cells) {
            sum += in[c];
        }
        y.set(out, sum / divisor(mode, s, cells));
    });
    return y;
}

Tensor referencePoolBackward(PoolMode mode, const PoolSpec& s, const Tensor& xt,
                             const Tensor& dyt) {
    const Tensor x = f64(xt), dy = f64(dyt);
    Tensor dx = Tensor::zeros(s.x, DType::F64);
    const int64_t cellsPerPlane = s.x[2] * s.x[3];
    forEachWindow(s, [&](int64_t plane, int64_t out, const std::vector<int64_t>& cells) {
        const double* in = x.data<double>() + plane * cellsPerPlane;
        double* g = dx.data<double>() + plane * cellsPerPlane;
        if (mode == PoolMode::Max) {
            g[firstMaximum(in, cells)] += dy.at(out);
            return;
        }
        for (int64_t c : cells) {
            g[c] += dy.at(out) / divisor(mode, s, cells);
        }
    });
    return dx;
}

// All negative, so that a padded zero counted as a maximum would show. With ties, the values
// are quantised so that windows hold equal maxima, and a NaN is planted to check that it wins.
Tensor poolInput(const PoolSpec& s, DType dt, uint64_t seed, bool ties) {
    Tensor x = seeded(s.x, dt, seed, -2.0, -0.5);
    if (ties) {
        for (int64_t i = 0; i < x.numel(); ++i) {
            x.set(i, std::floor(x.at(i) * 2.0) / 2.0);
        }
        x.set(x.numel() / 2, std::numeric_limits<double>::quiet_NaN());
    }
    return x;
}

void addPoolCases(std::vector<OpCase>& table, const PoolSpec& s, PoolMode mode, DType dt,
                  bool ties) {
    const std::string name =
        std::string(poolModeName(mode)) + (ties ? " ties and NaN " : " ") + s.name;
    const uint64_t seed = seedOf("pool " + s.name) + uint64_t(mode);
    const Shape yShape = s.g.outputShape(s.x);
    auto x = [=] { return poolInput(s, dt, seed, ties); };
    auto dy = [=] { return seeded(yShape, dt, seed + 1); };
    // Against float64, sums in the op's own type round once per cell of a window (a maximum
    // is exact; its gradient sums where windows overlap). Between devices, exact.
    const Tolerance summed{kReduction.reference, kExact};
    addCase(
        table, BackendOp::pool2dForward, name, dt, mode == PoolMode::Max ? kCopies : summed,
        [=](Backend& b) {
            Tensor y = unwritten(b, yShape, dt);
            b.pool2dForward(mode, onDevice(b, x()), s.g, y);
            return Outputs{{"y", y}};
        },
        [=] {
            return Outputs{{"y", referencePool(mode, s, x())}};
        });
    addCase(
        table, BackendOp::pool2dBackward, name, dt, summed,
        [=](Backend& b) {
            const Tensor xd = onDevice(b, x());
            Tensor y = unwritten(b, yShape, dt), dx = unwritten(b, s.x, dt);
            b.pool2dForward(mode, xd, s.g, y);
            b.pool2dBackward(mode, xd, y, onDevice(b, dy()), s.g, dx);
            return Outputs{{"dx", dx}};
        },
        [=] {
            return Outputs{{"dx", referencePoolBackward(mode, s, x(), dy())}};
        });
}

void addGlobalPoolCases(std::vector<OpCase>& table, DType dt) {
    const Shape xs{3, 5, 7, 6};
    for (const Shape& ys : {Shape{3, 5}, Shape{3, 5, 1, 1}}) {
        auto x = [=] { return seeded(xs, dt, 21); };
        auto dy = [=] { return seeded(ys, dt, 22); };
        addCase(
            table, BackendOp::globalAveragePoolForward, "into " + ys.str(), dt,
            Tolerance{kReduction.reference, kElementwise.parity},
            [=](Backend& b) {
                Tensor y = unwritten(b, ys, dt);
                b.globalAveragePoolForward(onDevice(b, x()), y);
                return Outputs{{"y", y}};
            },
            [=] {
                const Tensor xt = f64(x());
                Tensor y = Tensor::zeros(ys, DType::F64);
                const int64_t cells = xs[2] * xs[3];
                for (int64_t i = 0; i < xt.numel(); ++i) {
                    y.set(i / cells, y.at(i / cells) + xt.at(i) / double(cells));
                }
                return Outputs{{"y", y}};
            });
        addCase(
            table, BackendOp::globalAveragePoolBackward, "from " + ys.str(), dt, kRounded,
            [=](Backend& b) {
                Tensor dx = unwritten(b, xs, dt);
                b.globalAveragePoolBackward(onDevice(b, dy()), dx);
                return Outputs{{"dx", dx}};
            },
            [=] {
                const Tensor g = f64(dy());
                Tensor dx = Tensor::zeros(xs, DType::F64);
                const int64_t cells = xs[2] * xs[3];
                for (int64_t i = 0; i < dx.numel(); ++i) {
                    dx.set(i, g.at(i / cells) / double(cells));
                }
                return Outputs{{"dx", dx}};
            });
    }
}

void addPadCases(std::vector<OpCase>& table, DType dt) {
    const std::pair<Shape, Padding2D> pads[] = {
        {{2, 3, 5, 4}, {.top = 1, .bottom = 2, .left = 3, .right = 0}},
        {{3, 2, 4, 5}, {.top = 1, .bottom = 0, .left = 2, .right = 1}},
    };
    for (const auto& [xs, p] : pads) {
        const Shape ys{xs[0], xs[1], xs[2] + p.top + p.bottom, xs[3] + p.left + p.right};
        const uint64_t seed = seedOf("pad " + xs.str());
        // The padded cell of y for cell i of x.
        auto padded = [=](int64_t i) {
            const int64_t plane = i / (xs[2] * xs[3]), h = i / xs[3] % xs[2], w = i % xs[3];
            return (plane * ys[2] + h + p.top) * ys[3] + w + p.left;
        };
        addCase(
            table, BackendOp::pad2dForward, xs.str() + " to " + ys.str(), dt, kCopies,
            [=](Backend& b) {
                Tensor y = unwritten(b, ys, dt);
                b.pad2dForward(onDevice(b, seeded(xs, dt, seed)), p, y);
                return Outputs{{"y", y}};
            },
            [=] {
                const Tensor x = seeded(xs, dt, seed);
                Tensor y = Tensor::zeros(ys, DType::F64);
                for (int64_t i = 0; i < x.numel(); ++i) {
                    y.set(padded(i), x.at(i));
                }
                return Outputs{{"y", y}};
            });
        addCase(
            table, BackendOp::pad2dBackward, ys.str() + " to " + xs.str(), dt, kCopies,
            [=](Backend& b) {
                Tensor dx = unwritten(b, xs, dt);
                b.pad2dBackward(onDevice(b, seeded(ys, dt, seed + 1)), p, dx);
                return Outputs{{"dx", dx}};
            },
            [=] {
                const Tensor dy = seeded(ys, dt, seed + 1);
                Tensor dx = Tensor::zeros(xs, DType::F64);
                for (int64_t i = 0; i < dx.numel(); ++i) {
                    dx.set(i, dy.at(padded(i)));
                }
                return Outputs{{"dx", dx}};
            });
    }
}

}  // namespace

void addPoolingCases(std::vector<OpCase>& table) {
    for (DType dt : {DType::F32, DType::F64}) {
        for (const PoolSpec& s : poolSpecs()) {
            for (PoolMode mode : poolModes()) {
                addPoolCases(table, s, mode, dt, false);
            }
            addPoolCases(table, s, PoolMode::Max, dt, true);
        }
        addGlobalPoolCases(table, dt);
        addPadCases(table, dt);
    }
}

}  // namespace cases

}  // namespace loom::test
