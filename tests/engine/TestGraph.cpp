// The graph: building from code and JSON, shape inference, clear errors for bad graphs, the
// Keras-style summary, frozen layers and gradients with respect to the input.

#include "support/Expect.h"
#include "support/GradientCheck.h"

#include <loom/Error.h>
#include <loom/Graph.h>

#include <QtTest>

#include <cstring>
#include <functional>
#include <set>

using namespace loom;
using loom::testing::messageOf;

namespace {

// The W2 dogs-vs-cats MLP: 32x32x3 flattened, 768 and 384 ReLU units, 2 softmax outputs.
Graph w2Mlp() {
    Graph g;
    g.setName("sequential");
    g.add("Input", "input", {{"shape", {3072}}});
    g.add("Dense", "dense",
          {{"units", 768}, {"activation", "relu"}, {"kernel_initializer", "uniform"}}, {"input"});
    g.add("Dense", "dense_1", {{"units", 384}, {"activation", "relu"}}, {"dense"});
    g.add("Dense", "dense_2", {{"units", 2}, {"activation", "softmax"}}, {"dense_1"});
    return g;
}

// An Inception-like block: two branches concatenated, plus a residual Add.
Graph branchyNet() {
    Graph g;
    g.add("Input", "image", {{"shape", {3, 8, 8}}});
    g.add("Conv2D", "a", {{"filters", 4}, {"kernel_size", {1, 1}}}, {"image"});
    g.add("Conv2D", "b", {{"filters", 2}, {"kernel_size", {3, 3}}, {"padding", "same"}}, {"image"});
    g.add("Concatenate", "mixed", {}, {"a", "b"});
    g.add("Conv2D", "c", {{"filters", 6}, {"kernel_size", {1, 1}}, {"activation", "relu"}},
          {"mixed"});
    g.add("Add", "residual", {}, {"mixed", "c"});
    g.add("GlobalAveragePool2D", "pool", {}, {"residual"});
    g.add("Dense", "out", {{"units", 3}, {"activation", "softmax"}}, {"pool"});
    return g;
}

}  // namespace

class TestGraph : public QObject {
    Q_OBJECT

private slots:
    void w2SummaryMatchesKeras();
    void functionalSummaryListsConnections();
    void shapesAreInferredThroughBranches();
    void jsonRoundTripKeepsEverything();
    void automaticNamesFollowKeras();
    void placeMovesALayerInTheOrder();
    void cycleIsReported();
    void danglingInputIsReported();
    void incompatibleShapesNameLayerAndShapes();
    void unknownTypeAndParameterAreReported();
    void negativeAndOutOfRangeSizesAreRejected();
    void validateGivesOneDiagnosticPerBadNode();
    void validateKeepsInputsAndOutputsCurrent();
    void malformedJsonIsAnError();
    void frozenLayerGetsNoWeightGradient();
    void inputGradientThroughBranchyNet();
    void rebuildKeepsWeightsUnlessShapesChange();
    void initialWeightsAreSeededPerLayer();
};

void TestGraph::w2SummaryMatchesKeras() {
    Graph g = w2Mlp();
    g.build();
    QCOMPARE(g.parameterCount(), int64_t{2656130});
    const std::string summary = modelSummary(g);
    const std::string expected =
        "Model: \"sequential\"\n"
        "_________________________________________________________________\n"
        " Layer (type)                Output Shape              Param #   \n"
        "=================================================================\n"
        " dense (Dense)               (None, 768)               2360064   \n"
        "                                                                 \n"
        " dense_1 (Dense)             (None, 384)               295296    \n"
        "                                                                 \n"
        " dense_2 (Dense)             (None, 2)                 770       \n"
        "                                                                 \n"
        "=================================================================\n"
        "Total params: 2,656,130\n"
        "Trainable params: 2,656,130\n"
        "Non-trainable params: 0\n"
        "_________________________________________________________________\n";
    QCOMPARE(QString::fromStdString(summary), QString::fromStdString(expected));
}

void TestGraph::functionalSummaryListsConnections() {
    Graph g = branchyNet();
    g.add("BatchNormalization", "bn", {}, {"residual"});
    g.node("pool").inputs = {"bn"};
    g.build();
    const QString summary = QString::fromStdString(modelSummary(g));
    QVERIFY2(summary.contains("Connected to"), qPrintable(summary));
    QVERIFY2(summary.contains("a[0][0], b[0][0]"), qPrintable(summary));
    QVERIFY2(summary.contains("[(None, 3, 8, 8)]"), qPrintable(summary));
    // The batch-norm moving statistics are non-trainable, as in Keras.
    QVERIFY2(summary.contains("Non-trainable params: 12"), qPrintable(summary));
}

