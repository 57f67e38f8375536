// What layer statistics cost a training run: W4 (examples/w4_cnn.json's network, batch 128)
// fitted for 10 steps on synthetic pictures with statistics off, and with a sample at every
// step. A run samples about 20 times an epoch (every 23rd of W4's 469 steps on Fashion-MNIST),
// so its overhead is (every_step - off) / off / 23.

#include <loom/Trainer.h>

#include <benchmark/benchmark.h>

namespace loom::bench {

namespace {

constexpr int64_t kBatch = 128, kSteps = 10;

Graph w4() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, 28, 28}}});
    g.add("Conv2D", "conv2d", {{"filters", 32}, {"kernel_size", {3, 3}}, {"activation", "relu"}},
          {"input"});
    g.add("Conv2D", "conv2d_1", {{"filters", 64}, {"kernel_size", {3, 3}}, {"activation", "relu"}},
          {"conv2d"});
    g.add("MaxPool2D", "pool", {{"pool_size", {2, 2}}}, {"conv2d_1"});
    g.add("Dropout", "dropout", {{"rate", 0.25}}, {"pool"});
    g.add("Flatten", "flatten", {}, {"dropout"});
    g.add("Dense", "dense", {{"units", 128}, {"activation", "relu"}}, {"flatten"});
    g.add("Dropout", "dropout_1", {{"rate", 0.5}}, {"dense"});
    g.add("Dense", "dense_1", {{"units", 10}, {"activation", "softmax"}}, {"dropout_1"});
    g.build(1);
    return g;
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
