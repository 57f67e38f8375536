// predict and bench.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"

#include <loom/DataSource.h>
#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Idx.h>
#include <loom/Prediction.h>
#include <loom/Trainer.h>
#include <loom/WeightsFile.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace loom::cli {

int runPredict(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"weights", "data", "top", "threads"}, {kAllowNonFiniteWeights});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    if (args.positionals().size() < 2) {
        throw ConfigError("usage: loom-cli predict MODEL --weights FILE IMAGE...");
    }
    ModelFile model = readModelFile(args.positionals()[0], args);
    prepareWeights(model, args, true, "predict");
    const SamplePreprocessing preprocessing = samplePreprocessing(model, args);
    Trainer trainer(model.graph, model.training);
    const int64_t top = args.integer("top").value_or(3);
    const std::vector<std::string> names = classNames(model, args);
    for (const std::string& path :
         std::vector<std::string>(args.positionals().begin() + 1, args.positionals().end())) {
        std::printf("%s\n", path.c_str());
        for (const ClassProbability& c : predictImage(trainer, preprocessing, path, top).top) {
            std::printf("  %-14s %6.2f%%\n", names.at(static_cast<size_t>(c.classIndex)).c_str(),
                        100.0 * c.probability);
        }
    }
    return 0;
}

int runBench(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"batch", "steps", "samples", "repeat", "threads", "device"}, {});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    std::vector<std::string> models = args.positionals();
    if (models.empty()) {
        throw ConfigError(
            "usage: loom-cli bench MODEL... [--batch N] [--steps N | --samples N] [--repeat N] "
            "[--device D]");
    }
    const int repeats = static_cast<int>(args.integer("repeat").value_or(1));
    if (repeats < 1) {
        throw ConfigError("--repeat must be at least 1");
    }
    std::printf("%-28s %6s %8s %12s %12s %10s   (%d CPU threads)\n", "model", "batch", "steps",
                "ms/step", "samples/s", "s/epoch", cpuThreads());
    for (const std::string& path : models) {
        ModelFile model = readModelFile(path, args);
        model.training.batchSize = args.integer("batch").value_or(model.training.batchSize);
        model.training.epochs = 1;
        ensureBuilt(model);
        Backend& backend = backendFor(parseDevice(args.value("device", model.training.device)));
        const Shape input = model.graph.node(model.graph.inputNames().at(0)).outputShape;
        const Shape output = model.graph.node(model.graph.outputNames().at(0)).outputShape;
        // An epoch of --samples samples (the last batch may be smaller), or of --steps batches.
        const int64_t batch = model.training.batchSize;
        const int64_t n =
            args.integer("samples").value_or(args.integer("steps").value_or(200) * batch);
        if (n < 1) {
            throw ConfigError("--samples and --steps must be at least 1");
        }
        const int64_t steps = (n + batch - 1) / batch;
        // Synthetic samples and labels: the arithmetic is what is measured, not the data.
        Dataset data;
        data.samples = Tensor::empty(input.withBatch(n));
        data.targets = Tensor::empty(Shape{n});
        Rng rng(1);
        for (int64_t i = 0; i < data.samples.numel(); ++i) {
            data.samples.data<float>()[i] = static_cast<float>(rng.uniform());
        }
        for (int64_t i = 0; i < n; ++i) {
            data.targets.data<float>()[i] = static_cast<float>(i % output.numel());
        }
        for (int64_t c = 0; c < output.numel(); ++c) {
            data.classNames.push_back(std::to_string(c));
        }
        Trainer trainer(model.graph, model.training, backend);
        // Warm-up, not timed: first-use costs (allocations, cuDNN's algorithm search).
        trainer.fit(data.subset(shuffledIndices(std::min<int64_t>(n, 5 * batch), 2)), nullptr);
        backend.synchronize();
        std::vector<double> epochs;
        for (int r = 0; r < repeats; ++r) {
            auto start = std::chrono::steady_clock::now();
            trainer.fit(data, nullptr);
            backend.synchronize();  // a GPU may still be running the last update
            epochs.push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(epochs.begin(), epochs.end());
        const double seconds = epochs[epochs.size() / 2];
        std::printf("%-28s %6lld %8lld %12.3f %12.0f %10.4f   (%s)\n", model.graph.name().c_str(),
                    static_cast<long long>(batch), static_cast<long long>(steps),
                    1000.0 * seconds / static_cast<double>(steps), static_cast<double>(n) / seconds,
                    seconds, backend.name().c_str());
    }
    return 0;
}

}  // namespace loom::cli