void TestGraph::shapesAreInferredThroughBranches() {
    Graph g = branchyNet();
    g.build();
    QCOMPARE(g.node("mixed").outputShape, (Shape{6, 8, 8}));
    QCOMPARE(g.node("residual").outputShape, (Shape{6, 8, 8}));
    QCOMPARE(g.node("out").outputShape, (Shape{3}));
    QCOMPARE(g.outputNames(), std::vector<std::string>{"out"});
}

void TestGraph::jsonRoundTripKeepsEverything() {
    Graph g = branchyNet();
    g.node("a").x = 120;
    g.node("a").y = -40;
    g.layer("c").setTrainable(false);
    nlohmann::json json = g.toJson();
    Graph copy = Graph::fromJson(nlohmann::json::parse(json.dump()));
    QCOMPARE(QString::fromStdString(copy.toJson().dump()), QString::fromStdString(json.dump()));
    QCOMPARE(copy.node("a").x, 120.0);
    QVERIFY(!copy.layer("c").trainable());
    copy.build();
    QCOMPARE(copy.layer("b").params().getString("padding"), std::string("same"));
}

void TestGraph::automaticNamesFollowKeras() {
    Graph g;
    QCOMPARE(g.add("Input", ""), std::string("input"));
    QCOMPARE(g.add("Conv2D", "", {}, {}), std::string("conv2d"));
    QCOMPARE(g.add("Conv2D", "", {}, {}), std::string("conv2d_1"));
    QCOMPARE(g.add("BatchNormalization", "", {}, {}), std::string("batch_normalization"));
    QCOMPARE(g.add("LeakyReLU", "", {}, {}), std::string("leaky_re_lu"));
}

void TestGraph::placeMovesALayerInTheOrder() {
    Graph g;
    for (const char* name : {"a", "b", "c", "d"}) {
        g.add("Input", name, {{"shape", {2}}});
    }
    auto order = [&] {
        std::string names;
        for (const Graph::Node& node : g.nodes()) {
            names += node.layer->name();
        }
        return names;
    };
    g.place("d", 1);
    QCOMPARE(order(), std::string("adbc"));
    g.place("a", 2);
    QCOMPARE(order(), std::string("dbac"));
    g.place("b", 99);
    QCOMPARE(order(), std::string("dacb"));
    g.place("c", 3);
    QCOMPARE(order(), std::string("dabc"));
    g.build();
    QCOMPARE(g.inputNames(), (std::vector<std::string>{"d", "a", "b", "c"}));
    QVERIFY_THROWS_EXCEPTION(GraphError, g.place("e", 0));
}

void TestGraph::cycleIsReported() {
    Graph g;
    g.add("Input", "in", {{"shape", {4}}});
    g.add("Add", "x", {}, {"in", "z"});
    g.add("Dense", "y", {{"units", 4}}, {"x"});
    g.add("Dense", "z", {{"units", 4}}, {"y"});
    QString message = messageOf<GraphError>([&] { g.build(); });
    QVERIFY2(message.contains("cycle") && message.contains("x") && message.contains("z"),
             qPrintable(message));
}

void TestGraph::danglingInputIsReported() {
    Graph g;
    g.add("Input", "in", {{"shape", {4}}});
    g.add("Dense", "d", {{"units", 2}}, {"nowhere"});
    QString message = messageOf<GraphError>([&] { g.build(); });
    QVERIFY2(message.contains("'d'") && message.contains("nowhere"), qPrintable(message));
}

void TestGraph::incompatibleShapesNameLayerAndShapes() {
    Graph g;
    g.add("Input", "in", {{"shape", {1, 28, 28}}});
    g.add("Dense", "dense", {{"units", 10}}, {"in"});
    QString message = messageOf<ShapeError>([&] { g.build(); });
    QVERIFY2(message.contains("'dense'") && message.contains("(1, 28, 28)") &&
                 message.contains("Flatten"),
             qPrintable(message));

    Graph concat;
    concat.add("Input", "a", {{"shape", {2, 8, 8}}});
    concat.add("Input", "b", {{"shape", {2, 7, 8}}});
    concat.add("Concatenate", "join", {}, {"a", "b"});
    message = messageOf<ShapeError>([&] { concat.build(); });
    QVERIFY2(message.contains("'join'") && message.contains("(2, 7, 8)") &&
                 message.contains("(2, 8, 8)"),
             qPrintable(message));

    Graph conv;
    conv.add("Input", "in", {{"shape", {1, 4, 4}}});
    conv.add("Conv2D", "big", {{"kernel_size", {5, 5}}}, {"in"});
    message = messageOf<ShapeError>([&] { conv.build(); });
    QVERIFY2(message.contains("'big'") && message.contains("(1, 4, 4)"), qPrintable(message));
}

