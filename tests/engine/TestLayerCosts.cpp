// Layer costs from shapes alone: the counts equal what Graph::build creates for every layer kind
// in the registry, multiply-adds follow the usual MAC tables, the graph's own weights are left
// alone, and a network with billions of weights is counted without allocating them.
//
// Environment: LOOM_PRETRAINED_DIR (see README "Pretrained networks") for the InceptionV3 case,
// which skips without it.

#include <loom/ArtModel.h>
#include <loom/LayerCosts.h>
#include <loom/TfjsModel.h>

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <string>

using namespace loom;
using nlohmann::json;

namespace {

/// The most this process has held in memory since resetPeakResident: VmHWM in
/// /proc/self/status (kB). A peak, not the present size: weights a count allocated and freed
/// again before returning still show.
int64_t peakResidentBytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmHWM:")) {
            return std::stoll(line.substr(6)) * 1024;
        }
    }
    return 0;
}

/// Sets the peak to the present size (writing 5 to clear_refs); false when the kernel refuses.
bool resetPeakResident() {
    std::ofstream clearRefs("/proc/self/clear_refs");
    clearRefs << "5";
    clearRefs.flush();
    return clearRefs.good();
}

/// A kind's defaults, then each boolean flipped and each choice set to its last option: a dense
/// layer without bias, a batch norm without scale or centre, "same" padding, ...
std::vector<json> configurationsOf(const LayerKind& kind) {
    std::vector<json> configurations{json::object()};
    for (const ParamSpec& spec : kind.params) {
        if (spec.type == ParamType::Bool) {
            configurations.push_back({{spec.name, !std::get<bool>(spec.defaultValue)}});
        } else if (spec.type == ParamType::Choice) {
            configurations.push_back({{spec.name, spec.choices.back()}});
        }
    }
    return configurations;
}

/// The layer "layer" of `kind` fed by an Input of shape `input` (once per input the kind
/// needs); an Input kind is that layer itself.
Graph graphAround(const LayerKind& kind, const Shape& input, json params, bool trainable) {
    Graph graph;
    if (kind.minInputs == 0) {
        params["shape"] = input.dims();
        graph.add(kind.type, "layer", params);
    } else {
        graph.add("Input", "in", {{"shape", input.dims()}});
        graph.add(kind.type, "layer", params,
                  std::vector<std::string>(static_cast<size_t>(kind.minInputs), "in"));
    }
    graph.layer("layer").setTrainable(trainable);
    return graph;
}

/// Empty when every layer's counted cost equals the parameters it holds, else what differs.
std::string differences(const Graph& graph, const NetworkCosts& costs) {
    std::string found;
    for (const Graph::Node& node : graph.nodes()) {
        const Layer& layer = *node.layer;
        auto counted = costs.layers.find(layer.name());
        if (counted == costs.layers.end()) {
            found += layer.describe() + " was not counted; ";
        } else if (counted->second.parameters != layer.parameterCount() ||
                   counted->second.trainableParameters != layer.trainableParameterCount()) {
            found += layer.describe() + " counted " + std::to_string(counted->second.parameters) +
                     " (" + std::to_string(counted->second.trainableParameters) +
                     " trainable), holds " + std::to_string(layer.parameterCount()) + " (" +
                     std::to_string(layer.trainableParameterCount()) + " trainable); ";
        }
    }
    if (costs.total.parameters != graph.parameterCount() ||
        costs.total.trainableParameters != graph.trainableParameterCount()) {
        found += "the totals differ";
    }
    return found;
}

Graph mlp(int64_t inputs, int64_t hidden) {
    Graph graph;
    graph.add("Input", "in", {{"shape", {inputs}}});
    graph.add("Dense", "hidden", {{"units", hidden}, {"activation", "relu"}}, {"in"});
    graph.add("Dense", "out", {{"units", 10}, {"activation", "softmax"}}, {"hidden"});
    return graph;
}

Graph conv(const json& params) {
    Graph graph;
    graph.add("Input", "in", {{"shape", {3, 32, 32}}});
    graph.add("Conv2D", "conv", params, {"in"});
    return graph;
}

LayerCost costOf(Graph& graph, const std::string& layer) {
    graph.validate();
    return networkCosts(graph).layers.at(layer);
}

}  // namespace

class TestLayerCosts : public QObject {
    Q_OBJECT

private slots:
    void countsEqualBuildForEveryLayerKind();
    void frozenLayersHaveNoTrainableParameters();
    void denseMultiplyAdds();
    void conv2dMultiplyAdds();
    void graphWeightsAreLeftAlone();
    void invalidLayersAreNotCounted();
    void billionsOfWeightsAreCountedWithoutAllocating();
    void pretrainedInceptionCountsEqualItsWeights();
};

void TestLayerCosts::countsEqualBuildForEveryLayerKind() {
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        int checked = 0;
        for (const json& params : configurationsOf(*kind)) {
            for (const Shape& input : {Shape{12}, Shape{3, 9, 9}}) {
                for (bool trainable : {true, false}) {
                    Graph graph = graphAround(*kind, input, params, trainable);
                    graph.validate();
                    if (!graph.node("layer").valid) {
                        continue;  // this kind takes no input of this shape
                    }
                    const NetworkCosts costs = networkCosts(graph);
                    graph.build();
                    const std::string found = differences(graph, costs);
                    QVERIFY2(found.empty(), (kind->type + " " + params.dump() + " on " +
                                             input.str() + ": " + found)
                                                .c_str());
                    ++checked;
                }
            }
        }
        QVERIFY2(checked > 0,
                 (kind->type + " takes neither input shape: give it one here").c_str());
    }
}

