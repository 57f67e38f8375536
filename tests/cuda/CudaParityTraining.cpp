// Parity of whole training runs (W2 and W4 for 50 steps from the same initial weights) and of
// the device plumbing around the ops: copies in every direction, tensors moving between
// devices, out-of-memory and bad-label errors that leave the backend working.

#include "CudaParitySupport.h"

#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Trainer.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#ifndef LOOM_SOURCE_DIR
#define LOOM_SOURCE_DIR "."
#endif

namespace loom::test {

namespace {

// ---- device plumbing ----------------------------------------------------------------------

void copies(Backend& gpu, CaseResult& r) {
    const Tensor x32 = randomTensor({17, 33}, 1);
    const Tensor x64 = randomTensor({17, 33}, 2, -1, 1, DType::F64);
    // host -> device -> host, same type.
    compareWithCpu(r, "float32 round trip", x32, toGpu(gpu, x32).toHost(), kExact);
    compareWithCpu(r, "float64 round trip", x64, toGpu(gpu, x64).toHost(), kExact);
    // Conversions: on the host on the way up, on the device between devices' tensors.
    Tensor up64 = gpu.allocate(x32.shape(), DType::F64);
    gpu.copy(x32, up64);
    compareWithCpu(r, "float32 -> device float64", x32, up64, kExact);
    Tensor down32 = gpu.allocate(x32.shape(), DType::F32);
    gpu.copy(up64, down32);
    compareWithCpu(r, "device float64 -> device float32", x32, down32, kExact);
    Tensor host64 = Tensor::zeros(x32.shape(), DType::F64);
    gpu.copy(down32, host64);
    compareWithCpu(r, "device float32 -> host float64", x32, host64, kExact);
    // Device to device, and a reshaped destination of the same size.
    Tensor twin = gpu.allocate(Shape{33, 17});
    gpu.copy(down32, twin);
    compareWithCpu(r, "device -> device", x32, twin, kExact);
    // Through Tensor and the CPU backend, which hand device memory to its backend.
    Tensor viaTensor = Tensor::zeros(x32.shape());
    viaTensor.copyFrom(twin);
    compareWithCpu(r, "Tensor::copyFrom(device)", x32, viaTensor, kExact);
    Tensor viaCpu = Tensor::zeros(x32.shape());
    cpuBackend().copy(twin, viaCpu);
    compareWithCpu(r, "cpuBackend().copy(device -> host)", x32, viaCpu, kExact);
    // A slice of a device tensor (an offset into its storage).
    Tensor rows = toGpu(gpu, x32).slice(5, 9);
    compareWithCpu(r, "slice", x32.slice(5, 9), rows.toHost(), kExact);
    // A large copy that goes through the staging buffers in several pieces.
    const Tensor big = randomTensor({int64_t(40) << 20}, 3);
    compareWithCpu(r, "160 MiB round trip", big, toGpu(gpu, big).toHost(), kExact);
}

void outOfMemory(Backend& gpu, CaseResult& r) {
    bool threw = false;
    try {
        // Far more than any GPU has: the allocator empties its cache, retries and reports.
        gpu.allocate(Shape{int64_t(1) << 48}, DType::F32);
    } catch (const BackendError& e) {
        threw = true;
        const std::string message = e.what();
        expect(r,
               message.find("out of GPU memory") != std::string::npos &&
                   message.find("free of") != std::string::npos,
               "the out-of-memory message does not say how much was asked and is free: " + message);
    }
    expect(r, threw, "allocating 1 PiB did not throw");
    // The backend keeps working afterwards.
    const Tensor x = randomTensor({1000}, 4);
    Tensor y = gpu.allocate({1000});
    gpu.activationForward(ActivationKind::Relu, 0, toGpu(gpu, x), y);
    Tensor yc = Tensor::zeros({1000});
    cpuBackend().activationForward(ActivationKind::Relu, 0, x, yc);
    compareWithCpu(r, "an op after out of memory", yc, y, kExact);
}

void badLabel(Backend& gpu, CaseResult& r) {
    const Tensor logits = randomTensor({4, 3}, 5);
    Tensor labels = Tensor::fromVector({4}, std::vector<float>{0, 2, 3, 1});  // 3 is no class
    Tensor loss = gpu.allocate({1});
    bool threw = false;
    try {
        gpu.sparseSoftmaxCrossEntropy(toGpu(gpu, logits), toGpu(gpu, labels), loss, nullptr);
        gpu.synchronize();
    } catch (const DataError& e) {
        threw = std::string(e.what()).find("sample 2") != std::string::npos;
        expect(r, threw, std::string("the bad label is not named: ") + e.what());
    }
    expect(r, threw, "a label out of range did not raise DataError at the next synchronisation");
    labels.set(2, 2.0);
    Tensor lossCpu = Tensor::zeros({1});
    cpuBackend().sparseSoftmaxCrossEntropy(logits, labels, lossCpu, nullptr);
    gpu.sparseSoftmaxCrossEntropy(toGpu(gpu, logits), toGpu(gpu, labels), loss, nullptr);
    compareWithCpu(r, "a good call afterwards", lossCpu, loss, kReduction);
}

void argumentErrors(Backend& gpu, CaseResult& r) {
    const Tensor host = randomTensor({4, 4}, 6);
    Tensor device = toGpu(gpu, host);
    bool hostRefused = false, shapeRefused = false;
    try {
        gpu.add(host, device, device);
    } catch (const BackendError&) {
        hostRefused = true;
    }
    try {
        Tensor wrong = gpu.allocate({3, 5});
        gpu.gemm(false, false, 1, device, device, 0, wrong);
    } catch (const ShapeError& e) {
        shapeRefused = std::string(e.what()).find("gemm") != std::string::npos;
    }
    expect(r, hostRefused, "a host tensor given to a GPU op was not refused");
    expect(r, shapeRefused, "mismatched GEMM shapes were not refused with a ShapeError");
}

nlohmann::json readJson(const std::string& relative) {
    const char* root = std::getenv("LOOM_SOURCE_DIR");
    const std::string path = std::string(root != nullptr ? root : LOOM_SOURCE_DIR) + "/" + relative;
    std::ifstream in(path);
    if (!in) {
        throw IoError("cannot read " + path + " (set LOOM_SOURCE_DIR to the source tree)");
    }
    return nlohmann::json::parse(in);
}

void graphMoves(Backend& gpu, CaseResult& r) {
    Graph graph = Graph::fromJson(readJson("examples/w4_cnn.json"));
    graph.build(7);
    const Tensor x = randomTensor({3, 1, 28, 28}, 8, 0, 1);
    ExecutionContext cpuCtx{cpuBackend(), false, 0, 0, DType::F32};
    const Tensor expected = graph.forward(cpuCtx, {x})[0].clone();
    graph.moveTo(gpu);
    ExecutionContext gpuCtx{gpu, false, 0, 0, DType::F32};
    compareWithCpu(r, "forward on the GPU", expected, graph.forward(gpuCtx, {toGpu(gpu, x)})[0],
                   kConvolution);
    graph.moveTo(cpuBackend());
    compareWithCpu(r, "forward back on the CPU", expected, graph.forward(cpuCtx, {x})[0],
                   kConvolution);
}

// ---- training -----------------------------------------------------------------------------

class LossRecorder : public ProgressSink {
public:
    void report(const ProgressEvent& event) override {
        if (const auto* batch = std::get_if<BatchProgress>(&event)) {
            losses.push_back(batch->loss);
        } else if (const auto* end = std::get_if<RunFinished>(&event)) {
            finished = *end;
        }
    }
    std::vector<double> losses;
    RunFinished finished{RunFinished::Reason::Completed, "", ""};
};

struct TrainingRun {
    std::vector<double> losses;
    std::vector<Tensor> weights;  ///< on the host
    RunFinished finished{RunFinished::Reason::Completed, "", ""};
};

constexpr int kSteps = 50;

// Trains `model` for kSteps batches of random data (the same on every run) on backend.
TrainingRun train(Backend& backend, const std::string& model) {
    const nlohmann::json json = readJson(model);
    Graph graph = Graph::fromJson(json);
    TrainingConfig config = TrainingConfig::fromJson(json["training"]);
    config.epochs = 1;
    graph.build(config.seed);
    const Shape input = graph.node(graph.inputNames()[0]).outputShape;
    const int64_t classes = graph.node(graph.outputNames()[0]).outputShape.numel();
    const int64_t n = kSteps * config.batchSize;
    Dataset data;
    data.samples = randomTensor(input.withBatch(n), 99, 0, 1);
    data.targets = Tensor::zeros({n});
    for (int64_t i = 0; i < n; ++i) {
        data.targets.set(i, double((i * 7 + i / 3) % classes));
    }
    for (int64_t c = 0; c < classes; ++c) {
        data.classNames.push_back(std::to_string(c));
    }
    Trainer trainer(graph, config, backend);
    LossRecorder recorder;
    trainer.fit(data, nullptr, &recorder);
    TrainingRun run;
    run.losses = recorder.losses;
    run.finished = recorder.finished;
    for (auto& [name, p] : graph.parameters()) {
        run.weights.push_back(p->value.toHost());
    }
    return run;
}

// Losses agree step by step to `tolerance` (relative, see CudaParityCases.h); the weights
// after 50 steps are reported with a looser bound, since adaptive optimizers turn tiny
// gradient differences into full-size steps for the few weights whose gradient is near 0.
void trainingCase(Backend& gpu, CaseResult& r, const std::string& model, double tolerance) {
    const TrainingRun onCpu = train(cpuBackend(), model);
    const TrainingRun onGpu = train(gpu, model);
    expect(r, onCpu.finished.reason == RunFinished::Reason::Completed,
           "the CPU run did not complete: " + onCpu.finished.message);
    expect(r, onGpu.finished.reason == RunFinished::Reason::Completed,
           "the CUDA run did not complete: " + onGpu.finished.message);
    expect(r, onCpu.losses.size() == size_t(kSteps) && onGpu.losses.size() == size_t(kSteps),
           "expected " + std::to_string(kSteps) + " steps, got " +
               std::to_string(onCpu.losses.size()) + " and " + std::to_string(onGpu.losses.size()));
    if (onCpu.losses.size() != onGpu.losses.size()) {
        return;
    }
    compareWithCpu(r, "losses of " + std::to_string(kSteps) + " steps",
                   Tensor::fromVector({int64_t(onCpu.losses.size())}, onCpu.losses),
                   Tensor::fromVector({int64_t(onGpu.losses.size())}, onGpu.losses), tolerance);
    for (size_t i = 0; i < onCpu.weights.size() && i < onGpu.weights.size(); ++i) {
        compareWithCpu(r, "weights " + std::to_string(i), onCpu.weights[i], onGpu.weights[i], 5e-2);
    }
}

}  // namespace

std::vector<ParityCase> deviceParityCases() {
    return {
        {"copies between host and device", copies},
        {"out of memory is reported and survived", outOfMemory},
        {"a bad sparse label is reported at the next sync", badLabel},
        {"argument errors", argumentErrors},
        {"graph moves to the GPU and back", graphMoves},
    };
}

std::vector<ParityCase> trainingParityCases() {
    return {
        {"W2 MLP 784-768-384-10, RMSprop, batch 128, 50 steps",
         [](Backend& gpu, CaseResult& r) {
             trainingCase(gpu, r, "examples/w2_mlp_fashion.json", 2e-3);
         }},
        {"W4 CNN (examples/w4_cnn.json), Adam, batch 128, 50 steps",
         [](Backend& gpu, CaseResult& r) { trainingCase(gpu, r, "examples/w4_cnn.json", 2e-3); }},
    };
}

}  // namespace loom::test