void TestGraph::unknownTypeAndParameterAreReported() {
    Graph g;
    QString message = messageOf<ConfigError>([&] { g.add("Dence", "d", {}, {}); });
    QVERIFY2(message.contains("Dence") && message.contains("Dense"), qPrintable(message));
    message = messageOf<ConfigError>([&] { g.add("Dense", "d", {{"unitz", 3}}, {}); });
    QVERIFY2(message.contains("unitz") && message.contains("units") && message.contains("'d'"),
             qPrintable(message));
    message = messageOf<ConfigError>([&] { g.add("Dense", "d", {{"activation", "swishy"}}, {}); });
    QVERIFY2(message.contains("swishy") && message.contains("relu"), qPrintable(message));
    message = messageOf<ConfigError>([&] { g.add("Dense", "d", {{"units", "ten"}}, {}); });
    QVERIFY2(message.contains("units") && message.contains("whole number"), qPrintable(message));
}

void TestGraph::negativeAndOutOfRangeSizesAreRejected() {
    Graph g;
    QString message = messageOf<ConfigError>([&] { g.add("Dense", "d", {{"units", -5}}, {}); });
    QVERIFY2(message.contains("-5") && message.contains("units"), qPrintable(message));
    message = messageOf<ConfigError>([&] { g.add("Input", "i", {{"shape", {3, -2}}}); });
    QVERIFY2(message.contains("-2") && message.contains("shape"), qPrintable(message));
    message = messageOf<ConfigError>([&] { g.add("Dropout", "p", {{"rate", 1.5}}, {}); });
    QVERIFY2(message.contains("rate"), qPrintable(message));
    message = messageOf<ShapeError>([] { Tensor::empty(Shape{4, -1}); });
    QVERIFY2(message.contains("negative"), qPrintable(message));
}

void TestGraph::validateGivesOneDiagnosticPerBadNode() {
    Graph g;
    g.add("Input", "in", {{"shape", {1, 28, 28}}});
    g.add("Dense", "bad_dense", {{"units", 10}}, {"in"});
    g.add("Conv2D", "bad_conv", {{"kernel_size", {40, 40}}}, {"in"});
    g.add("Flatten", "ok", {}, {"in"});
    g.add("Dense", "orphan", {{"units", 2}}, {"ghost"});
    // Layers the editor has not wired yet: a diagnostic each, not an exception.
    g.add("Dense", "unwired", {{"units", 2}});
    g.add("Add", "half_wired_add", {}, {"ok"});
    std::vector<NodeDiagnostic> problems = g.validate();
    std::set<std::string> bad;
    for (const NodeDiagnostic& d : problems) {
        bad.insert(d.node);
    }
    QCOMPARE(bad, (std::set<std::string>{"bad_dense", "bad_conv", "orphan", "unwired",
                                         "half_wired_add"}));
}

void TestGraph::validateKeepsInputsAndOutputsCurrent() {
    Graph g;
    g.add("Input", "in", {{"shape", {4}}});
    g.add("Dense", "hidden", {{"units", 3}}, {"in"});
    QVERIFY(g.validate().empty());
    QCOMPARE(g.outputNames(), std::vector<std::string>{"hidden"});
    // An edit between builds: what validate says is what the next build will see.
    g.add("Dense", "out", {{"units", 2}}, {"hidden"});
    g.add("Input", "extra", {{"shape", {4}}});
    QVERIFY(g.validate().empty());
    QCOMPARE(g.inputNames(), (std::vector<std::string>{"in", "extra"}));
    QCOMPARE(g.outputNames(), (std::vector<std::string>{"out", "extra"}));
    g.setOutputs({"ghost"});
    const std::vector<NodeDiagnostic> problems = g.validate();
    QCOMPARE(problems.size(), size_t(1));
    QVERIFY2(problems[0].message.find("ghost") != std::string::npos, problems[0].message.c_str());
}

