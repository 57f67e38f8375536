// The undo commands of network edits (NetworkCommands.h), pushed by NetworkModel's edits: each
// undo gives back exactly the graph before the edit (layers, their order, parameters,
// trainability, positions, wires in their order and the model's outputs), each redo exactly
// the graph after it, parameter changes of one setting merge into one step, and an edit the
// engine would refuse pushes nothing.

#include "NetworkCommands.h"
#include "NetworkModel.h"

#include <loom/Graph.h>

#include <QSignalSpy>
#include <QTest>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

using namespace loom;

/// QCOMPARE for two graphs as JSON, printing both when they differ.
#define COMPARE_JSON(actual, expected)                                    \
    QVERIFY2((actual) == (expected),                                      \
             qPrintable(QString("\n%1\nwanted\n%2")                       \
                            .arg(QString::fromStdString((actual).dump()), \
                                 QString::fromStdString((expected).dump()))))

class TestNetworkCommands : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void addLayerUndoesAndRedoes();
    void removeRestoresLayersWiresAndOutputs();
    void removeRestoresTheLayerOrder();
    void moveRestoresPositionsAndOnlyMoves();
    void connectAndDisconnectRestoreTheInputList();
    void connectReplacesTheOneInputOfASingleInputLayer();
    void parameterChangesMergeIntoOneStep();
    void trainingChangesUndoAndFactorEditsMerge();
    void fineTuningIsOneStepWithinTheGroup();
    void refusedEditsPushNothing();
    void undoingEverythingRetracesEveryState();

private:
    /// input -> dense_a, input -> dense_b, concatenate(dense_a, dense_b) -> out, with a frozen
    /// dense_b of 7 units and explicit outputs [out, dense_a].
    void buildBranches();
    nlohmann::json state() const { return m_graph->toJson(); }
    /// A graph's JSON with its layers sorted by name: what it holds, whatever their order.
    static nlohmann::json byName(nlohmann::json graph) {
        std::sort(graph["layers"].begin(), graph["layers"].end(),
                  [](const nlohmann::json& a, const nlohmann::json& b) {
                      return a["name"].get<std::string>() < b["name"].get<std::string>();
                  });
        return graph;
    }

    std::unique_ptr<Graph> m_graph;
    std::unique_ptr<QUndoStack> m_undo;
    std::unique_ptr<NetworkModel> m_model;
};

void TestNetworkCommands::init() {
    m_graph = std::make_unique<Graph>();
    m_undo = std::make_unique<QUndoStack>();
    m_model = std::make_unique<NetworkModel>(*m_graph, *m_undo);
}

void TestNetworkCommands::cleanup() {
    m_model.reset();
    m_undo.reset();
    m_graph.reset();
}

void TestNetworkCommands::buildBranches() {
    *m_graph =
        Graph::fromJson(nlohmann::json::parse(R"({"format": "loom-graph", "version": 1, "layers": [
        {"name": "input", "type": "Input", "params": {"shape": [8]}, "position": [0, 0]},
        {"name": "dense_a", "type": "Dense", "params": {"units": 4}, "inputs": ["input"],
         "position": [-100, 100]},
        {"name": "dense_b", "type": "Dense", "params": {"units": 7, "activation": "relu"},
         "inputs": ["input"], "trainable": false, "position": [100, 100]},
        {"name": "concatenate", "type": "Concatenate", "inputs": ["dense_a", "dense_b"],
         "position": [0, 200]},
        {"name": "out", "type": "Dense", "params": {"units": 2}, "inputs": ["concatenate"],
         "position": [0, 300]}],
        "outputs": ["out", "dense_a"]})"));
    m_model->reset();
    m_undo->clear();
}

void TestNetworkCommands::addLayerUndoesAndRedoes() {
    const nlohmann::json empty = state();
    QSignalSpy changed(m_model.get(), &NetworkModel::changed);
    QCOMPARE(m_model->addLayer("Input", QPointF(10, 20)), QString("input"));
    QCOMPARE(m_model->addLayer("Dense", QPointF(10, 120)), QString("dense"));
    QCOMPARE(m_undo->count(), 2);
    QCOMPARE(m_undo->text(1), QString("Add dense"));
    QCOMPARE(m_model->position("dense"), QPointF(10, 120));
    QCOMPARE(changed.count(), 2);
    const nlohmann::json both = state();

    m_undo->undo();
    QVERIFY(!m_model->contains("dense"));
    QVERIFY(m_model->contains("input"));
    m_undo->undo();
    COMPARE_JSON(state(), empty);
    m_undo->redo();
    m_undo->redo();
    COMPARE_JSON(state(), both);
    QCOMPARE(changed.count(), 6);  // every step tells the views
    // The name given again after an undo is the same one.
    m_undo->undo();
    QCOMPARE(m_model->addLayer("Dense", QPointF(0, 0)), QString("dense"));
}

