// Parity cases for every op of the Backend interface: the same seeded inputs on the CPU and
// the GPU, every output compared. Shapes are partly fixed (the geometries that exercise edge
// cases: asymmetric padding, strides, dilation, groups, odd sizes) and partly random.

#include "CudaParitySupport.h"

#include <loom/Error.h>
#include <loom/Initializer.h>

#include <cmath>
#include <limits>

namespace loom::test {

namespace {

Backend& cpu() {
    return cpuBackend();
}

uint64_t seedOf(const std::string& name) {
    return stableHash(name);
}

// ---- GEMM ---------------------------------------------------------------------------------

void gemmCase(Backend& gpu, ParityResult& r, bool ta, bool tb, DType dtype, uint64_t seed) {
    ShapeDice dice(seed);
    const int64_t m = dice.roll(1, 300), n = dice.roll(1, 300), k = dice.roll(1, 300);
    const Tensor a = randomTensor(ta ? Shape{k, m} : Shape{m, k}, seed + 1, -1, 1, dtype);
    const Tensor b = randomTensor(tb ? Shape{n, k} : Shape{k, n}, seed + 2, -1, 1, dtype);
    const Tensor c0 = randomTensor(Shape{m, n}, seed + 3, -1, 1, dtype);
    Tensor c = c0.clone();
    cpu().gemm(ta, tb, 0.7, a, b, 0.3, c);
    Tensor cg = toGpu(gpu, c0);
    gpu.gemm(ta, tb, 0.7, toGpu(gpu, a), toGpu(gpu, b), 0.3, cg);
    compare(r, "c", c, cg, dtype == DType::F32 ? kGemm : kFloat64);
}

void gemmEdges(Backend& gpu, ParityResult& r) {
    // beta 0 ignores NaN in C; an empty inner dimension scales C.
    const Tensor a = randomTensor({5, 7}, 11), b = randomTensor({7, 3}, 12);
    Tensor c = Tensor::full({5, 3}, std::nan(""));
    Tensor cg = toGpu(gpu, c);
    cpu().gemm(false, false, 1.0, a, b, 0.0, c);
    gpu.gemm(false, false, 1.0, toGpu(gpu, a), toGpu(gpu, b), 0.0, cg);
    compare(r, "beta 0 over NaN", c, cg, kGemm);
    const Tensor e1 = Tensor::zeros({4, 0}), e2 = Tensor::zeros({0, 6});
    const Tensor c0 = randomTensor({4, 6}, 13);
    Tensor ce = c0.clone(), ceg = toGpu(gpu, c0);
    cpu().gemm(false, false, 1.0, e1, e2, 0.5, ce);
    gpu.gemm(false, false, 1.0, toGpu(gpu, e1), toGpu(gpu, e2), 0.5, ceg);
    compare(r, "k = 0", ce, ceg, kExact);
}

// ---- convolution --------------------------------------------------------------------------

struct ConvSpec {
    std::string name;
    Shape x, w;
    Conv2DGeometry g;
};

std::vector<ConvSpec> convSpecs() {
    std::vector<ConvSpec> specs = {
        {"3x3 valid", {2, 3, 7, 6}, {4, 3, 3, 3}, {}},
        {"3x3 asymmetric pads",
         {2, 2, 6, 7},
         {3, 2, 3, 3},
         {.padTop = 1, .padLeft = 0, .padBottom = 2, .padRight = 1}},
        {"stride 2 pad 1",
         {3, 2, 9, 8},
         {2, 2, 3, 3},
         {.strideH = 2, .strideW = 2, .padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1}},
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
        {"W4 conv2", {8, 32, 26, 26}, {64, 32, 3, 3}, {}},
        {"W3 2x2", {16, 32, 13, 13}, {64, 32, 2, 2}, {}},
        {"2 groups", {2, 4, 7, 7}, {6, 2, 3, 3}, {.groups = 2}},
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
    };
    // Random geometries; a draw whose filter does not fit its input is drawn again.
    ShapeDice dice(seedOf("conv random"));
    for (int i = 0; i < 6; ++i) {
        while (true) {
            Conv2DGeometry g;
            g.strideH = int(dice.roll(1, 3)), g.strideW = int(dice.roll(1, 3));
            g.dilationH = int(dice.roll(1, 2)), g.dilationW = int(dice.roll(1, 2));
            g.padTop = int(dice.roll(0, 2)), g.padBottom = int(dice.roll(0, 2));
            g.padLeft = int(dice.roll(0, 2)), g.padRight = int(dice.roll(0, 2));
            const Shape x{dice.roll(1, 4), dice.roll(1, 8), dice.roll(3, 14), dice.roll(3, 14)};
            const Shape w{dice.roll(1, 8), x[1], dice.roll(1, 4), dice.roll(1, 4)};
            try {
                g.outputShape(x, w);
            } catch (const ShapeError&) {
                continue;
            }
            specs.push_back(
                {"random " + std::to_string(i) + " x" + x.str() + " w" + w.str(), x, w, g});
            break;
        }
    }
    return specs;
}

void convCase(Backend& gpu, ParityResult& r, const ConvSpec& s, DType dtype) {
    const uint64_t seed = seedOf(s.name);
    const Shape yShape = s.g.outputShape(s.x, s.w);
    const double tolerance = dtype == DType::F32 ? kConvolution : kFloat64;
    const Tensor x = randomTensor(s.x, seed, -1, 1, dtype);
    const Tensor w = randomTensor(s.w, seed + 1, -1, 1, dtype);
    const Tensor dy = randomTensor(yShape, seed + 2, -1, 1, dtype);
    const Tensor xg = toGpu(gpu, x), wg = toGpu(gpu, w), dyg = toGpu(gpu, dy);
    Tensor y = Tensor::zeros(yShape, dtype), yg = gpu.allocate(yShape, dtype);
    cpu().conv2dForward(x, w, s.g, y);
    gpu.conv2dForward(xg, wg, s.g, yg);
    compare(r, "y", y, yg, tolerance);
    Tensor dx = Tensor::zeros(s.x, dtype), dxg = gpu.allocate(s.x, dtype);
    cpu().conv2dBackwardData(dy, w, s.g, dx);
    gpu.conv2dBackwardData(dyg, wg, s.g, dxg);
    compare(r, "dx", dx, dxg, tolerance);
    Tensor dw = Tensor::zeros(s.w, dtype), dwg = gpu.allocate(s.w, dtype);
    cpu().conv2dBackwardFilter(x, dy, s.g, dw);
    gpu.conv2dBackwardFilter(xg, dyg, s.g, dwg);
    compare(r, "dw", dw, dwg, tolerance);
    // A second call reuses the cached plan and must give the same answer.
    Tensor again = gpu.allocate(yShape, dtype);
    gpu.conv2dForward(xg, wg, s.g, again);
    compare(r, "y (cached plan)", y, again, tolerance);
}

// ---- bias, pooling, padding ---------------------------------------------------------------

void biasCase(Backend& gpu, ParityResult& r, const Shape& shape) {
    const uint64_t seed = seedOf("bias" + shape.str());
    const Tensor y0 = randomTensor(shape, seed), bias = randomTensor({shape[1]}, seed + 1);
    Tensor y = y0.clone(), yg = toGpu(gpu, y0);
    cpu().addBias(y, bias);
    gpu.addBias(yg, toGpu(gpu, bias));
    compare(r, "addBias", y, yg, kElementwise);
    Tensor db = Tensor::zeros({shape[1]}), dbg = gpu.allocate({shape[1]});
    cpu().biasBackward(y0, db);
    gpu.biasBackward(toGpu(gpu, y0), dbg);
    compare(r, "biasBackward", db, dbg, kReduction);
}

struct PoolSpec {
    std::string name;
    Shape x;
    Pool2DGeometry g;
};

std::vector<PoolSpec> poolSpecs() {
    return {
        {"2x2 stride 2", {2, 3, 6, 6}, {}},
        {"2x2 stride 2 odd size", {1, 2, 5, 7}, {}},
        {"W4 pool", {4, 64, 24, 24}, {}},
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

// Pooling follows the CPU rule for rule (first maximum, NaN wins, sums in the same order), so
// results are expected to be identical. `ties` quantises the input so that windows hold equal
// maxima; a NaN is planted to check that it wins.
void poolCase(Backend& gpu, ParityResult& r, const PoolSpec& s, PoolMode mode, bool ties) {
    const uint64_t seed = seedOf(s.name) + uint64_t(mode);
    Tensor x = randomTensor(s.x, seed);
    if (ties) {
        for (int64_t i = 0; i < x.numel(); ++i) {
            x.set(i, std::floor(x.at(i) * 2.0) / 2.0);
        }
        x.set(x.numel() / 2, std::nan(""));
    }
    const Shape yShape = s.g.outputShape(s.x);
    const Tensor dy = randomTensor(yShape, seed + 1);
    Tensor y = Tensor::zeros(yShape), yg = gpu.allocate(yShape);
    const Tensor xg = toGpu(gpu, x);
    cpu().pool2dForward(mode, x, s.g, y);
    gpu.pool2dForward(mode, xg, s.g, yg);
    compare(r, "y", y, yg, kExact);
    Tensor dx = Tensor::zeros(s.x), dxg = gpu.allocate(s.x);
    cpu().pool2dBackward(mode, x, y, dy, s.g, dx);
    gpu.pool2dBackward(mode, xg, yg, toGpu(gpu, dy), s.g, dxg);
    compare(r, "dx", dx, dxg, kExact);
}

void globalPoolCase(Backend& gpu, ParityResult& r, bool keepDims) {
    const Shape xs{3, 5, 7, 6};
    const Shape ys = keepDims ? Shape{3, 5, 1, 1} : Shape{3, 5};
    const Tensor x = randomTensor(xs, 21), dy = randomTensor(ys, 22);
    Tensor y = Tensor::zeros(ys), yg = gpu.allocate(ys);
    cpu().globalAveragePoolForward(x, y);
    gpu.globalAveragePoolForward(toGpu(gpu, x), yg);
    compare(r, "y", y, yg, kElementwise);
    Tensor dx = Tensor::zeros(xs), dxg = gpu.allocate(xs);
    cpu().globalAveragePoolBackward(dy, dx);
    gpu.globalAveragePoolBackward(toGpu(gpu, dy), dxg);
    compare(r, "dx", dx, dxg, kExact);
}

void padCase(Backend& gpu, ParityResult& r) {
    const Padding2D p{1, 2, 3, 0};
    const Shape xs{2, 3, 5, 4}, ys{2, 3, 8, 7};
    const Tensor x = randomTensor(xs, 31), dy = randomTensor(ys, 32);
    Tensor y = Tensor::zeros(ys), yg = gpu.allocate(ys);
    cpu().pad2dForward(x, p, y);
    gpu.pad2dForward(toGpu(gpu, x), p, yg);
    compare(r, "y", y, yg, kExact);
    Tensor dx = Tensor::zeros(xs), dxg = gpu.allocate(xs);
    cpu().pad2dBackward(dy, p, dx);
    gpu.pad2dBackward(toGpu(gpu, dy), p, dxg);
    compare(r, "dx", dx, dxg, kExact);
}

// ---- activations and batch norm -----------------------------------------------------------

double alphaFor(ActivationKind kind) {
    switch (kind) {
        case ActivationKind::LeakyRelu:
            return 0.2;
        case ActivationKind::Elu:
            return 1.0;
        case ActivationKind::ClippedRelu:
            return 6.0;
        default:
            return 0.0;
    }
}

double toleranceFor(ActivationKind kind) {
    switch (kind) {
        case ActivationKind::Elu:
        case ActivationKind::Sigmoid:
        case ActivationKind::Tanh:
        case ActivationKind::Softmax:
            return kTranscendental;
        default:
            return kExact;
    }
}

void activationCase(Backend& gpu, ParityResult& r, ActivationKind kind, const Shape& shape) {
    const uint64_t seed = seedOf(std::string(activationName(kind)) + shape.str());
    const double alpha = alphaFor(kind), tolerance = toleranceFor(kind);
    // Wide enough to reach both sides of every kink (relu6's ceiling at 6 included).
    Tensor x = randomTensor(shape, seed, -8, 8);
    const Tensor dy = randomTensor(shape, seed + 1);
    Tensor y = Tensor::zeros(shape), yg = gpu.allocate(shape);
    const Tensor xg = toGpu(gpu, x);
    cpu().activationForward(kind, alpha, x, y);
    gpu.activationForward(kind, alpha, xg, yg);
    compare(r, "y", y, yg, tolerance);
    // The backward pass from the CPU's y on both sides, so that only the op itself differs.
    Tensor dx = Tensor::zeros(shape), dxg = gpu.allocate(shape);
    cpu().activationBackward(kind, alpha, x, y, dy, dx);
    gpu.activationBackward(kind, alpha, xg, toGpu(gpu, y), toGpu(gpu, dy), dxg);
    compare(r, "dx", dx, dxg, tolerance);
    // In place: y aliasing x.
    Tensor inPlace = toGpu(gpu, x);
    gpu.activationForward(kind, alpha, inPlace, inPlace);
    compare(r, "y in place", y, inPlace, tolerance);
}

void batchNormCase(Backend& gpu, ParityResult& r, const Shape& shape) {
    const uint64_t seed = seedOf("batchnorm" + shape.str());
    const int64_t c = shape[1];
    const Tensor x = randomTensor(shape, seed, -2, 3), dy = randomTensor(shape, seed + 1);
    const Tensor gamma = randomTensor({c}, seed + 2, 0.5, 1.5), beta = randomTensor({c}, seed + 3);
    const Tensor rm0 = randomTensor({c}, seed + 4), rv0 = randomTensor({c}, seed + 5, 0.5, 2);
    Tensor rm = rm0.clone(), rv = rv0.clone(), y = Tensor::zeros(shape);
    Tensor sm = Tensor::zeros({c}), si = Tensor::zeros({c});
    Tensor rmg = toGpu(gpu, rm0), rvg = toGpu(gpu, rv0), yg = gpu.allocate(shape);
    Tensor smg = gpu.allocate({c}), sig = gpu.allocate({c});
    const Tensor xg = toGpu(gpu, x), gg = toGpu(gpu, gamma), bg = toGpu(gpu, beta);
    cpu().batchNormForwardTraining(x, gamma, beta, 0.99, 1e-3, rm, rv, y, sm, si);
    gpu.batchNormForwardTraining(xg, gg, bg, 0.99, 1e-3, rmg, rvg, yg, smg, sig);
    compare(r, "y", y, yg, kReduction);
    compare(r, "runningMean", rm, rmg, kReduction);
    compare(r, "runningVar", rv, rvg, kReduction);
    compare(r, "savedMean", sm, smg, kReduction);
    compare(r, "savedInvStd", si, sig, kReduction);
    Tensor yi = Tensor::zeros(shape), yig = gpu.allocate(shape);
    cpu().batchNormForwardInference(x, gamma, beta, rm0, rv0, 1e-3, yi);
    gpu.batchNormForwardInference(xg, gg, bg, toGpu(gpu, rm0), toGpu(gpu, rv0), 1e-3, yig);
    compare(r, "y inference", yi, yig, kElementwise);
    Tensor dx = Tensor::zeros(shape), dgamma = Tensor::zeros({c}), dbeta = Tensor::zeros({c});
    Tensor dxg = gpu.allocate(shape), dgammag = gpu.allocate({c}), dbetag = gpu.allocate({c});
    cpu().batchNormBackward(x, dy, gamma, sm, si, dx, dgamma, dbeta);
    gpu.batchNormBackward(xg, toGpu(gpu, dy), gg, toGpu(gpu, sm), toGpu(gpu, si), dxg, dgammag,
                          dbetag);
    compare(r, "dx", dx, dxg, kReduction);
    compare(r, "dgamma", dgamma, dgammag, kReduction);
    compare(r, "dbeta", dbeta, dbetag, kReduction);
}

// ---- dropout, element-wise, reductions, concat -------------------------------------------

void dropoutCase(Backend& gpu, ParityResult& r, double rate) {
    // Same generator, same compare: the masks must be equal bit for bit.
    const Shape shape{7, 13, 11};
    const Tensor x = randomTensor(shape, 41);
    const uint64_t seed = 0x1234abcdULL, offset = 987654321012ULL;
    Tensor mask = Tensor::zeros(shape), y = Tensor::zeros(shape);
    Tensor maskg = gpu.allocate(shape), yg = gpu.allocate(shape);
    cpu().dropoutForward(x, rate, seed, offset, mask, y);
    gpu.dropoutForward(toGpu(gpu, x), rate, seed, offset, maskg, yg);
    compare(r, "mask", mask, maskg, kExact);
    compare(r, "y", y, yg, kExact);
}

void elementwiseCase(Backend& gpu, ParityResult& r) {
    const Shape shape{37, 29};
    const Tensor a = randomTensor(shape, 51), b = randomTensor(shape, 52);
    const Tensor ag = toGpu(gpu, a), bg = toGpu(gpu, b);
    Tensor y = b.clone(), yg = toGpu(gpu, b);
    cpu().axpby(0.7, a, -1.3, y);
    gpu.axpby(0.7, ag, -1.3, yg);
    compare(r, "axpby", y, yg, kElementwise);
    Tensor nan = Tensor::full(shape, std::nan("")), nang = toGpu(gpu, nan);
    cpu().axpby(2.0, a, 0.0, nan);
    gpu.axpby(2.0, ag, 0.0, nang);
    compare(r, "axpby beta 0 over NaN", nan, nang, kExact);
    Tensor s = Tensor::zeros(shape), sg = gpu.allocate(shape);
    cpu().add(a, b, s);
    gpu.add(ag, bg, sg);
    compare(r, "add", s, sg, kExact);
    Tensor p = Tensor::zeros(shape), pg = gpu.allocate(shape);
    cpu().multiply(a, b, p);
    gpu.multiply(ag, bg, pg);
    compare(r, "multiply", p, pg, kExact);
    Tensor f = Tensor::zeros(shape), fg = gpu.allocate(shape);
    cpu().fill(f, -2.5);
    gpu.fill(fg, -2.5);
    compare(r, "fill", f, fg, kExact);
    cpu().fill(f, 0.0);
    gpu.fill(fg, 0.0);
    compare(r, "fill 0", f, fg, kExact);
}

void reductionCase(Backend& gpu, ParityResult& r, DType dtype, int64_t n) {
    const Tensor x = randomTensor({n}, 61 + uint64_t(n), -1, 1.5, dtype);
    const Tensor xg = toGpu(gpu, x);
    const double tolerance = dtype == DType::F32 ? kReduction : kFloat64;
    Tensor s = Tensor::zeros({1}, dtype), sg = gpu.allocate({1}, dtype);
    cpu().sum(x, s);
    gpu.sum(xg, sg);
    compare(r, "sum", s, sg, tolerance);
    cpu().sumSquares(x, s);
    gpu.sumSquares(xg, sg);
    compare(r, "sumSquares", s, sg, tolerance);
    Tensor bad = x.clone();
    if (n > 3) {
        bad.set(0, std::nan(""));
        bad.set(n / 2, std::numeric_limits<double>::infinity());
        bad.set(n - 1, -std::numeric_limits<double>::infinity());
    }
    const int64_t expected = cpu().countNonFinite(bad);
    const int64_t got = gpu.countNonFinite(toGpu(gpu, bad));
    expect(r, expected == got,
           "countNonFinite: cpu " + std::to_string(expected) + ", cuda " + std::to_string(got));
}

void concatCase(Backend& gpu, ParityResult& r, int axis) {
    const Shape whole{3, 6, 5, 4};
    std::vector<Shape> partShapes;
    for (int64_t extent : {int64_t(1), whole[size_t(axis)] - 3, int64_t(2)}) {
        std::vector<int64_t> dims = whole.dims();
        dims[size_t(axis)] = extent;
        partShapes.emplace_back(dims);
    }
    std::vector<Tensor> parts, partsGpu;
    for (size_t i = 0; i < partShapes.size(); ++i) {
        parts.push_back(randomTensor(partShapes[i], 71 + i));
        partsGpu.push_back(toGpu(gpu, parts.back()));
    }
    Tensor y = Tensor::zeros(whole), yg = gpu.allocate(whole);
    cpu().concat(parts, axis, y);
    gpu.concat(partsGpu, axis, yg);
    compare(r, "concat", y, yg, kExact);
    std::vector<Tensor> back, backGpu;
    for (const Shape& shape : partShapes) {
        back.push_back(Tensor::zeros(shape));
        backGpu.push_back(gpu.allocate(shape));
    }
    const Tensor source = randomTensor(whole, 79);
    cpu().split(source, axis, back);
    gpu.split(toGpu(gpu, source), axis, backGpu);
    for (size_t i = 0; i < back.size(); ++i) {
        compare(r, "split part " + std::to_string(i), back[i], backGpu[i], kExact);
    }
}

// ---- losses -------------------------------------------------------------------------------

// Rows of probabilities (each sums to 1), some pushed to exactly 0 and 1 to exercise the clip.
Tensor probabilities(const Shape& shape, uint64_t seed, bool extremes) {
    Tensor p = randomTensor(shape, seed, 0.01, 1);
    const int64_t rows = shape[0], cols = p.numel() / rows;
    for (int64_t i = 0; i < rows; ++i) {
        double total = 0;
        for (int64_t c = 0; c < cols; ++c) {
            total += p.at(i * cols + c);
        }
        for (int64_t c = 0; c < cols; ++c) {
            p.set(i * cols + c, p.at(i * cols + c) / total);
        }
    }
    if (extremes && p.numel() > 4) {
        p.set(0, 0.0);
        p.set(1, 1.0);
        p.set(2, 1e-9);
    }
    return p;
}

Tensor oneHot(int64_t rows, int64_t classes, uint64_t seed) {
    Tensor t = Tensor::zeros({rows, classes});
    for (int64_t i = 0; i < rows; ++i) {
        t.set(i * classes + int64_t(counterUniform(seed, uint64_t(i)) * double(classes)), 1.0);
    }
    return t;
}

enum class LossKind { SoftmaxCe, SparseSoftmaxCe, Ce, SigmoidBce, Bce, Mse };

void lossCase(Backend& gpu, ParityResult& r, LossKind kind, bool withGradient) {
    const int64_t n = 37, classes = 11;
    const Shape shape{n, classes};
    const uint64_t seed = seedOf("loss") + uint64_t(kind);
    Tensor pred, target;
    switch (kind) {
        case LossKind::SoftmaxCe:
            pred = randomTensor(shape, seed, -4, 4);
            target = probabilities(shape, seed + 1, false);
            break;
        case LossKind::SparseSoftmaxCe:
            pred = randomTensor(shape, seed, -4, 4);
            target = Tensor::zeros({n});
            for (int64_t i = 0; i < n; ++i) {
                target.set(i, double(i * 7 % classes));
            }
            break;
        case LossKind::Ce:
            pred = probabilities(shape, seed, true);
            target = oneHot(n, classes, seed + 1);
            break;
        case LossKind::SigmoidBce:
            pred = randomTensor(shape, seed, -6, 6);
            target = randomTensor(shape, seed + 1, 0, 1);
            break;
        case LossKind::Bce:
            pred = probabilities(shape, seed, true);
            target = randomTensor(shape, seed + 1, 0, 1);
            break;
        case LossKind::Mse:
            pred = randomTensor(shape, seed, -3, 3);
            target = randomTensor(shape, seed + 1, -3, 3);
            break;
    }
    const Tensor pg = toGpu(gpu, pred), tg = toGpu(gpu, target);
    Tensor loss = Tensor::zeros({1}), lossg = gpu.allocate({1});
    Tensor grad = Tensor::zeros(shape), gradg = gpu.allocate(shape);
    Tensor* g = withGradient ? &grad : nullptr;
    Tensor* gg = withGradient ? &gradg : nullptr;
    constexpr double eps = 1e-7;
    switch (kind) {
        case LossKind::SoftmaxCe:
            cpu().softmaxCrossEntropy(pred, target, loss, g);
            gpu.softmaxCrossEntropy(pg, tg, lossg, gg);
            break;
        case LossKind::SparseSoftmaxCe:
            cpu().sparseSoftmaxCrossEntropy(pred, target, loss, g);
            gpu.sparseSoftmaxCrossEntropy(pg, tg, lossg, gg);
            break;
        case LossKind::Ce:
            cpu().crossEntropy(pred, target, eps, loss, g);
            gpu.crossEntropy(pg, tg, eps, lossg, gg);
            break;
        case LossKind::SigmoidBce:
            cpu().sigmoidBinaryCrossEntropy(pred, target, loss, g);
            gpu.sigmoidBinaryCrossEntropy(pg, tg, lossg, gg);
            break;
        case LossKind::Bce:
            cpu().binaryCrossEntropy(pred, target, eps, loss, g);
            gpu.binaryCrossEntropy(pg, tg, eps, lossg, gg);
            break;
        case LossKind::Mse:
            cpu().meanSquaredError(pred, target, loss, g);
            gpu.meanSquaredError(pg, tg, lossg, gg);
            break;
    }
    compare(r, "loss", loss, lossg, kReduction);
    if (withGradient) {
        compare(r, "gradient", grad, gradg, kTranscendental);
    }
}

// ---- optimizers ---------------------------------------------------------------------------

enum class OptimizerKind { Sgd, Momentum, Nesterov, Rmsprop, Adagrad, Adam, AdamW };

void optimizerCase(Backend& gpu, ParityResult& r, OptimizerKind kind) {
    const Shape shape{19, 23};
    const uint64_t seed = seedOf("optimizer") + uint64_t(kind);
    Tensor w = randomTensor(shape, seed), wg = toGpu(gpu, w);
    Tensor s1 = Tensor::zeros(shape), s2 = Tensor::zeros(shape);
    if (kind == OptimizerKind::Adagrad) {
        cpu().fill(s1, 0.1);
    }
    Tensor s1g = toGpu(gpu, s1), s2g = toGpu(gpu, s2);
    for (int step = 1; step <= 3; ++step) {
        const Tensor g = randomTensor(shape, seed + uint64_t(step) * 17);
        const Tensor gg = toGpu(gpu, g);
        switch (kind) {
            case OptimizerKind::Sgd:
                cpu().sgdUpdate(w, g, nullptr, 0.1, 0.0, false);
                gpu.sgdUpdate(wg, gg, nullptr, 0.1, 0.0, false);
                break;
            case OptimizerKind::Momentum:
            case OptimizerKind::Nesterov: {
                const bool nesterov = kind == OptimizerKind::Nesterov;
                cpu().sgdUpdate(w, g, &s1, 0.1, 0.9, nesterov);
                gpu.sgdUpdate(wg, gg, &s1g, 0.1, 0.9, nesterov);
                break;
            }
            case OptimizerKind::Rmsprop:
                cpu().rmspropUpdate(w, g, s1, 0.01, 0.9, 1e-7);
                gpu.rmspropUpdate(wg, gg, s1g, 0.01, 0.9, 1e-7);
                break;
            case OptimizerKind::Adagrad:
                cpu().adagradUpdate(w, g, s1, 0.01, 1e-7);
                gpu.adagradUpdate(wg, gg, s1g, 0.01, 1e-7);
                break;
            case OptimizerKind::Adam:
            case OptimizerKind::AdamW: {
                const double decay = kind == OptimizerKind::AdamW ? 0.004 : 0.0;
                cpu().adamUpdate(w, g, s1, s2, 0.001, 0.9, 0.999, 1e-7, step, decay);
                gpu.adamUpdate(wg, gg, s1g, s2g, 0.001, 0.9, 0.999, 1e-7, step, decay);
                break;
            }
        }
    }
    compare(r, "w", w, wg, kTranscendental);
    if (kind != OptimizerKind::Sgd) {
        compare(r, "state", s1, s1g, kTranscendental);
    }
    if (kind == OptimizerKind::Adam || kind == OptimizerKind::AdamW) {
        compare(r, "second moment", s2, s2g, kTranscendental);
    }
}

}  // namespace

std::vector<ParityCase> opParityCases() {
    std::vector<ParityCase> cases;
    auto add = [&](std::string name, std::function<void(Backend&, ParityResult&)> run) {
        cases.push_back({std::move(name), std::move(run)});
    };
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            const std::string flags = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
            add("gemm " + flags, [=](Backend& g, ParityResult& r) {
                gemmCase(g, r, ta, tb, DType::F32, seedOf("gemm" + flags));
            });
        }
    }
    add("gemm float64 TN", [](Backend& g, ParityResult& r) {
        gemmCase(g, r, true, false, DType::F64, seedOf("gemm64"));
    });
    add("gemm edges", gemmEdges);
    for (const ConvSpec& spec : convSpecs()) {
        add("conv2d " + spec.name,
            [spec](Backend& g, ParityResult& r) { convCase(g, r, spec, DType::F32); });
    }
    add("conv2d float64 asymmetric",
        [](Backend& g, ParityResult& r) { convCase(g, r, convSpecs()[1], DType::F64); });
    for (const Shape& shape : {Shape{33, 17}, Shape{4, 6, 5, 7}}) {
        add("bias " + shape.str(), [shape](Backend& g, ParityResult& r) { biasCase(g, r, shape); });
    }
    for (const PoolSpec& spec : poolSpecs()) {
        for (PoolMode mode :
             {PoolMode::Max, PoolMode::AverageExcludePadding, PoolMode::AverageIncludePadding}) {
            add(std::string("pool2d ") + poolModeName(mode) + " " + spec.name,
                [spec, mode](Backend& g, ParityResult& r) { poolCase(g, r, spec, mode, false); });
        }
        add("pool2d max ties and NaN " + spec.name,
            [spec](Backend& g, ParityResult& r) { poolCase(g, r, spec, PoolMode::Max, true); });
    }
    add("global average pool [N,C]",
        [](Backend& g, ParityResult& r) { globalPoolCase(g, r, false); });
    add("global average pool [N,C,1,1]",
        [](Backend& g, ParityResult& r) { globalPoolCase(g, r, true); });
    add("pad2d", padCase);
    for (ActivationKind kind :
         {ActivationKind::Linear, ActivationKind::Relu, ActivationKind::LeakyRelu,
          ActivationKind::Elu, ActivationKind::Sigmoid, ActivationKind::Tanh,
          ActivationKind::ClippedRelu, ActivationKind::Softmax}) {
        for (const Shape& shape : {Shape{29, 10}, Shape{3, 7, 5, 6}, Shape{2, 70}}) {
            add(std::string("activation ") + activationName(kind) + " " + shape.str(),
                [kind, shape](Backend& g, ParityResult& r) { activationCase(g, r, kind, shape); });
        }
    }
    for (const Shape& shape : {Shape{16, 9}, Shape{5, 6, 7, 8}}) {
        add("batch norm " + shape.str(),
            [shape](Backend& g, ParityResult& r) { batchNormCase(g, r, shape); });
    }
    for (double rate : {0.0, 0.25, 0.5, 1.0}) {
        add("dropout rate " + std::to_string(rate).substr(0, 4),
            [rate](Backend& g, ParityResult& r) { dropoutCase(g, r, rate); });
    }
    add("element-wise", elementwiseCase);
    for (int64_t n : {int64_t(1), int64_t(1000), int64_t(1) << 20}) {
        add("reductions n=" + std::to_string(n),
            [n](Backend& g, ParityResult& r) { reductionCase(g, r, DType::F32, n); });
    }
    add("reductions float64",
        [](Backend& g, ParityResult& r) { reductionCase(g, r, DType::F64, 100000); });
    for (int axis : {1, 2, 3}) {
        add("concat/split axis " + std::to_string(axis),
            [axis](Backend& g, ParityResult& r) { concatCase(g, r, axis); });
    }
    const std::pair<LossKind, const char*> losses[] = {
        {LossKind::SoftmaxCe, "softmax cross-entropy"},
        {LossKind::SparseSoftmaxCe, "sparse softmax cross-entropy"},
        {LossKind::Ce, "cross-entropy"},
        {LossKind::SigmoidBce, "sigmoid binary cross-entropy"},
        {LossKind::Bce, "binary cross-entropy"},
        {LossKind::Mse, "mean squared error"}};
    for (const auto& [kind, name] : losses) {
        for (bool gradient : {true, false}) {
            add(std::string("loss ") + name + (gradient ? "" : " (no gradient)"),
                [kind, gradient](Backend& g, ParityResult& r) { lossCase(g, r, kind, gradient); });
        }
    }
    const std::pair<OptimizerKind, const char*> optimizers[] = {
        {OptimizerKind::Sgd, "sgd"},           {OptimizerKind::Momentum, "momentum"},
        {OptimizerKind::Nesterov, "nesterov"}, {OptimizerKind::Rmsprop, "rmsprop"},
        {OptimizerKind::Adagrad, "adagrad"},   {OptimizerKind::Adam, "adam"},
        {OptimizerKind::AdamW, "adamw"}};
    for (const auto& [kind, name] : optimizers) {
        add(std::string("optimizer ") + name,
            [kind](Backend& g, ParityResult& r) { optimizerCase(g, r, kind); });
    }
    return cases;
}

}  // namespace loom::test
