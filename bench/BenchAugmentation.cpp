// What augmentation costs the loader thread: batches of RGB pictures, 32x32 (batch 128) and
// 224x224 (batch 32), augmented in place with flips, rotation, shift and zoom, and with
// brightness too, on 2 threads. Reports images/s; the targets are 20,000/s at 32x32 and
// 2,000/s at 224x224 on a 2-core machine. The batch is refilled from an untouched copy before
// every iteration (outside the timing), so each iteration warps the same pictures.

#include <loom/Augmentation.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <numeric>

namespace loom::bench {

namespace {

AugmentationOptions geometric(bool brightness) {
    AugmentationOptions o;
    o.horizontalFlip = true;
    o.rotationRange = 15;
    o.widthShiftRange = o.heightShiftRange = 0.1;
    o.zoomLow = 0.9;
    o.zoomHigh = 1.1;
    if (brightness) {
        o.brightnessLow = 0.8;
        o.brightnessHigh = 1.2;
    }
    return o;
}

// state.range: picture side, batch size, brightness (0 or 1).
void augmentBatch(benchmark::State& state) {
    const int64_t side = state.range(0), batch = state.range(1);
    const Augmenter augmenter(geometric(state.range(2) != 0), Normalization::divideBy(255), 2);
    Tensor original = Tensor::empty(Shape{batch, 3, side, side});
    float* p = original.data<float>();
    for (int64_t i = 0; i < original.numel(); ++i) {
        p[i] = static_cast<float>(i % 251) / 255.0f;
    }
    Tensor samples = original.clone();
    std::vector<int64_t> indices(static_cast<size_t>(batch));
    std::iota(indices.begin(), indices.end(), int64_t{0});
    int64_t epoch = 0;
    for (auto _ : state) {
        state.PauseTiming();
        std::memcpy(samples.raw(), original.raw(), original.bytes());
        state.ResumeTiming();
        augmenter.apply(samples, indices, epoch++);
        benchmark::ClobberMemory();
    }
    state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()),
                                                    benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(augmentBatch)
    ->Name("Augment/rgb")
    ->ArgNames({"side", "batch", "brightness"})
    ->Args({32, 128, 0})
    ->Args({32, 128, 1})
    ->Args({224, 32, 0})
    ->Args({224, 32, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace loom::bench