void TestNetworkCommands::removeRestoresLayersWiresAndOutputs() {
    buildBranches();
    const nlohmann::json before = state();
    m_model->removeLayers({"dense_a", "missing"});  // what is not there is left out
    QCOMPARE(m_undo->count(), 1);
    QCOMPARE(m_undo->text(0), QString("Delete dense_a"));
    QVERIFY(!m_model->contains("dense_a"));
    QCOMPARE(m_graph->node("concatenate").inputs, (std::vector<std::string>{"dense_b"}));
    QCOMPARE(m_model->explicitOutputs(), (std::vector<std::string>{"out"}));
    const nlohmann::json after = state();

    m_undo->undo();
    // The wire back into concatenate comes first again, the outputs list it again.
    QCOMPARE(m_graph->node("concatenate").inputs, (std::vector<std::string>{"dense_a", "dense_b"}));
    QCOMPARE(m_model->explicitOutputs(), (std::vector<std::string>{"out", "dense_a"}));
    QCOMPARE(m_graph->node("dense_a").layer->params().getInt("units"), int64_t{4});
    QCOMPARE(m_model->position("dense_a"), QPointF(-100, 100));
    m_undo->redo();
    COMPARE_JSON(state(), after);

    // Several at once, a frozen layer with its parameters among them.
    m_undo->undo();
    m_model->removeLayers({"dense_b", "concatenate"});
    QCOMPARE(m_undo->text(0), QString("Delete 2 layer(s)"));  // in place of the undone one
    QCOMPARE(m_graph->node("out").inputs, std::vector<std::string>{});
    m_undo->undo();
    QVERIFY(!m_graph->node("dense_b").layer->trainable());
    QCOMPARE(m_graph->node("dense_b").layer->params().getString("activation"), std::string("relu"));
    QCOMPARE(m_graph->node("out").inputs, (std::vector<std::string>{"concatenate"}));
    QCOMPARE(state()["layers"].size(), before["layers"].size());
}

void TestNetworkCommands::removeRestoresTheLayerOrder() {
    // The summary, the saved project and the exports list layers in the graph's order: an
    // undone delete puts a layer back where it was, not at the end.
    buildBranches();
    const nlohmann::json before = state();
    m_model->removeLayers({"dense_a"});
    m_undo->undo();
    // In the same place in the graph's order too: an Input layer's place orders the model's
    // inputs (inputNames() follows it).
    COMPARE_JSON(state(), before);
}

void TestNetworkCommands::moveRestoresPositionsAndOnlyMoves() {
    buildBranches();
    const nlohmann::json before = state();
    QSignalSpy moved(m_model.get(), &NetworkModel::layersMoved);
    QSignalSpy changed(m_model.get(), &NetworkModel::changed);
    m_model->moveLayers({{"dense_a", QPointF(-150, 120)},
                         {"out", QPointF(5, 350)},
                         {"dense_b", QPointF(100, 100)}});  // where it is already
    QCOMPARE(m_undo->count(), 1);
    QCOMPARE(m_model->position("dense_a"), QPointF(-150, 120));
    QCOMPARE(m_model->position("out"), QPointF(5, 350));
    const nlohmann::json after = state();
    m_undo->undo();
    COMPARE_JSON(state(), before);
    m_undo->redo();
    COMPARE_JSON(state(), after);
    QCOMPARE(moved.count(), 3);
    QCOMPARE(changed.count(), 0);  // shapes and counts are as they were

    m_model->moveLayers({{"dense_a", QPointF(-150, 120)}});  // no move: no undo step
    QCOMPARE(m_undo->count(), 1);
}

void TestNetworkCommands::connectAndDisconnectRestoreTheInputList() {
    buildBranches();
    const nlohmann::json before = state();
    QVERIFY(m_model->connectLayers("input", "concatenate"));
    QCOMPARE(m_graph->node("concatenate").inputs,
             (std::vector<std::string>{"dense_a", "dense_b", "input"}));
    QCOMPARE(m_undo->text(0), QString("Connect input to concatenate"));
    m_model->disconnectLayers("dense_a", "concatenate");
    QCOMPARE(m_graph->node("concatenate").inputs, (std::vector<std::string>{"dense_b", "input"}));
    const nlohmann::json after = state();
    m_undo->undo();
    QCOMPARE(m_graph->node("concatenate").inputs,
             (std::vector<std::string>{"dense_a", "dense_b", "input"}));
    m_undo->undo();
    COMPARE_JSON(state(), before);
    m_undo->redo();
    m_undo->redo();
    COMPARE_JSON(state(), after);

    m_model->disconnectLayers("out", "concatenate");  // no such wire: no undo step
    QCOMPARE(m_undo->count(), 2);
}