void TestLayerCosts::frozenLayersHaveNoTrainableParameters() {
    Graph graph;
    graph.add("Input", "in", {{"shape", {3, 8, 8}}});
    graph.add("Conv2D", "conv", {{"filters", 4}}, {"in"});
    graph.add("BatchNormalization", "bn", {}, {"conv"});
    graph.validate();
    NetworkCosts costs = networkCosts(graph);
    // gamma and beta train, the moving statistics never do.
    QCOMPARE(costs.layers.at("bn").parameters, 16);
    QCOMPARE(costs.layers.at("bn").trainableParameters, 8);
    graph.layer("conv").setTrainable(false);
    graph.layer("bn").setTrainable(false);
    costs = networkCosts(graph);
    QCOMPARE(costs.layers.at("conv").parameters, 4 * 3 * 3 * 3 + 4);
    QCOMPARE(costs.layers.at("conv").trainableParameters, 0);
    QCOMPARE(costs.layers.at("bn").trainableParameters, 0);
    QCOMPARE(costs.total.trainableParameters, 0);
}

void TestLayerCosts::denseMultiplyAdds() {
    Graph graph = mlp(784, 128);
    graph.validate();
    const NetworkCosts costs = networkCosts(graph);
    QCOMPARE(costs.layers.at("hidden").parameters, 784 * 128 + 128);
    QCOMPARE(costs.layers.at("hidden").multiplyAdds, 784 * 128);
    QCOMPARE(costs.layers.at("out").multiplyAdds, 128 * 10);
    QCOMPARE(costs.layers.at("in").multiplyAdds, 0);
    QCOMPARE(costs.total.multiplyAdds, 784 * 128 + 128 * 10);
}

void TestLayerCosts::conv2dMultiplyAdds() {
    // 16 filters of 3x3x3 weights, each applied once per output pixel.
    Graph valid = conv({{"filters", 16}});
    QCOMPARE(costOf(valid, "conv").multiplyAdds, 16 * 3 * 3 * 3 * 30 * 30);
    QCOMPARE(costOf(valid, "conv").parameters, 16 * 3 * 3 * 3 + 16);
    Graph strided = conv({{"filters", 16}, {"strides", {2, 2}}, {"padding", "same"}});
    QCOMPARE(costOf(strided, "conv").multiplyAdds, 16 * 3 * 3 * 3 * 16 * 16);
    Graph pointwise = conv({{"filters", 8}, {"kernel_size", {1, 1}}, {"use_bias", false}});
    QCOMPARE(costOf(pointwise, "conv").multiplyAdds, 8 * 3 * 32 * 32);
    QCOMPARE(costOf(pointwise, "conv").parameters, 8 * 3);
}

void TestLayerCosts::graphWeightsAreLeftAlone() {
    Graph graph = mlp(20, 30);
    graph.build();
    const Tensor kernel = graph.layer("hidden").parameters().front().value;
    const std::vector<float> values = kernel.toVector();
    // An edit not yet built: the counts follow the new parameters, the weights stay as they are.
    graph.layer("hidden").params().set("units", 40);
    graph.validate();
    const NetworkCosts costs = networkCosts(graph);
    QCOMPARE(costs.layers.at("hidden").parameters, 20 * 40 + 40);
    QCOMPARE(costs.layers.at("out").parameters, 40 * 10 + 10);
    const Tensor& after = graph.layer("hidden").parameters().front().value;
    QVERIFY(after.sharesStorageWith(kernel));
    QCOMPARE(after.shape(), (Shape{20, 30}));
    QCOMPARE(after.toVector(), values);
}

void TestLayerCosts::invalidLayersAreNotCounted() {
    Graph graph = mlp(784, 64);
    graph.add("Dense", "unwired", {{"units", 5}});
    graph.add("Conv2D", "misfit", {}, {"hidden"});  // a flat input to a convolution
    QCOMPARE(graph.validate().size(), size_t{2});
    const NetworkCosts costs = networkCosts(graph);
    QCOMPARE(costs.layers.size(), size_t{3});
    QCOMPARE(costs.total.parameters, 784 * 64 + 64 + 64 * 10 + 10);
}

void TestLayerCosts::billionsOfWeightsAreCountedWithoutAllocating() {
    // 784 x 2,000,000 weights are 6.3 GB of float32.
    Graph graph = mlp(784, 2000000);
    QVERIFY(graph.validate().empty());
    QVERIFY(resetPeakResident());
    const int64_t before = peakResidentBytes();
    QVERIFY(before > 0);
    const NetworkCosts costs = networkCosts(graph);
    const std::string summary = modelSummary(graph);
    const int64_t grown = peakResidentBytes() - before;
    QVERIFY2(grown < (16 << 20), qPrintable(QString("grew by %1 bytes").arg(grown)));
    QCOMPARE(costs.layers.at("hidden").parameters, int64_t{1570000000});
    QCOMPARE(costs.total.parameters, int64_t{1570000000} + 2000000 * 10 + 10);
    QVERIFY2(summary.find("Total params: 1,590,000,010") != std::string::npos, summary.c_str());
    QVERIFY(!graph.isBuilt());
}

void TestLayerCosts::pretrainedInceptionCountsEqualItsWeights() {
    const std::string path = pretrainedFolder() + "/inception_v3/model.json";
    if (!std::filesystem::exists(path)) {
        QSKIP(("no " + path + "; fetch it with scripts/fetch-test-data.sh").c_str());
    }
    Graph graph = loadTfjsModel(path);
    const NetworkCosts costs = networkCosts(graph);
    QCOMPARE(costs.layers.size(), graph.nodes().size());
    const std::string found = differences(graph, costs);
    QVERIFY2(found.empty(), found.c_str());
}

QTEST_APPLESS_MAIN(TestLayerCosts)
#include "TestLayerCosts.moc"