void TestGraph::malformedJsonIsAnError() {
    QString message = messageOf<GraphError>([] { Graph::fromJson({{"format", "loom-graph"}}); });
    QVERIFY2(message.contains("layers"), qPrintable(message));
    message = messageOf<GraphError>([] {
        Graph::fromJson({{"format", "loom-graph"}, {"version", "one"}, {"layers", {}}});
    });
    QVERIFY2(message.contains("malformed"), qPrintable(message));
    message = messageOf<GraphError>([] {
        Graph::fromJson(
            {{"format", "loom-graph"}, {"version", 99}, {"layers", nlohmann::json::array()}});
    });
    QVERIFY2(message.contains("newer"), qPrintable(message));
    message = messageOf<GraphError>([] {
        Graph::fromJson({{"format", "loom-graph"},
                         {"layers", {{{"name", "a"}, {"type", "Dense"}, {"inputs", "x"}}}}});
    });
    QVERIFY2(message.contains("inputs"), qPrintable(message));
}

void TestGraph::frozenLayerGetsNoWeightGradient() {
    Graph g = w2Mlp();
    g.layer("dense").setTrainable(false);
    g.build();
    QCOMPARE(g.trainableParameterCount(), int64_t{2656130 - 2360064});
    Tensor x = Tensor::zeros(Shape{2, 3072});
    ExecutionContext ctx{cpuBackend(), true};
    Tensor y = g.forward(ctx, {x})[0];
    Tensor dy = Tensor::full(y.shape(), 0.5);
    g.backward(ctx, {{dy, false}});
    QVERIFY(!g.layer("dense").parameters()[0].grad.defined());
    QVERIFY(g.layer("dense_1").parameters()[0].grad.defined());
}

void TestGraph::inputGradientThroughBranchyNet() {
    Graph g = branchyNet();
    g.build(5, DType::F64);
    Tensor x = Tensor::empty(Shape{2, 3, 8, 8}, DType::F64);
    testing::fillUniform(x, 8);
    ExecutionContext ctx{cpuBackend(), true, 0, 0, DType::F64};
    Tensor y = g.forward(ctx, {x})[0];
    Tensor projection = Tensor::empty(y.shape(), DType::F64);
    testing::fillUniform(projection, 9);
    g.backward(ctx, {{projection, false}}, true);
    Tensor analytic = g.inputGradient(0).clone();
    auto objective = [&] {
        Tensor out = g.forward(ctx, {x})[0];
        double s = 0;
        for (int64_t i = 0; i < out.numel(); ++i) {
            s += out.at(i) * projection.at(i);
        }
        return s;
    };
    auto result = testing::checkGradient("d/dimage", x, analytic, objective, 60);
    QVERIFY2(result.failure.empty(), result.failure.c_str());
    QVERIFY(result.checked > 30);
}

void TestGraph::rebuildKeepsWeightsUnlessShapesChange() {
    Graph g = w2Mlp();
    g.build(1);
    double before = g.layer("dense_1").parameters()[0].value.at(0);
    g.layer("dense_1").parameters()[0].value.set(0, 42.0);
    g.build(1);
    QCOMPARE(g.layer("dense_1").parameters()[0].value.at(0), 42.0);
    g.layer("dense").params().set("units", 100);
    g.build(1);
    QCOMPARE(g.layer("dense_1").parameters()[0].value.shape(), (Shape{100, 384}));
    QVERIFY(g.layer("dense_1").parameters()[0].value.at(0) != 42.0);
    Q_UNUSED(before);
}

void TestGraph::initialWeightsAreSeededPerLayer() {
    Graph a = w2Mlp();
    a.build(123);
    Graph b = w2Mlp();
    b.build(123);
    Graph c = w2Mlp();
    c.build(124);
    const Tensor& wa = a.layer("dense_1").parameters()[0].value;
    const Tensor& wb = b.layer("dense_1").parameters()[0].value;
    const Tensor& wc = c.layer("dense_1").parameters()[0].value;
    QCOMPARE(std::memcmp(wa.raw(), wb.raw(), wa.bytes()), 0);
    QVERIFY(std::memcmp(wa.raw(), wc.raw(), wa.bytes()) != 0);
    // glorot_uniform's limit for 768 -> 384 and Keras' uniform +-0.05 for the first layer.
    double limit = std::sqrt(6.0 / (768 + 384));
    double extreme = 0;
    for (int64_t i = 0; i < wa.numel(); ++i) {
        extreme = std::max(extreme, std::abs(wa.at(i)));
    }
    QVERIFY(extreme <= limit && extreme > 0.9 * limit);
    const Tensor& first = a.layer("dense").parameters()[0].value;
    for (int64_t i = 0; i < first.numel(); i += 997) {
        QVERIFY(std::abs(first.at(i)) <= 0.05);
    }
}

QTEST_APPLESS_MAIN(TestGraph)
#include "TestGraph.moc"
