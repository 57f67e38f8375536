// One training step of the W4 network (Keras' Fashion-MNIST CNN) written directly in backend
// ops, batch 128: conv32 3x3 relu, conv64 3x3 relu, maxpool 2, dropout 0.25, dense 128 relu,
// dropout 0.5, dense 10, softmax cross-entropy, Adam on all 8 weight tensors. It measures the
// ops as a training loop strings them together (thread hand-offs between GEMMs and element-wise
// loops included), with no graph or layer overhead; bench/pytorch_conv_ops.py --step runs the
// same step in PyTorch.

#include <loom/Backend.h>

#include <benchmark/benchmark.h>

#include <vector>

namespace loom::bench {

namespace {

constexpr int64_t kBatch = 128;

Tensor uniform(const Shape& shape, uint64_t seed, double scale) {
    Tensor t = Tensor::empty(shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, (counterUniform(seed, uint64_t(i)) - 0.5) * 2 * scale);
    }
    return t;
}

// A weight tensor with its gradient and Adam's two moments.
struct Weight {
    Tensor value, grad, m, v;
    Weight(const Shape& shape, uint64_t seed, double scale)
        : value(uniform(shape, seed, scale)),
          grad(Tensor::zeros(shape)),
          m(Tensor::zeros(shape)),
          v(Tensor::zeros(shape)) {}
};

struct W4Step {
    Backend& b = cpuBackend();
    Conv2DGeometry conv;
    Pool2DGeometry pool;
    Weight k1{{32, 1, 3, 3}, 1, 0.3}, b1{{32}, 2, 0.0}, k2{{64, 32, 3, 3}, 3, 0.06};
    Weight b2{{64}, 4, 0.0}, w3{{9216, 128}, 5, 0.02}, b3{{128}, 6, 0.0};
    Weight w4{{128, 10}, 7, 0.2}, b4{{10}, 8, 0.0};
    Tensor x = uniform({kBatch, 1, 28, 28}, 9, 0.5);
    Tensor labels = Tensor::zeros({kBatch});
    Tensor a1 = Tensor::zeros({kBatch, 32, 26, 26}), a2 = Tensor::zeros({kBatch, 64, 24, 24});
    Tensor p2 = Tensor::zeros({kBatch, 64, 12, 12}), m2 = Tensor::zeros(p2.shape());
    Tensor d2 = Tensor::zeros(p2.shape()), h3 = Tensor::zeros({kBatch, 128});
    Tensor m3 = Tensor::zeros(h3.shape()), d3 = Tensor::zeros(h3.shape());
    Tensor logits = Tensor::zeros({kBatch, 10}), loss = Tensor::zeros({1});
    // Gradients of the activations.
    Tensor g4 = Tensor::zeros(logits.shape()), g3 = Tensor::zeros(h3.shape());
    Tensor gFlat = Tensor::zeros(p2.shape()), gA2 = Tensor::zeros(a2.shape());
    Tensor gA1 = Tensor::zeros(a1.shape());
    int64_t step = 0;

    W4Step() {
        for (int64_t i = 0; i < kBatch; ++i) {
            labels.set(i, double(i % 10));
        }
    }

    void forward() {
        b.conv2dForward(x, k1.value, conv, a1);
        b.addBias(a1, b1.value);
        b.activationForward(ActivationKind::Relu, 0, a1, a1);
        b.conv2dForward(a1, k2.value, conv, a2);
        b.addBias(a2, b2.value);
        b.activationForward(ActivationKind::Relu, 0, a2, a2);
        b.pool2dForward(PoolMode::Max, a2, pool, p2);
        b.dropoutForward(p2, 0.25, 42, uint64_t(step) * 1000000, m2, d2);
        b.gemm(false, false, 1, d2.reshape({kBatch, 9216}), w3.value, 0, h3);
        b.addBias(h3, b3.value);
        b.activationForward(ActivationKind::Relu, 0, h3, h3);
        b.dropoutForward(h3, 0.5, 43, uint64_t(step) * 1000000, m3, d3);
        b.gemm(false, false, 1, d3, w4.value, 0, logits);
        b.addBias(logits, b4.value);
        b.sparseSoftmaxCrossEntropy(logits, labels, loss, &g4);
    }

    void backward() {
        b.gemm(true, false, 1, d3, g4, 0, w4.grad);
        b.biasBackward(g4, b4.grad);
        b.gemm(false, true, 1, g4, w4.value, 0, g3);
        b.multiply(g3, m3, g3);
        b.activationBackward(ActivationKind::Relu, 0, h3, h3, g3, g3);
        b.gemm(true, false, 1, d2.reshape({kBatch, 9216}), g3, 0, w3.grad);
        b.biasBackward(g3, b3.grad);
        Tensor gFlat2 = gFlat.reshape({kBatch, 9216});
        b.gemm(false, true, 1, g3, w3.value, 0, gFlat2);
        b.multiply(gFlat, m2, gFlat);
        b.pool2dBackward(PoolMode::Max, a2, p2, gFlat, pool, gA2);
        b.activationBackward(ActivationKind::Relu, 0, a2, a2, gA2, gA2);
        b.biasBackward(gA2, b2.grad);
        b.conv2dBackwardFilter(a1, gA2, conv, k2.grad);
        b.conv2dBackwardData(gA2, k2.value, conv, gA1);
        b.activationBackward(ActivationKind::Relu, 0, a1, a1, gA1, gA1);
        b.biasBackward(gA1, b1.grad);
        b.conv2dBackwardFilter(x, gA1, conv, k1.grad);
    }

    void update() {
        ++step;
        for (Weight* w : {&k1, &b1, &k2, &b2, &w3, &b3, &w4, &b4}) {
            b.adamUpdate(w->value, w->grad, w->m, w->v, 0.001, 0.9, 0.999, 1e-7, step, 0.0);
        }
    }
};

void w4TrainStep(benchmark::State& state) {
    W4Step model;
    for (auto _ : state) {
        model.forward();
        model.backward();
        model.update();
    }
    state.counters["samples/s"] = benchmark::Counter(double(kBatch) * double(state.iterations()),
                                                     benchmark::Counter::kIsRate);
    state.counters["loss"] = model.loss.at(0);
}

}  // namespace

void registerTrainStep() {
    benchmark::RegisterBenchmark("Step/W4.adam.batch128", w4TrainStep)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace loom::bench
