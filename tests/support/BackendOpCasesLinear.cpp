// Cases of the memory ops (allocate, copy, fill, synchronize), GEMM and the bias ops.

#include "BackendOpCaseBuilders.h"

#include <array>
#include <limits>

namespace loom::test::cases {

namespace {

constexpr DType kDtypes[] = {DType::F32, DType::F64};

// ---- memory -------------------------------------------------------------------------------

// What allocate promises: the shape, the dtype and the backend's device.
Tensor description(const Shape& shape, DType dtype, bool onBackend) {
    std::vector<double> values = {double(shape.rank())};
    for (int64_t d : shape.dims()) {
        values.push_back(double(d));
    }
    values.push_back(dtype == DType::F32 ? 32 : 64);
    values.push_back(onBackend ? 1 : 0);
    return Tensor::fromVector({int64_t(values.size())}, values);
}

void addMemoryCases(std::vector<OpCase>& table) {
    for (DType dt : kDtypes) {
        for (const Shape& shape : {Shape{2, 3}, Shape{4, 0, 5}, Shape{1}}) {
            addCase(
                table, BackendOp::allocate, shape.str(), dt, kCopies,
                [=](Backend& b) {
                    const Tensor t = b.allocate(shape, dt);
                    return Outputs{{"shape, dtype and device",
                                    description(t.shape(), t.dtype(), t.device() == b.device())}};
                },
                [=] {
                    return Outputs{{"shape, dtype and device", description(shape, dt, true)}};
                });
        }
        // Same size in another shape, and into the other element type.
        const Shape from{7, 6}, to{3, 14};
        for (DType target : kDtypes) {
            addCase(
                table, BackendOp::copy, std::string("(7, 6) into (3, 14) ") + dtypeLabel(target),
                dt, kCopies,
                [=](Backend& b) {
                    const Tensor src = onDevice(b, seeded(from, dt, 11));
                    Tensor dst = unwritten(b, to, target);
                    b.copy(src, dst);
                    return Outputs{{"dst", dst}};
                },
                [=] {
                    return Outputs{{"dst", f64(seeded(from, dt, 11)).reshape(to).to(target)}};
                });
        }
        addCase(
            table, BackendOp::copy, "device to host", dt, kCopies,
            [=](Backend& b) {
                const Tensor src = onDevice(b, seeded({5, 9}, dt, 12));
                Tensor host = Tensor::full({5, 9}, std::numeric_limits<double>::quiet_NaN(), dt);
                b.copy(src, host);
                return Outputs{{"host", host}};
            },
            [=] {
                return Outputs{{"host", seeded({5, 9}, dt, 12)}};
            });
        for (double value : {-2.5, 0.0, 1e30}) {
            addCase(
                table, BackendOp::fill, std::to_string(value), dt, kCopies,
                [=](Backend& b) {
                    Tensor t = onDevice(b, seeded({37, 29}, dt, 13));
                    b.fill(t, value);
                    return Outputs{{"t", t}};
                },
                [=] {
                    return Outputs{{"t", Tensor::full({37, 29}, value, dt)}};
                });
        }
        addCase(
            table, BackendOp::synchronize, "after a fill", dt, kCopies,
            [=](Backend& b) {
                Tensor t = b.allocate({1000, 33}, dt);
                b.fill(t, 3.0);
                b.synchronize();
                return Outputs{{"t", t}};
            },
            [=] {
                return Outputs{{"t", Tensor::full({1000, 33}, 3.0, dt)}};
            });
    }
}

// ---- GEMM ---------------------------------------------------------------------------------

struct GemmSpec {
    std::string name;
    int64_t m, k, n;
    bool transA, transB;
};

Tensor referenceGemm(const GemmSpec& s, double alpha, const Tensor& at, const Tensor& bt,
                     double beta, const Tensor& ct) {
    const Tensor a = f64(at), b = f64(bt), c0 = f64(ct);
    const double *pa = a.data<double>(), *pb = b.data<double>(), *pc = c0.data<double>();
    Tensor c = Tensor::zeros({s.m, s.n}, DType::F64);
    double* out = c.data<double>();
    for (int64_t i = 0; i < s.m; ++i) {
        for (int64_t j = 0; j < s.n; ++j) {
            double sum = 0;
            for (int64_t l = 0; l < s.k; ++l) {
                sum += pa[s.transA ? l * s.m + i : i * s.k + l] *
                       pb[s.transB ? j * s.k + l : l * s.n + j];
            }
            // beta 0 ignores what C held, NaN included.
            out[i * s.n + j] = alpha * sum + (beta == 0.0 ? 0.0 : beta * pc[i * s.n + j]);
        }
    }
    return c;
}

void addGemmCase(std::vector<OpCase>& table, const GemmSpec& s, DType dt, double alpha, double beta,
                 bool nanC) {
    const uint64_t seed = seedOf("gemm " + s.name);
    auto inputs = [=] {
        const Tensor a = seeded(s.transA ? Shape{s.k, s.m} : Shape{s.m, s.k}, dt, seed);
        const Tensor b = seeded(s.transB ? Shape{s.n, s.k} : Shape{s.k, s.n}, dt, seed + 1);
        const Tensor c =
            nanC ? Tensor::full({s.m, s.n}, std::numeric_limits<double>::quiet_NaN(), dt)
                 : seeded({s.m, s.n}, dt, seed + 2);
        return std::array<Tensor, 3>{a, b, c};
    };
    addCase(
        table, BackendOp::gemm, s.name, dt, kGemm,
        [=](Backend& backend) {
            const auto [a, b, c0] = inputs();
            Tensor c = onDevice(backend, c0);
            backend.gemm(s.transA, s.transB, alpha, onDevice(backend, a), onDevice(backend, b),
                         beta, c);
            return Outputs{{"c", c}};
        },
        [=] {
            const auto [a, b, c0] = inputs();
            return Outputs{{"c", referenceGemm(s, alpha, a, b, beta, c0)}};
        });
}

void addGemmCases(std::vector<OpCase>& table) {
    // Small; big enough to be split over the cores by columns (n >= m) and by rows; random
    // extents up to 300 per transpose pair (drawn once, from the case's name).
    std::vector<std::array<int64_t, 3>> sizes = {{3, 4, 5}, {70, 90, 200}, {200, 90, 70}};
    for (DType dt : kDtypes) {
        for (bool ta : {false, true}) {
            for (bool tb : {false, true}) {
                const std::string flags = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
                for (auto [m, k, n] : sizes) {
                    const std::string name = flags + " " + std::to_string(m) + "x" +
                                             std::to_string(k) + "x" + std::to_string(n);
                    addGemmCase(table, {name, m, k, n, ta, tb}, dt, 1.5, 0.5, false);
                }
                const uint64_t seed = seedOf("gemm random " + flags);
                auto roll = [&](uint64_t i) {
                    return 1 + int64_t(counterUniform(seed, i) * 300.0);
                };
                const int64_t m = roll(0), k = roll(1), n = roll(2);
                addGemmCase(table,
                            {flags + " random " + std::to_string(m) + "x" + std::to_string(k) +
                                 "x" + std::to_string(n),
                             m, k, n, ta, tb},
                            dt, 0.7, 0.3, false);
            }
        }
        addGemmCase(table, {"beta 0 over NaN", 5, 7, 3, false, false}, dt, 1.0, 0.0, true);
        // An empty inner dimension leaves beta * C.
        addGemmCase(table, {"k = 0", 4, 0, 6, false, false}, dt, 1.0, 0.5, false);
        addGemmCase(table, {"m = 0", 0, 3, 6, false, false}, dt, 1.0, 0.5, false);
    }
}

// ---- bias ---------------------------------------------------------------------------------

// [N, C, inner...]: the channel of element i.
int64_t channelOf(const Shape& shape, int64_t i) {
    const int64_t inner = shape.numel() / std::max<int64_t>(shape[0] * shape[1], 1);
    return i / std::max<int64_t>(inner, 1) % shape[1];
}

void addBiasCases(std::vector<OpCase>& table) {
    // Dense, images, and wide dense data (the column-blocked path on every core).
    for (DType dt : kDtypes) {
        for (const Shape& shape :
             {Shape{33, 17}, Shape{4, 6, 5, 7}, Shape{2, 2, 1, 3}, Shape{200, 700}}) {
            const uint64_t seed = seedOf("bias " + shape.str());
            const Shape channels{shape[1]};
            addCase(
                table, BackendOp::addBias, shape.str(), dt, kRounded,
                [=](Backend& b) {
                    Tensor y = onDevice(b, seeded(shape, dt, seed));
                    b.addBias(y, onDevice(b, seeded(channels, dt, seed + 1)));
                    return Outputs{{"y", y}};
                },
                [=] {
                    Tensor y = f64(seeded(shape, dt, seed));
                    const Tensor bias = seeded(channels, dt, seed + 1);
                    for (int64_t i = 0; i < y.numel(); ++i) {
                        y.set(i, y.at(i) + bias.at(channelOf(shape, i)));
                    }
                    return Outputs{{"y", y}};
                });
            addCase(
                table, BackendOp::biasBackward, shape.str(), dt, kReduction,
                [=](Backend& b) {
                    Tensor db = unwritten(b, channels, dt);
                    b.biasBackward(onDevice(b, seeded(shape, dt, seed)), db);
                    return Outputs{{"db", db}};
                },
                [=] {
                    const Tensor dy = f64(seeded(shape, dt, seed));
                    Tensor db = Tensor::zeros(channels, DType::F64);
                    for (int64_t i = 0; i < dy.numel(); ++i) {
                        const int64_t c = channelOf(shape, i);
                        db.set(c, db.at(c) + dy.at(i));
                    }
                    return Outputs{{"db", db}};
                });
        }
    }
}

}  // namespace

void addMemoryAndLinearCases(std::vector<OpCase>& table) {
    addMemoryCases(table);
    addGemmCases(table);
    addBiasCases(table);
}

}  // namespace loom::test::cases
