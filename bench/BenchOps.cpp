// Micro benchmarks of the CPU backend's heavy ops on the workloads' shapes, each reporting
// GFLOP/s next to OpenBLAS' own sgemm on large square matrices (the machine's practical peak).
//   Sgemm/<n>                       raw cblas_sgemm, n x n x n
//   Gemm/square.<n>                 Backend::gemm on the same matrices (its own threading)
//   Gemm/<shape>/<pass>             Backend::gemm on the W2 MLP's dense layers (batch 128)
//   Conv/<shape>/<pass>             conv forward, backward data, backward filter on W3 and W4
//   Step/W4...                      a whole W4 training step in backend ops (BenchTrainStep.cpp)
// Times are wall-clock (the ops use every core).

#include <loom/Backend.h>

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <string>
#include <vector>

namespace {

using loom::Conv2DGeometry;
using loom::Shape;
using loom::Tensor;

Tensor randomTensor(const Shape& shape, uint64_t seed) {
    Tensor t = Tensor::empty(shape);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
        p[i] = static_cast<float>(loom::counterUniform(seed, uint64_t(i)) - 0.5);
    }
    return t;
}

void reportFlops(benchmark::State& state, double flopsPerIteration) {
    state.counters["GFLOP/s"] = benchmark::Counter(
        flopsPerIteration * double(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
}

// Backend::gemm on n x n x n, to set against the raw sgemm above.
void backendSquareGemm(benchmark::State& state) {
    const int64_t n = state.range(0);
    Tensor a = randomTensor({n, n}, 1), b = randomTensor({n, n}, 2), c = randomTensor({n, n}, 3);
    for (auto _ : state) {
        loom::cpuBackend().gemm(false, false, 1.0, a, b, 0.0, c);
        benchmark::ClobberMemory();
    }
    reportFlops(state, 2.0 * double(n) * double(n) * double(n));
}

void sgemmPeak(benchmark::State& state) {
    const int n = int(state.range(0));
    Tensor a = randomTensor({n, n}, 1), b = randomTensor({n, n}, 2), c = randomTensor({n, n}, 3);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data<float>(), n,
                    b.data<float>(), n, 0.0f, c.data<float>(), n);
        benchmark::ClobberMemory();
    }
    reportFlops(state, 2.0 * n * n * n);
}

enum class Pass { Forward, BackwardData, BackwardFilter };

const char* passName(Pass pass) {
    switch (pass) {
        case Pass::Forward:
            return "forward";
        case Pass::BackwardData:
            return "backward_data";
        case Pass::BackwardFilter:
            return "backward_filter";
    }
    return "?";
}

// A dense layer x [batch, in] * W [in, out] (Keras' kernel layout) and its two gradients.
void denseGemm(benchmark::State& state, int64_t batch, int64_t in, int64_t out, Pass pass) {
    loom::Backend& backend = loom::cpuBackend();
    Tensor x = randomTensor({batch, in}, 1), w = randomTensor({in, out}, 2);
    Tensor y = randomTensor({batch, out}, 3), dw = randomTensor({in, out}, 4);
    Tensor dx = randomTensor({batch, in}, 5);
    for (auto _ : state) {
        switch (pass) {
            case Pass::Forward:
                backend.gemm(false, false, 1.0, x, w, 0.0, y);
                break;
            case Pass::BackwardFilter:
                backend.gemm(true, false, 1.0, x, y, 0.0, dw);
                break;
            case Pass::BackwardData:
                backend.gemm(false, true, 1.0, y, w, 0.0, dx);
                break;
        }
        benchmark::ClobberMemory();
    }
    reportFlops(state, 2.0 * double(batch) * double(in) * double(out));
}

struct ConvCase {
    const char* name;
    Shape input;   // [N, C, H, W]
    Shape filter;  // [K, C, R, S]
};

void conv(benchmark::State& state, const ConvCase& c, Pass pass) {
    loom::Backend& backend = loom::cpuBackend();
    Conv2DGeometry g;
    Shape outShape = g.outputShape(c.input, c.filter);
    Tensor x = randomTensor(c.input, 1), w = randomTensor(c.filter, 2);
    Tensor y = randomTensor(outShape, 3), dx = randomTensor(c.input, 4);
    Tensor dw = randomTensor(c.filter, 5);
    for (auto _ : state) {
        switch (pass) {
            case Pass::Forward:
                backend.conv2dForward(x, w, g, y);
                break;
            case Pass::BackwardData:
                backend.conv2dBackwardData(y, w, g, dx);
                break;
            case Pass::BackwardFilter:
                backend.conv2dBackwardFilter(x, y, g, dw);
                break;
        }
        benchmark::ClobberMemory();
    }
    double macs = double(outShape.numel()) * double(c.filter[1] * c.filter[2] * c.filter[3]);
    reportFlops(state, 2.0 * macs);
}

