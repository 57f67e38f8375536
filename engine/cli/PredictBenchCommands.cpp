// predict and bench.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"

#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Idx.h>
#include <loom/ImageFolder.h>
#include <loom/Trainer.h>
#include <loom/WeightsFile.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace loom::cli {

namespace {

std::vector<std::string> classNamesOf(const ModelFile& model, int64_t classes) {
    if (model.data.contains("class_names")) {
        return model.data["class_names"].get<std::vector<std::string>>();
    }
    if (model.data.value("source", "").rfind("fashion-mnist", 0) == 0 && classes == 10) {
        return fashionMnistClassNames();
    }
    std::vector<std::string> names;
    for (int64_t c = 0; c < classes; ++c) {
        names.push_back(std::to_string(c));
    }
    return names;
}

// The image geometry a model takes: [C, H, W] directly, or a flat input that is a square
// grayscale or colour image flattened (784 = 28x28, 3072 = 3x32x32).
Shape imageShapeFor(const Shape& input) {
    if (input.rank() == 3) {
        return input;
    }
    const int64_t n = input.numel();
    for (int64_t channels : {1, 3}) {
        auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(n / channels))));
        if (input.rank() == 1 && side * side * channels == n) {
            return Shape{channels, side, side};
        }
    }
    throw DataError("the model's input " + input.str() + " is not an image shape");
}

Tensor loadImages(const std::vector<std::string>& paths, const Shape& input,
                  const ModelFile& model) {
    const Shape image = imageShapeFor(input);
    Tensor batch = Tensor::empty(input.withBatch(static_cast<int64_t>(paths.size())));
    const std::string normalization = model.data.value("normalization", "divide_255");
    if (normalization != "divide_255" && normalization != "none") {
        throw ConfigError("predict supports the divide_255 and none normalizations, not '" +
                          normalization + "'");
    }
    const float scale = normalization == "divide_255" ? 1.0f / 255.0f : 1.0f;
    for (size_t i = 0; i < paths.size(); ++i) {
        Tensor pixels = readImage(paths[i], static_cast<int>(image[1]), static_cast<int>(image[2]),
                                  image[0] == 1);
        float* out = batch.data<float>() + static_cast<int64_t>(i) * input.numel();
        const float* in = pixels.data<float>();
        for (int64_t k = 0; k < input.numel(); ++k) {
            out[k] = in[k] * scale;
        }
    }
    return batch;
}

}  // namespace

int runPredict(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"weights", "top", "threads"}, {});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    if (args.positionals().size() < 2) {
        throw ConfigError("usage: loom-cli predict MODEL --weights FILE IMAGE...");
    }
    ModelFile model = readModelFile(args.positionals()[0]);
    prepareWeights(model, args.value("weights"), true, "predict");
    std::vector<std::string> paths(args.positionals().begin() + 1, args.positionals().end());
    const Shape input = model.graph.node(model.graph.inputNames().at(0)).outputShape;
    Tensor images = loadImages(paths, input, model);
    Trainer trainer(model.graph, model.training);
    Tensor scores = trainer.predict(images);
    const int64_t classes = scores.dim(1);
    const std::vector<std::string> names = classNamesOf(model, classes);
    const auto top = std::min<int64_t>(args.integer("top").value_or(3), classes);
    for (size_t i = 0; i < paths.size(); ++i) {
        const float* row = scores.data<float>() + static_cast<int64_t>(i) * classes;
        std::vector<int64_t> order(static_cast<size_t>(classes));
        std::iota(order.begin(), order.end(), int64_t{0});
        std::partial_sort(order.begin(), order.begin() + top, order.end(),
                          [&](int64_t a, int64_t b) { return row[a] > row[b]; });
        std::printf("%s\n", paths[i].c_str());
        for (int64_t k = 0; k < top; ++k) {
            const auto c = order[static_cast<size_t>(k)];
            std::printf("  %-14s %6.2f%%\n", names.at(static_cast<size_t>(c)).c_str(),
                        100.0 * row[c]);
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
        ModelFile model = readModelFile(path);
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
