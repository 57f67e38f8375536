// Cases of dropout, the element-wise ops, the reductions and concatenation.

#include "BackendOpCaseBuilders.h"

#include <cmath>
#include <limits>

namespace loom::test::cases {

namespace {

constexpr DType kDtypes[] = {DType::F32, DType::F64};
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// ---- dropout ------------------------------------------------------------------------------

void addDropoutCases(std::vector<OpCase>& table) {
    // The mask comes from the counter-based generator: element i is dropped when
    // uniform(seed, offset + i) < rate, so every device must draw the same mask bit for bit.
    const uint64_t seed = 0x1234abcdULL, offset = 987654321012ULL;
    for (DType dt : kDtypes) {
        for (double rate : {0.0, 0.25, 0.3, 0.5, 1.0}) {
            const Shape shape = rate == 0.3 ? Shape{100, 1000} : Shape{7, 13, 11};
            auto x = [=] { return seeded(shape, dt, 41, 0.5, 1.5); };
            addCase(
                table, BackendOp::dropoutForward,
                "rate " + std::to_string(rate).substr(0, 4) + " " + shape.str(), dt, kRounded,
                [=](Backend& b) {
                    Tensor mask = unwritten(b, shape, dt), y = unwritten(b, shape, dt);
                    b.dropoutForward(onDevice(b, x()), rate, seed, offset, mask, y);
                    return Outputs{{"mask", mask}, {"y", y}};
                },
                [=] {
                    const Tensor xt = f64(x());
                    Tensor mask = Tensor::zeros(shape, DType::F64), y = mask.clone();
                    const double scale = rate < 1.0 ? 1.0 / (1.0 - rate) : 0.0;
                    for (int64_t i = 0; i < xt.numel(); ++i) {
                        const bool dropped = counterUniform(seed, offset + uint64_t(i)) < rate;
                        mask.set(i, dropped ? 0.0 : scale);
                        y.set(i, xt.at(i) * mask.at(i));
                    }
                    return Outputs{{"mask", mask}, {"y", y}};
                });
        }
    }
}

// ---- element-wise -------------------------------------------------------------------------

// y = op(a, b) element by element, and in place (y aliasing a).
template <typename Run, typename Value>
void addBinaryCase(std::vector<OpCase>& table, BackendOp op, const Shape& shape, DType dt,
                   Tolerance tolerance, Run runOp, Value value) {
    const uint64_t seed = seedOf(std::string(opName(op)) + shape.str());
    auto a = [=] { return seeded(shape, dt, seed); };
    auto b = [=] { return seeded(shape, dt, seed + 1); };
    addCase(
        table, op, shape.str(), dt, tolerance,
        [=](Backend& backend) {
            const Tensor ad = onDevice(backend, a()), bd = onDevice(backend, b());
            Tensor y = unwritten(backend, shape, dt), inPlace = onDevice(backend, a());
            runOp(backend, ad, bd, y);
            runOp(backend, inPlace, bd, inPlace);
            return Outputs{{"y", y}, {"y in place", inPlace}};
        },
        [=] {
            const Tensor at = a(), bt = b();
            Tensor y = Tensor::zeros(shape, DType::F64);
            for (int64_t i = 0; i < y.numel(); ++i) {
                y.set(i, value(at.at(i), bt.at(i)));
            }
            return Outputs{{"y", y}, {"y in place", y}};
        });
}

// y = 0.7 x - 1.3 y, and with x aliasing y.
void addAxpbyCase(std::vector<OpCase>& table, const Shape& shape, DType dt) {
    const uint64_t seed = seedOf("axpby" + shape.str());
    auto x = [=] { return seeded(shape, dt, seed); };
    auto y0 = [=] { return seeded(shape, dt, seed + 1); };
    addCase(
        table, BackendOp::axpby, shape.str(), dt, kElementwise,
        [=](Backend& b) {
            Tensor y = onDevice(b, y0()), aliased = onDevice(b, x());
            b.axpby(0.7, onDevice(b, x()), -1.3, y);
            b.axpby(0.7, aliased, -1.3, aliased);
            return Outputs{{"y", y}, {"y aliasing x", aliased}};
        },
        [=] {
            const Tensor xt = x(), yt = y0();
            Tensor y = Tensor::zeros(shape, DType::F64), aliased = y.clone();
            for (int64_t i = 0; i < y.numel(); ++i) {
                y.set(i, 0.7 * xt.at(i) - 1.3 * yt.at(i));
                aliased.set(i, 0.7 * xt.at(i) - 1.3 * xt.at(i));
            }
            return Outputs{{"y", y}, {"y aliasing x", aliased}};
        });
}

void addElementwiseOpCases(std::vector<OpCase>& table) {
    for (DType dt : kDtypes) {
        // Small, and large enough to run on every core.
        for (const Shape& shape : {Shape{2, 2}, Shape{37, 29}, Shape{300000}}) {
            addAxpbyCase(table, shape, dt);
            addBinaryCase(
                table, BackendOp::add, shape, dt, kRounded,
                [](Backend& bk, const Tensor& a, const Tensor& b, Tensor& y) { bk.add(a, b, y); },
                [](double a, double b) { return a + b; });
            addBinaryCase(
                table, BackendOp::multiply, shape, dt, kRounded,
                [](Backend& bk, const Tensor& a, const Tensor& b, Tensor& y) {
                    bk.multiply(a, b, y);
                },
                [](double a, double b) { return a * b; });
        }
        // beta 0 ignores what y held, NaN included.
        const Shape shape{37, 29};
        addCase(
            table, BackendOp::axpby, "beta 0 over NaN", dt, kRounded,
            [=](Backend& b) {
                Tensor y = onDevice(b, Tensor::full(shape, kNan, dt));
                b.axpby(2.0, onDevice(b, seeded(shape, dt, 51)), 0.0, y);
                return Outputs{{"y", y}};
            },
            [=] {
                Tensor y = f64(seeded(shape, dt, 51));
                for (int64_t i = 0; i < y.numel(); ++i) {
                    y.set(i, 2.0 * y.at(i));
                }
                return Outputs{{"y", y}};
            });
    }
}

// ---- reductions ---------------------------------------------------------------------------

// x of n elements; with `bad`, a NaN, +inf and -inf planted at the start, middle and end.
Tensor reductionInput(int64_t n, DType dt, bool bad) {
    Tensor x = seeded({n}, dt, 61 + uint64_t(n), -1, 1.5);
    if (bad && n > 3) {
        x.set(0, kNan);
        x.set(n / 2, kInf);
        x.set(n - 1, -kInf);
    }
    return x;
}

void addReductionCases(std::vector<OpCase>& table) {
    for (DType dt : kDtypes) {
        for (int64_t n : {int64_t(1), int64_t(1000), int64_t(301000), int64_t(1) << 20}) {
            const std::string name = "n=" + std::to_string(n);
            for (bool squares : {false, true}) {
                addCase(
                    table, squares ? BackendOp::sumSquares : BackendOp::sum, name, dt, kReduction,
                    [=](Backend& b) {
                        Tensor result = unwritten(b, {1}, dt);
                        const Tensor x = onDevice(b, reductionInput(n, dt, false));
                        squares ? b.sumSquares(x, result) : b.sum(x, result);
                        return Outputs{{"result", result}};
                    },
                    [=] {
                        const Tensor x = reductionInput(n, dt, false);
                        double total = 0;
                        for (int64_t i = 0; i < n; ++i) {
                            total += squares ? x.at(i) * x.at(i) : x.at(i);
                        }
                        return Outputs{{"result", Tensor::full({1}, total, DType::F64)}};
                    });
            }
            for (bool bad : {false, true}) {
                addCase(
                    table, BackendOp::countNonFinite,
                    name + (bad ? " with NaN and infinities" : ""), dt, kCopies,
                    [=](Backend& b) {
                        const int64_t count =
                            b.countNonFinite(onDevice(b, reductionInput(n, dt, bad)));
                        return Outputs{{"count", Tensor::full({1}, double(count), DType::F64)}};
                    },
                    [=] {
                        const Tensor x = reductionInput(n, dt, bad);
                        int64_t count = 0;
                        for (int64_t i = 0; i < n; ++i) {
                            count += std::isfinite(x.at(i)) ? 0 : 1;
                        }
                        return Outputs{{"count", Tensor::full({1}, double(count), DType::F64)}};
                    });
            }
        }
    }
}

// ---- concat and split ---------------------------------------------------------------------

// The shapes of the parts of `whole` along `axis`, with these extents there.
std::vector<Shape> partShapes(const Shape& whole, int axis, const std::vector<int64_t>& extents) {
    std::vector<Shape> parts;
    for (int64_t extent : extents) {
        std::vector<int64_t> dims = whole.dims();
        dims[size_t(axis)] = extent;
        parts.emplace_back(dims);
    }
    return parts;
}

// For every element of the whole: which part holds it and where. Seen from the axis, a tensor
// is `outer` rows of contiguous chunks; a row of the whole is its parts' chunks in order.
template <typename F>
void forEachPartElement(const Shape& whole, int axis, const std::vector<Shape>& parts, F&& f) {
    int64_t outer = 1;
    for (int a = 0; a < axis; ++a) {
        outer *= whole[size_t(a)];
    }
    int64_t at = 0;
    for (int64_t o = 0; o < outer; ++o) {
        for (size_t p = 0; p < parts.size(); ++p) {
            const int64_t chunk = parts[p].numel() / outer;
            for (int64_t j = 0; j < chunk; ++j) {
                f(at++, p, o * chunk + j);
            }
        }
    }
}

void addConcatCasesOf(std::vector<OpCase>& table, const Shape& whole, int axis,
                      const std::vector<int64_t>& extents, DType dt) {
    const std::vector<Shape> shapes = partShapes(whole, axis, extents);
    const std::string name = whole.str() + " axis " + std::to_string(axis);
    auto parts = [=] {
        std::vector<Tensor> t;
        for (size_t i = 0; i < shapes.size(); ++i) {
            t.push_back(seeded(shapes[i], dt, 71 + i));
        }
        return t;
    };
    auto source = [=] { return seeded(whole, dt, 79); };
    addCase(
        table, BackendOp::concat, name, dt, kCopies,
        [=](Backend& b) {
            std::vector<Tensor> onB;
            for (const Tensor& p : parts()) {
                onB.push_back(onDevice(b, p));
            }
            Tensor y = unwritten(b, whole, dt);
            b.concat(onB, axis, y);
            return Outputs{{"y", y}};
        },
        [=] {
            const std::vector<Tensor> p = parts();
            Tensor y = Tensor::zeros(whole, DType::F64);
            forEachPartElement(whole, axis, shapes,
                               [&](int64_t i, size_t part, int64_t j) { y.set(i, p[part].at(j)); });
            return Outputs{{"y", y}};
        });
    addCase(
        table, BackendOp::split, name, dt, kCopies,
        [=](Backend& b) {
            std::vector<Tensor> back;
            for (const Shape& s : shapes) {
                back.push_back(unwritten(b, s, dt));
            }
            b.split(onDevice(b, source()), axis, back);
            Outputs out;
            for (size_t i = 0; i < back.size(); ++i) {
                out.push_back({"part " + std::to_string(i), back[i]});
            }
            return out;
        },
        [=] {
            const Tensor y = source();
            std::vector<Tensor> back;
            for (const Shape& s : shapes) {
                back.push_back(Tensor::zeros(s, DType::F64));
            }
            forEachPartElement(whole, axis, shapes, [&](int64_t i, size_t part, int64_t j) {
                back[part].set(j, y.at(i));
            });
            Outputs out;
            for (size_t i = 0; i < back.size(); ++i) {
                out.push_back({"part " + std::to_string(i), back[i]});
            }
            return out;
        });
}

void addConcatCases(std::vector<OpCase>& table) {
    for (DType dt : kDtypes) {
        for (int axis : {1, 2, 3}) {
            const Shape whole{3, 6, 5, 4};
            addConcatCasesOf(table, whole, axis, {1, whole[size_t(axis)] - 3, 2}, dt);
            std::vector<int64_t> dims = {3, 4, 5, 6};
            dims[size_t(axis)] = 6;
            addConcatCasesOf(table, Shape(dims), axis, {2, 1, 3}, dt);
        }
        addConcatCasesOf(table, {2, 3}, 1, {2, 1}, dt);
    }
}

}  // namespace

void addElementwiseCases(std::vector<OpCase>& table) {
    addDropoutCases(table);
    addElementwiseOpCases(table);
    addReductionCases(table);
    addConcatCases(table);
}

}  // namespace loom::test::cases