void TestNetworkCommands::connectReplacesTheOneInputOfASingleInputLayer() {
    buildBranches();
    QVERIFY(m_model->connectLayers("dense_b", "out"));
    QCOMPARE(m_graph->node("out").inputs, (std::vector<std::string>{"dense_b"}));
    m_undo->undo();
    QCOMPARE(m_graph->node("out").inputs, (std::vector<std::string>{"concatenate"}));
}

void TestNetworkCommands::parameterChangesMergeIntoOneStep() {
    buildBranches();
    const nlohmann::json before = state();
    // Three clicks on the units spin box' arrow: one undo step.
    QVERIFY(m_model->setParameter("out", "units", 3));
    QVERIFY(m_model->setParameter("out", "units", 4));
    QVERIFY(m_model->setParameter("out", "units", 5));
    QCOMPARE(m_undo->count(), 1);
    QCOMPARE(m_undo->text(0), QString("Set units of out"));
    QCOMPARE(m_graph->node("out").layer->params().getInt("units"), int64_t{5});
    // Another setting, or the same setting of another layer, is a step of its own.
    QVERIFY(m_model->setParameter("out", "activation", "softmax"));
    QVERIFY(m_model->setParameter("dense_a", "units", 9));
    QCOMPARE(m_undo->count(), 3);
    const nlohmann::json after = state();
    // Setting what is there already changes nothing.
    QVERIFY(m_model->setParameter("dense_a", "units", 9));
    QCOMPARE(m_undo->count(), 3);

    m_undo->undo();
    m_undo->undo();
    QCOMPARE(m_graph->node("out").layer->params().getInt("units"), int64_t{5});
    m_undo->undo();
    COMPARE_JSON(state(), before);  // back to 2 units, not 4
    m_undo->redo();
    QCOMPARE(m_graph->node("out").layer->params().getInt("units"), int64_t{5});
    m_undo->redo();
    m_undo->redo();
    COMPARE_JSON(state(), after);
}

void TestNetworkCommands::trainingChangesUndoAndFactorEditsMerge() {
    buildBranches();
    const nlohmann::json before = state();
    // Typing 0.1 into the factor field: successive values, one undo step.
    QVERIFY(m_model->setTraining("out", {true, 0.5}));
    QVERIFY(m_model->setTraining("out", {true, 0.1}));
    QCOMPARE(m_undo->count(), 1);
    QCOMPARE(m_undo->text(0), QString("Set the learning-rate factor of out"));
    QCOMPARE(m_graph->layer("out").learningRateFactor(), 0.1);
    // Freezing is a step of its own, and so is the same factor edit on another layer.
    QVERIFY(m_model->setTraining("out", {false, 0.1}));
    QCOMPARE(m_undo->text(1), QString("Freeze out"));
    QVERIFY(!m_graph->layer("out").trainable());
    QVERIFY(m_model->setTraining("dense_a", {true, 2.0}));
    QCOMPARE(m_undo->count(), 3);
    // What is there already pushes nothing; a factor outside 0..1e6 is refused.
    QVERIFY(m_model->setTraining("dense_a", {true, 2.0}));
    QVERIFY(!m_model->setTraining("dense_a", {true, -1.0}));
    QVERIFY(!m_model->setTraining("dense_a", {true, std::nan("")}));
    QCOMPARE(m_undo->count(), 3);
    QCOMPARE(m_model->training("dense_a"), (LayerTraining{true, 2.0}));
    const nlohmann::json after = state();

    // A deleted layer comes back with its factor and frozen state.
    m_model->removeLayers({"out"});
    m_undo->undo();
    QCOMPARE(m_model->training("out"), (LayerTraining{false, 0.1}));
    COMPARE_JSON(state(), after);

    m_undo->undo();
    m_undo->undo();
    QCOMPARE(m_model->training("out"), (LayerTraining{true, 0.1}));
    m_undo->undo();
    COMPARE_JSON(state(), before);
}

