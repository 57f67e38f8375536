// How long the layer inspector takes to show a 64-channel layer's feature maps (64 maps of
// 56x56, a VGG-sized first block, with the layer's 3x3x3 colour filters): setLayer, then the
// whole inspector painted offscreen, as a person switching layers or samples waits for it.
// Run offscreen: QT_QPA_PLATFORM=offscreen build/bench/loom-bench-inspector

#include "LayerInspector.h"

#include <QApplication>
#include <QPixmap>

#include <benchmark/benchmark.h>

namespace {

loom::InspectedLayer vggSizedLayer() {
    loom::InspectedLayer layer;
    layer.name = QStringLiteral("block1_conv1");
    layer.type = QStringLiteral("Conv2D");
    layer.outputShape = loom::Shape{64, 56, 56};
    layer.output = loom::Tensor::empty(layer.outputShape);
    for (int64_t i = 0; i < layer.output.numel(); ++i) {
        layer.output.set(i, double((i * 7919) % 1000) / 1000.0);
    }
    layer.kernel = loom::Tensor::full(loom::Shape{64, 3, 3, 3}, 0.1);
    layer.sampleName = QStringLiteral("a sample");
    return layer;
}

void inspectorShows64Maps(benchmark::State& state) {
    loom::LayerInspector inspector;
    inspector.resize(1200, 800);
    inspector.show();
    const loom::InspectedLayer layer = vggSizedLayer();
    for (auto _ : state) {
        inspector.setLayer(layer);
        benchmark::DoNotOptimize(inspector.grab());
    }
}
BENCHMARK(inspectorShows64Maps)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
