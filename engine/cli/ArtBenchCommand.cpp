// bench-art: the time of one style-transfer loss and gradient and of one deep-dream step, for
// the side-by-side comparison with PyTorch in bench/art/.

#include "cli/Arguments.h"
#include "cli/Commands.h"

#include <loom/DeepDream.h>
#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/PixelPreprocessing.h>
#include <loom/StyleTransfer.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace loom::cli {

namespace {

Tensor randomPicture(int64_t size, uint64_t seed) {
    Tensor picture = Tensor::empty(Shape{3, size, size});
    Rng rng(seed);
    for (int64_t i = 0; i < picture.numel(); ++i) {
        picture.set(i, rng.uniform(0.0, 255.0));
    }
    return picture;
}

/// The median of `repeat` timed calls after two untimed ones (first-use costs: allocations,
/// cuDNN's algorithm search), in milliseconds.
double medianMilliseconds(int repeat, Backend& backend, const std::function<void()>& work) {
    for (int i = 0; i < 2; ++i) {
        work();
    }
    backend.synchronize();
    std::vector<double> times;
    for (int i = 0; i < repeat; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        backend.synchronize();
        times.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

double benchStyle(const std::string& graphPath, int64_t size, int repeat, Backend& backend) {
    std::ifstream in(graphPath);
    if (!in) {
        throw IoError("cannot read the VGG16 graph '" + graphPath + "'");
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    Graph vgg = Graph::fromJson(parseJson(text, graphPath));
    vgg.build(1);
    const ArtModelDefaults defaults = artModelDefaults(vgg);
    StyleSettings settings;
    settings.contentLayer = defaults.contentLayer;
    settings.styleLayers = defaults.styleLayers;
    FeatureExtractor features(vgg, styleLayerNames(settings), backend);
    const Tensor content = toNetworkInput(randomPicture(size, 1), defaults.scaling);
    const Tensor style = toNetworkInput(randomPicture(size, 2), defaults.scaling);
    StyleObjective objective(features, settings, defaults.scaling, content, style);
    const std::vector<double> x(content.data<float>(), content.data<float>() + content.numel());
    std::vector<double> gradient;
    return medianMilliseconds(repeat, backend, [&] { objective(x, gradient); });
}

double benchDream(Graph& inception, int64_t size, int repeat, Backend& backend) {
    DreamSettings settings;
    settings.layers = artModelDefaults(inception).dreamLayers;
    std::vector<std::string> names;
    std::vector<double> weights;
    for (const LayerWeight& layer : settings.layers) {
        names.push_back(layer.layer);
        weights.push_back(layer.weight);
    }
    FeatureExtractor features(inception, names, backend);
    Tensor input = toNetworkInput(randomPicture(size, 3), PixelScaling::MinusOneToOne);
    // A step as DeepDream takes it: loss and gradient, then the normalised update.
    return medianMilliseconds(repeat, backend, [&] {
        Tensor gradient;
        dreamObjective(features, weights, input, &gradient);
        double meanAbs = 0;
        const float* g = gradient.data<float>();
        for (int64_t i = 0; i < gradient.numel(); ++i) {
            meanAbs += std::abs(g[i]);
        }
        const double scale = settings.step / std::max(meanAbs / double(gradient.numel()), 1e-7);
        float* x = input.data<float>();
        for (int64_t i = 0; i < input.numel(); ++i) {
            x[i] += static_cast<float>(scale * g[i]);
        }
    });
}

}  // namespace

int runBenchArt(int argc, char** argv) {
    Arguments args(argc, argv, 2,
                   {"style-size", "dream-size", "repeat", "device", "threads", "vgg16"}, {});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    Backend& backend = backendFor(parseDevice(args.value("device", "cpu")));
    const int repeat = static_cast<int>(args.integer("repeat").value_or(5));
    const int64_t styleSize = args.integer("style-size").value_or(512);
    const int64_t dreamSize = args.integer("dream-size").value_or(600);
    if (repeat < 1 || styleSize < 32 || dreamSize < 75) {
        throw ConfigError(
            "--repeat must be at least 1, --style-size at least 32 and "
            "--dream-size at least 75 (InceptionV3's smallest input)");
    }
    std::printf("%-44s %10s   (%s, %d CPU threads)\n", "workload", "ms", backend.name().c_str(),
                cpuThreads());
    const double style = benchStyle(args.value("vgg16", "bench/art/vgg16_features.json"), styleSize,
                                    repeat, backend);
    std::printf("style_vgg16_%-32lld %10.2f\n", static_cast<long long>(styleSize), style);
    std::fflush(stdout);
    Graph inception = loadPretrainedModel("inception_v3");
    const double dream = benchDream(inception, dreamSize, repeat, backend);
    std::printf("dream_inception_v3_mixed5_%-18lld %10.2f\n", static_cast<long long>(dreamSize),
                dream);
    return 0;
}

}  // namespace loom::cli