void TestNetworkCommands::fineTuningIsOneStepWithinTheGroup() {
    buildBranches();
    for (const char* member : {"input", "dense_a", "dense_b", "concatenate"}) {
        m_graph->node(member).group = "base";
        m_graph->layer(member).setTrainable(false);
    }
    m_model->reset();
    const nlohmann::json before = state();
    QVERIFY(m_model->fineTuneFrom("dense_b", 0.1));
    QCOMPARE(m_undo->count(), 1);
    QCOMPARE(m_undo->text(0), QString("Fine-tune base from dense_b"));
    // dense_b and what runs after it in the group learn slowly; dense_a before it stays frozen;
    // out, the head, keeps its own rate.
    QCOMPARE(m_model->training("dense_a"), (LayerTraining{false, 1.0}));
    QCOMPARE(m_model->training("dense_b"), (LayerTraining{true, 0.1}));
    QCOMPARE(m_model->training("concatenate"), (LayerTraining{true, 0.1}));
    QCOMPARE(m_model->training("out"), (LayerTraining{true, 1.0}));
    // From an earlier layer: a second step; the same again changes nothing.
    QVERIFY(m_model->fineTuneFrom("dense_a", 0.1));
    QVERIFY(m_model->fineTuneFrom("dense_a", 0.1));
    QCOMPARE(m_undo->count(), 2);
    QCOMPARE(m_model->training("dense_a"), (LayerTraining{true, 0.1}));
    // Outside a group there is nothing to fine-tune.
    QVERIFY(!m_model->fineTuneFrom("out", 0.1));
    QCOMPARE(m_undo->count(), 2);
    m_undo->undo();
    m_undo->undo();
    COMPARE_JSON(state(), before);
}

void TestNetworkCommands::refusedEditsPushNothing() {
    buildBranches();
    const nlohmann::json before = state();
    QSignalSpy refused(m_model.get(), &NetworkModel::editRefused);
    QVERIFY(m_model->addLayer("Dense3D", QPointF()).isEmpty());
    QVERIFY(!m_model->connectLayers("out", "dense_a"));      // a cycle
    QVERIFY(!m_model->connectLayers("dense_a", "input"));    // into an Input
    QVERIFY(!m_model->connectLayers("dense_a", "dense_a"));  // itself
    QVERIFY(!m_model->connectLayers("input", "dense_a"));    // there already
    QVERIFY(!m_model->setParameter("out", "units", 0));
    QVERIFY(!m_model->setParameter("out", "unit", 3));
    QVERIFY(!m_model->setParameter("nobody", "units", 3));
    QCOMPARE(refused.count(), 8);
    QCOMPARE(m_undo->count(), 0);
    COMPARE_JSON(state(), before);
    QVERIFY2(refused[1][0].toString().contains("cycle"), qPrintable(refused[1][0].toString()));
    QVERIFY2(refused[5][0].toString().contains("parameter 'units'") &&
                 refused[5][0].toString().contains("layer 'out'"),
             qPrintable(refused[5][0].toString()));
}

void TestNetworkCommands::undoingEverythingRetracesEveryState() {
    // Layer order aside (removeRestoresTheLayerOrder): after an undone delete the layer
    // put back is last.
    std::vector<nlohmann::json> states{byName(state())};
    // One edit, which must push one undo step.
    const auto step = [&](const std::function<void()>& edit) {
        const int before = m_undo->count();
        edit();
        states.push_back(byName(state()));
        return m_undo->count() == before + 1;
    };
    QVERIFY(step([&] { m_model->addLayer("Input", QPointF(0, 0)); }));
    QVERIFY(step([&] { m_model->addLayer("Dense", QPointF(0, 100)); }));
    QVERIFY(step([&] { m_model->addLayer("Dense", QPointF(0, 200)); }));
    QVERIFY(step([&] { m_model->connectLayers("input", "dense"); }));
    QVERIFY(step([&] { m_model->connectLayers("dense", "dense_1"); }));
    QVERIFY(step([&] { m_model->setParameter("dense_1", "units", 12); }));
    QVERIFY(step([&] { m_model->setParameter("dense", "activation", "relu"); }));
    QVERIFY(step([&] { m_model->moveLayers({{"dense_1", QPointF(50, 250)}}); }));
    QVERIFY(step([&] { m_model->addLayer("Dropout", QPointF(0, 150)); }));
    QVERIFY(step([&] { m_model->connectLayers("dense", "dropout"); }));
    QVERIFY(step([&] { m_model->connectLayers("dropout", "dense_1"); }));  // replaces dense
    QVERIFY(step([&] { m_model->removeLayers({"dense"}); }));
    QVERIFY(step([&] { m_model->tidyLayout(Qt::Vertical, QSizeF(200, 100)); }));
    for (int i = m_undo->count(); i > 0; --i) {
        m_undo->undo();
        COMPARE_JSON(byName(state()), states[size_t(i - 1)]);
    }
    for (size_t i = 1; i < states.size(); ++i) {
        m_undo->redo();
        COMPARE_JSON(byName(state()), states[i]);
    }
}

QTEST_MAIN(TestNetworkCommands)
#include "TestNetworkCommands.moc"
