// TF.js layers model export: Loom reads its own export back to the same function and training
// settings, the weights are sharded as tensorflowjs' converter shards them, and TF.js itself
// (the pure-JavaScript @tensorflow/tfjs in Node, when LOOM_TFJS_NODE_PATH names it) loads the
// export and predicts what Loom predicts.

#include <loom/Backend.h>
#include <loom/Error.h>
#include <loom/TfjsModel.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

using namespace loom;
using nlohmann::json;

namespace {

/// A functional CNN whose 1200 x 1000 Dense kernel (4.8 MB) needs two 4 MiB shards, with a
/// branch, a merge and a batch norm with non-trivial statistics.
Graph shardedCnn() {
    Graph graph;
    graph.add("Input", "image", {{"shape", {3, 20, 20}}});
    graph.add(
        "Conv2D", "conv",
        {{"filters", 3}, {"kernel_size", {3, 3}}, {"padding", "same"}, {"activation", "relu"}},
        {"image"});
    graph.add("BatchNormalization", "norm", json::object(), {"conv"});
    graph.add("DepthwiseConv2D", "depthwise", {{"kernel_size", {3, 3}}, {"padding", "same"}},
              {"image"});
    graph.add("Add", "sum", json::object(), {"norm", "depthwise"});
    graph.add("Flatten", "flat", json::object(), {"sum"});
    graph.add("Dense", "hidden", {{"units", 1000}, {"activation", "tanh"}}, {"flat"});
    graph.add("Dense", "out", {{"units", 3}, {"activation", "softmax"}}, {"hidden"});
    graph.build(7);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> statistic(0.5f, 1.5f);
    for (Parameter& p : graph.layer("norm").parameters()) {
        std::vector<float> values = p.value.toVector();
        for (float& v : values) {
            v = statistic(rng);
        }
        p.value = Tensor::fromVector(p.value.shape(), values);
    }
    return graph;
}

Tensor randomImages(int64_t count) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
    std::vector<float> values(static_cast<size_t>(count * 3 * 20 * 20));
    for (float& v : values) {
        v = pixel(rng);
    }
    return Tensor::fromVector(Shape{count, 3, 20, 20}, values);
}

std::vector<float> run(Graph& graph, const Tensor& input) {
    ExecutionContext ctx{cpuBackend()};
    return graph.forward(ctx, {input})[0].toVector();
}

/// [N, C, H, W] -> TF.js' channels_last [N, H, W, C], as tfjs_predict.js reads it.
json channelsLastInput(const Tensor& images) {
    const int64_t n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3);
    const std::vector<float> src = images.toVector();
    std::vector<float> dst(src.size());
    for (int64_t i = 0; i < n; ++i)
        for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < w; ++x)
                    dst[((i * h + y) * w + x) * c + ch] = src[((i * c + ch) * h + y) * w + x];
    return {{"shape", {n, h, w, c}}, {"values", dst}};
}

bool exists(const QTemporaryDir& dir, const char* name) {
    return std::filesystem::exists(dir.filePath(name).toStdString());
}

}  // namespace

class TestTfjsExport : public QObject {
    Q_OBJECT

private slots:
    void roundTrip() {
        QTemporaryDir dir;
        Graph graph = shardedCnn();
        TrainingConfig training;
        training.optimizer = "rmsprop";
        training.optimizerParams = {{"learning_rate", 0.002}};
        const std::string file = dir.filePath("model.json").toStdString();
        exportTfjsModel(graph, file, &training);
        QVERIFY(exists(dir, "group1-shard1of2.bin") && exists(dir, "group1-shard2of2.bin"));
        QCOMPARE(std::filesystem::file_size(dir.filePath("group1-shard1of2.bin").toStdString()),
                 uintmax_t(4) << 20);

        KerasModel back = loadTfjsKerasModel(file);
        const Tensor input = randomImages(2);
        QCOMPARE(run(back.graph, input), run(graph, input));
        QVERIFY(back.training.has_value());
        QCOMPARE(back.training->optimizer, std::string("rmsprop"));
        QCOMPARE(back.training->optimizerParams.value("learning_rate", 0.0), 0.002);

        // Another model in the same folder keeps its own shards.
        exportTfjsModel(graph, dir.filePath("second.json").toStdString());
        QVERIFY(exists(dir, "second-group1-shard1of2.bin"));
        QVERIFY(!loadTfjsKerasModel(dir.filePath("second.json").toStdString()).training);
    }

    void layersKerasLacksAreNamed() {
        QTemporaryDir dir;
        Graph leaky;
        leaky.add("Input", "in", {{"shape", {4}}});
        leaky.add("Dense", "d", {{"units", 2}, {"activation", "leaky_relu"}}, {"in"});
        leaky.build();
        try {
            exportTfjsModel(leaky, dir.filePath("model.json").toStdString());
            QFAIL("no IoError for an activation Keras lacks");
        } catch (const IoError& e) {
            QVERIFY2(std::string(e.what()).find("leaky_relu") != std::string::npos, e.what());
        }
        QVERIFY(!exists(dir, "model.json"));
    }

    void tfjsPredictsWhatLoomPredicts() {
        const QString nodePath = qEnvironmentVariable("LOOM_TFJS_NODE_PATH");
        if (nodePath.isEmpty() ||
            !std::filesystem::exists((nodePath + "/@tensorflow/tfjs").toStdString())) {
            QSKIP(
                "LOOM_TFJS_NODE_PATH names no node_modules with @tensorflow/tfjs "
                "(scripts/fetch-test-data.sh installs one)");
        }
        QTemporaryDir dir;
        Graph graph = shardedCnn();
        exportTfjsModel(graph, dir.filePath("model.json").toStdString());
        const Tensor input = randomImages(3);
        std::ofstream(dir.filePath("input.json").toStdString()) << channelsLastInput(input).dump();

        QProcess node;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert("NODE_PATH", nodePath);
        node.setProcessEnvironment(environment);
        node.start("node",
                   {qEnvironmentVariable("LOOM_SOURCE_DIR") + "/tests/fixtures/tfjs_predict.js",
                    dir.filePath("model.json"), dir.filePath("input.json")});
        QVERIFY2(node.waitForFinished(120000), "node did not finish in two minutes");
        QVERIFY2(node.exitCode() == 0, node.readAllStandardError().constData());
        const json tfjs = json::parse(node.readAllStandardOutput().toStdString());
        QCOMPARE(tfjs.at("shape"), json({3, 3}));
        const std::vector<float> expected = run(graph, input);
        const std::vector<float> actual = tfjs.at("values").get<std::vector<float>>();
        QCOMPARE(actual.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            QVERIFY2(std::abs(actual[i] - expected[i]) < 1e-5,
                     qPrintable(QString("output %1: TF.js %2, Loom %3")
                                    .arg(i)
                                    .arg(actual[i])
                                    .arg(expected[i])));
        }
    }
};

QTEST_APPLESS_MAIN(TestTfjsExport)
#include "TestTfjsExport.moc"
