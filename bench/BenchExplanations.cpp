// What explaining one prediction costs on the CPU: saliency and Grad-CAM through InceptionV3 at
// 299x299 (the fetched network: node examples/fetch_pretrained.js; skipped without it), and
// occlusion of a 28x28 picture through W4 (4x4 patch, stride 2: 169 covered copies). Each
// iteration is one explanation of one sample, on an Explainer made once, as the window's
// explanation job uses it.

#include <loom/ArtModel.h>
#include <loom/Backend.h>
#include <loom/Explanations.h>
#include <loom/ModelFile.h>

#include <benchmark/benchmark.h>

#include <optional>

namespace loom::bench {

namespace {

Tensor noisePicture(const Shape& shape) {
    Tensor x = Tensor::empty(shape);
    for (int64_t i = 0; i < x.numel(); ++i) {
        x.set(i, double((i * 7919) % 255) / 255.0);
    }
    return x;
}

std::optional<Graph> inceptionV3(benchmark::State& state) {
    try {
        return loadPretrainedModel("inception_v3");
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return std::nullopt;
    }
}

void inceptionV3Explanation(benchmark::State& state) {
    std::optional<Graph> model = inceptionV3(state);
    if (!model) {
        return;
    }
    Explainer explainer(*model, cpuBackend());
    const Tensor x = noisePicture(Shape{1, 3, 299, 299});
    const bool gradCam = state.range(0) != 0;
    const std::string layer = defaultGradCamLayer(*model);
    for (auto _ : state) {
        benchmark::DoNotOptimize(gradCam ? explainer.gradCam(x, 0, layer)
                                         : explainer.saliency(x, 0));
    }
    state.SetLabel(gradCam ? "Grad-CAM on " + layer : "saliency");
}
BENCHMARK(inceptionV3Explanation)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void w4Occlusion(benchmark::State& state) {
    ModelFile w4 = readModelFile(LOOM_SOURCE_DIR "/examples/w4_cnn.json");
    w4.graph.build(1);
    Explainer explainer(w4.graph, cpuBackend());
    const Tensor x = noisePicture(Shape{1, 1, 28, 28});
    OcclusionOptions patches;
    patches.patch = 4;
    patches.stride = 2;
    for (auto _ : state) {
        benchmark::DoNotOptimize(explainer.occlusion(x, 0, patches));
    }
}
BENCHMARK(w4Occlusion)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

}  // namespace loom::bench
