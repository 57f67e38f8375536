// What layer statistics cost a training run: W4 (examples/w4_cnn.json's network, batch 128)
// fitted for 10 steps on synthetic pictures with statistics off, and with a sample at every
// step. A run samples about 20 times an epoch (every 23rd of W4's 469 steps on Fashion-MNIST),
// so its overhead is (every_step - off) / off / 23.

#include <loom/ModelFile.h>
#include <loom/Trainer.h>

#include <benchmark/benchmark.h>

namespace loom::bench {

namespace {

constexpr int64_t kBatch = 128, kSteps = 10;

// The network of examples/w4_cnn.json, built afresh.
Graph w4() {
    ModelFile model = readModelFile(LOOM_SOURCE_DIR "/examples/w4_cnn.json");
    model.graph.build(1);
    return std::move(model.graph);
}

Dataset pictures() {
    Dataset d;
    d.samples = Tensor::empty(Shape{kBatch * kSteps, 1, 28, 28});
    d.targets = Tensor::empty(Shape{kBatch * kSteps});
    for (int64_t i = 0; i < d.samples.numel(); ++i) {
        d.samples.set(i, double(i % 251) / 251.0);
    }
    for (int64_t i = 0; i < kBatch * kSteps; ++i) {
        d.targets.set(i, double(i % 10));
    }
    for (int c = 0; c < 10; ++c) {
        d.classNames.push_back(std::to_string(c));
    }
    return d;
}

void w4FitTenSteps(benchmark::State& state) {
    const Dataset data = pictures();
    TrainingConfig config;
    config.optimizer = "adam";
    config.batchSize = kBatch;
    config.statistics.enabled = state.range(0) != 0;
    config.statistics.every = 1;
    for (auto _ : state) {
        Graph g = w4();
        Trainer trainer(g, config);
        benchmark::DoNotOptimize(trainer.fit(data, nullptr));
    }
    state.SetLabel(state.range(0) != 0 ? "a statistics sample every step" : "statistics off");
}
BENCHMARK(w4FitTenSteps)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

}  // namespace loom::bench