// The memory-bound ops of a W4 step on their real shapes (batch 128), reported as GB/s of
// tensor data read and written.
void memoryBoundOp(benchmark::State& state, const std::string& op) {
    loom::Backend& backend = loom::cpuBackend();
    const Shape image{128, 64, 24, 24}, pooled{128, 64, 12, 12};
    Tensor x = randomTensor(image, 1), dy = randomTensor(image, 2), dx = randomTensor(image, 3);
    Tensor y = randomTensor(pooled, 4), dyPooled = randomTensor(pooled, 5);
    Tensor mask = randomTensor(pooled, 6), bias = randomTensor({64}, 7);
    loom::Pool2DGeometry pool;
    double bytes = 0;
    for (auto _ : state) {
        if (op == "relu_forward") {
            backend.activationForward(loom::ActivationKind::Relu, 0, x, dx);
            bytes = 2.0 * double(x.bytes());
        } else if (op == "relu_backward") {
            backend.activationBackward(loom::ActivationKind::Relu, 0, x, x, dy, dx);
            bytes = 3.0 * double(x.bytes());
        } else if (op == "maxpool_forward") {
            backend.pool2dForward(loom::PoolMode::Max, x, pool, y);
            bytes = double(x.bytes() + y.bytes());
        } else if (op == "maxpool_backward") {
            backend.pool2dBackward(loom::PoolMode::Max, x, y, dyPooled, pool, dx);
            bytes = double(2 * x.bytes() + y.bytes());
        } else if (op == "dropout") {
            backend.dropoutForward(y, 0.25, 1, 0, mask, dyPooled);
            bytes = 3.0 * double(y.bytes());
        } else if (op == "bias_backward") {
            backend.biasBackward(x, bias);
            bytes = double(x.bytes());
        }
        benchmark::ClobberMemory();
    }
    state.counters["GB/s"] =
        benchmark::Counter(bytes * double(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
}

void registerAll() {
    for (int n : {1024, 2048}) {
        benchmark::RegisterBenchmark(("Sgemm/" + std::to_string(n)).c_str(), sgemmPeak)
            ->Arg(n)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
    for (int n : {1024, 2048}) {
        benchmark::RegisterBenchmark(("Gemm/square." + std::to_string(n)).c_str(),
                                     backendSquareGemm)
            ->Arg(n)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
    // W2: Dense(768) on 3072 inputs, Dense(384) on 768, batch 128.
    for (auto [in, out] : std::vector<std::pair<int64_t, int64_t>>{{3072, 768}, {768, 384}}) {
        for (Pass pass : {Pass::Forward, Pass::BackwardData, Pass::BackwardFilter}) {
            std::string name = "Gemm/W2.128x" + std::to_string(in) + "x" + std::to_string(out) +
                               "/" + passName(pass);
            benchmark::RegisterBenchmark(name.c_str(), denseGemm, 128, in, out, pass)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
    }
    for (const char* op : {"relu_forward", "relu_backward", "maxpool_forward", "maxpool_backward",
                           "dropout", "bias_backward"}) {
        benchmark::RegisterBenchmark((std::string("Ops/W4.") + op).c_str(), memoryBoundOp,
                                     std::string(op))
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
    static const std::vector<ConvCase> cases = {
        {"W4.conv32_3x3_28", {128, 1, 28, 28}, {32, 1, 3, 3}},
        {"W4.conv64_3x3_26", {128, 32, 26, 26}, {64, 32, 3, 3}},
        {"W3.conv32_3x3_96", {128, 1, 96, 96}, {32, 1, 3, 3}},
        {"W3.conv64_2x2_47", {128, 32, 47, 47}, {64, 32, 2, 2}},
        {"W3.conv128_2x2_23", {128, 64, 23, 23}, {128, 64, 2, 2}},
    };
    for (const ConvCase& c : cases) {
        for (Pass pass : {Pass::Forward, Pass::BackwardData, Pass::BackwardFilter}) {
            std::string name = std::string("Conv/") + c.name + "/" + passName(pass);
            benchmark::RegisterBenchmark(name.c_str(), conv, c, pass)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
    }
}

}  // namespace

namespace loom::bench {
void registerTrainStep();
}

int main(int argc, char** argv) {
    registerAll();
    loom::bench::registerTrainStep();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
