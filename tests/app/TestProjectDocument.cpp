#include "GraphFragment.h"
#include "NetworkModel.h"
#include "ProjectDocument.h"

#include "../engine/support/Expect.h"
#include "../engine/support/NestedJson.h"

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/ModelFile.h>
#include <loom/Transfer.h>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <algorithm>
#include <functional>
#include <map>

using namespace loom;

/// The project document: every kind of edit undoes and redoes exactly, and a saved project
/// opens again with the same graph, positions and settings.
class TestProjectDocument : public QObject {
    Q_OBJECT

private slots:
    void opensExampleWithATidyLayout();
    void startsFromAPretrainedBaseLaidOutAndUnsaved();
    void undoesAndRedoesEveryEdit_data();
    void undoesAndRedoesEveryEdit();
    void mergesRepeatedChangesOfOneSetting();
    void undoesDataSectionEdits();
    void savesAndReopensTheSameProject();
    void keepsTheDocumentWhenAFileCannotBeOpened();
    void keepsTheDocumentWhenAFileNestsTooDeep();
    void tracksUnsavedChanges();
    void exportsANetworkNeverTrained_data();
    void exportsANetworkNeverTrained();

private:
    static QString example(const QString& name);
    /// The graph (layers in name order: an undone delete puts a layer back at the end) and the
    /// training settings, as JSON.
    static nlohmann::json snapshot(const ProjectDocument& document);
};

using Edit = std::function<void(ProjectDocument&)>;
Q_DECLARE_METATYPE(Edit)

QString TestProjectDocument::example(const QString& name) {
    return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
}

nlohmann::json TestProjectDocument::snapshot(const ProjectDocument& document) {
    nlohmann::json graph = document.project().graph.toJson();
    std::sort(
        graph["layers"].begin(), graph["layers"].end(),
        [](const nlohmann::json& a, const nlohmann::json& b) { return a["name"] < b["name"]; });
    return {{"graph", graph}, {"training", document.project().training.toJson()}};
}

void TestProjectDocument::opensExampleWithATidyLayout() {
    ProjectDocument document;
    QSignalSpy replaced(&document, &ProjectDocument::projectReplaced);
    document.open(example("w4_cnn.json"));
    QCOMPARE(replaced.size(), 1);
    QCOMPARE(document.project().graph.nodes().size(), size_t(9));
    QCOMPARE(document.project().training.optimizer, std::string("adam"));
    QCOMPARE(document.project().training.batchSize, int64_t(128));
    QCOMPARE(document.project().data.value("source", ""), std::string("fashion-mnist"));
    // The example has no positions; each layer gets its own row, top to bottom.
    QVERIFY(document.network().hasLayout());
    const auto& nodes = document.project().graph.nodes();
    for (size_t i = 1; i < nodes.size(); ++i) {
        QVERIFY(nodes[i].y > nodes[i - 1].y);
    }
    QVERIFY(document.network().analysis().isValid());
    QCOMPARE(document.network().analysis().totalParameters, int64_t(1199882));
    QVERIFY(!document.isModified());
    QCOMPARE(document.undoStack().count(), 0);
}

void TestProjectDocument::startsFromAPretrainedBaseLaidOutAndUnsaved() {
    // A base as fetched networks come: no positions, every layer at the origin.
    Graph base;
    base.add("Input", "picture", {{"shape", {3, 16, 16}}});
    base.add("Conv2D", "conv_a", {{"filters", 4}, {"kernel_size", {3, 3}}}, {"picture"});
    base.add("Conv2D", "conv_b", {{"filters", 4}, {"kernel_size", {3, 3}}}, {"conv_a"});
    base.build(1);
    TransferOptions options;
    options.classes = 3;
    ProjectDocument document;
    document.startFrom(transferProject(base, options, defaultDataSection()), "small_transfer");
    QCOMPARE(document.displayName(), QStringLiteral("small_transfer"));
    QVERIFY(document.path().isEmpty());
    QVERIFY(document.isModified());  // its weights are nowhere else: closing asks
    QVERIFY(document.network().hasLayout());
    // The base is laid out above its head rather than piled on one spot.
    const Graph& graph = document.project().graph;
    QVERIFY(graph.node("picture").y < graph.node("conv_a").y);
    QVERIFY(graph.node("conv_a").y < graph.node("conv_b").y);
    QVERIFY(graph.node("conv_b").y < graph.node("predictions").y);
}

void TestProjectDocument::undoesAndRedoesEveryEdit_data() {
    QTest::addColumn<Edit>("edit");
    QTest::newRow("add layer") << Edit([](ProjectDocument& d) {
        QVERIFY(!d.network().addLayer("BatchNormalization", {40, 50}).isEmpty());
    });
    QTest::newRow("remove layers") << Edit([](ProjectDocument& d) {
        d.network().removeLayers({"dense", "max_pooling2d"});
    });
    QTest::newRow("move layers") << Edit([](ProjectDocument& d) {
        d.network().moveLayers({{"dense", {-70, 5}}, {"flatten", {300, 20}}});
    });
    QTest::newRow("connect") << Edit([](ProjectDocument& d) {
        d.network().addLayer("Dense", {0, 0});
        QVERIFY(d.network().connectLayers("flatten", "dense_2"));
    });
    QTest::newRow("disconnect") << Edit(
        [](ProjectDocument& d) { d.network().disconnectLayers("dropout", "flatten"); });
    QTest::newRow("set parameter") << Edit([](ProjectDocument& d) {
        QVERIFY(d.network().setParameter("conv2d", "kernel_size", {5, 5}));
    });
    QTest::newRow("set training") << Edit([](ProjectDocument& d) {
        TrainingConfig training = d.project().training;
        training.optimizer = "rmsprop";
        training.optimizerParams = {{"learning_rate", 0.002}};
        d.setTraining(training, "optimizer");
    });
    QTest::newRow("paste") << Edit([](ProjectDocument& d) {
        const nlohmann::json copied = copyLayers(d.project().graph, {"dense", "dropout_1"});
        QCOMPARE(d.network().paste(copied, {20, 20}).size(), 2);
    });
    QTest::newRow("tidy") << Edit([](ProjectDocument& d) {
        // The example opens laid out top to bottom.
        d.network().tidyLayout(Qt::Horizontal, {300, 100});
    });
}

void TestProjectDocument::undoesAndRedoesEveryEdit() {
    QFETCH(Edit, edit);
    ProjectDocument document;
    document.open(example("w4_cnn.json"));
    const int stepsBefore = document.undoStack().count();
    const nlohmann::json before = snapshot(document);
    edit(document);
    const nlohmann::json after = snapshot(document);
    QVERIFY(after != before);
    QVERIFY(document.undoStack().count() > stepsBefore);

    while (document.undoStack().canUndo()) {
        document.undoStack().undo();
    }
    QCOMPARE(snapshot(document).dump(2), before.dump(2));
    while (document.undoStack().canRedo()) {
        document.undoStack().redo();
    }
    QCOMPARE(snapshot(document).dump(2), after.dump(2));
}

void TestProjectDocument::mergesRepeatedChangesOfOneSetting() {
    ProjectDocument document;
    document.open(example("w1_softmax.json"));
    TrainingConfig training = document.project().training;
    const int64_t original = training.batchSize;
    for (int64_t batch : {33, 34, 35}) {
        training.batchSize = batch;
        document.setTraining(training, "batch size");
    }
    training.epochs = 7;
    document.setTraining(training, "epochs");
    QCOMPARE(document.undoStack().count(), 2);
    document.undoStack().undo();
    QCOMPARE(document.project().training.batchSize, int64_t(35));
    document.undoStack().undo();
    QCOMPARE(document.project().training.batchSize, original);

    // Clicks on one parameter's spin box merge the same way.
    QVERIFY(document.network().setParameter("dense", "units", 11));
    QVERIFY(document.network().setParameter("dense", "units", 12));
    QCOMPARE(document.undoStack().count(), 1);
}

void TestProjectDocument::undoesDataSectionEdits() {
    ProjectDocument document;
    document.open(example("w1_softmax.json"));
    const nlohmann::json original = document.project().data;
    QSignalSpy changed(&document, &ProjectDocument::dataChanged);
    nlohmann::json edited = original;
    edited["validation_split"] = 0.3;
    document.setData(edited);
    edited["validation_split"] = 0.35;
    document.setData(edited);
    QCOMPARE(document.undoStack().count(), 1);  // one setting edited twice: one step
    QVERIFY(document.isModified());
    document.undoStack().undo();
    QVERIFY(document.project().data == original);
    document.undoStack().redo();
    QCOMPARE(document.project().data.value("validation_split", 0.0), 0.35);
    QCOMPARE(changed.count(), 4);
}

void TestProjectDocument::savesAndReopensTheSameProject() {
    QTemporaryDir dir;
    const QString path = dir.filePath("w4.loom");
    ProjectDocument document;
    document.open(example("w4_cnn.json"));
    document.network().moveLayers({{"dense", {412.5, -37.25}}});
    document.network().setParameter("dropout", "rate", 0.3);
    document.network().addLayer("Dense", {700, 800});
    TrainingConfig training = document.project().training;
    training.optimizer = "sgd";
    training.optimizerParams = {{"learning_rate", 0.05}, {"momentum", 0.9}, {"nesterov", true}};
    training.batchSize = 64;
    training.epochs = 3;
    training.seed = 99;
    training.device = "cpu";
    training.schedule.type = "step";
    training.schedule.every = 4;
    document.setTraining(training, "optimizer");
    document.save(path);
    QVERIFY(!document.isModified());
    QCOMPARE(document.path(), path);

    ProjectDocument reopened;
    reopened.open(path);
    QCOMPARE(reopened.project().graph.toJson().dump(2), document.project().graph.toJson().dump(2));
    QCOMPARE(reopened.network().position("dense"), QPointF(412.5, -37.25));
    QCOMPARE(reopened.network().position("dense_2"), QPointF(700, 800));
    QCOMPARE(reopened.project().training.toJson().dump(2),
             document.project().training.toJson().dump(2));
    QCOMPARE(reopened.project().data.dump(), document.project().data.dump());
    // The unwired Dense is still there and still marked.
    QVERIFY(!reopened.network().analysis().find("dense_2")->valid);
}

void TestProjectDocument::keepsTheDocumentWhenAFileCannotBeOpened() {
    QTemporaryDir dir;
    ProjectDocument document;
    document.open(example("w2_mlp.json"));
    document.network().setParameter("dense", "units", 100);
    const nlohmann::json before = snapshot(document);
    QVERIFY_THROWS_EXCEPTION(IoError, document.open(dir.filePath("missing.json")));
    QVERIFY_THROWS_EXCEPTION(IoError, document.open(dir.filePath("missing.loom")));
    QFile notAGraph(dir.filePath("other.json"));
    QVERIFY(notAGraph.open(QIODevice::WriteOnly));
    notAGraph.write(R"({"format": "something-else", "layers": []})");
    notAGraph.close();
    QVERIFY_THROWS_EXCEPTION(IoError, document.open(notAGraph.fileName()));
    QCOMPARE(snapshot(document).dump(2), before.dump(2));
    QCOMPARE(document.undoStack().count(), 1);
    QCOMPARE(document.displayName(), QStringLiteral("w2_mlp"));
}

void TestProjectDocument::keepsTheDocumentWhenAFileNestsTooDeep() {
    QTemporaryDir dir;
    ProjectDocument document;
    document.open(example("w2_mlp.json"));
    const nlohmann::json before = snapshot(document);
    QFile deep(dir.filePath("deep.json"));
    QVERIFY(deep.open(QIODevice::WriteOnly));
    deep.write(testing::modelWithNestedInputs(100000));
    deep.close();
    const QString message = testing::messageOf<IoError>([&] { document.open(deep.fileName()); });
    QVERIFY2(message.contains("deep.json") && message.contains("nested deeper than") &&
                 message.size() < 300,
             qPrintable(message.left(500)));
    QCOMPARE(snapshot(document).dump(2), before.dump(2));
    QCOMPARE(document.displayName(), QStringLiteral("w2_mlp"));
}

void TestProjectDocument::tracksUnsavedChanges() {
    QTemporaryDir dir;
    ProjectDocument document;
    document.open(example("w1_softmax.json"));
    // An example is saved, first, as a project beside it.
    QCOMPARE(document.suggestedSavePath(),
             QFileInfo(example("w1_softmax.json")).absolutePath() + "/w1_softmax.loom");
    QSignalSpy modified(&document, &ProjectDocument::modifiedChanged);
    document.network().moveLayers({{"dense", {5, 5}}});
    QVERIFY(document.isModified());
    QCOMPARE(modified.last().first().toBool(), true);
    document.save(dir.filePath("w1.loom"));
    QVERIFY(!document.isModified());
    QCOMPARE(document.suggestedSavePath(), dir.filePath("w1.loom"));
    document.undoStack().undo();
    QVERIFY(document.isModified());
}

void TestProjectDocument::exportsANetworkNeverTrained_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("Keras HDF5") << "never.h5";
    QTest::newRow("ONNX") << "never.onnx";
    QTest::newRow("TensorFlow.js") << "tfjs/model.json";
}

/// A network built on the canvas and exported before any run: the file holds the weights its
/// first run would start from, as Keras saves a model never fitted.
void TestProjectDocument::exportsANetworkNeverTrained() {
    QFETCH(QString, file);
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath("tfjs")));
    ProjectDocument document;
    NetworkModel& network = document.network();
    const QString input = network.addLayer("Input", {0, 0});
    QVERIFY(network.setParameter(input, "shape", nlohmann::json::array({784})));
    const QString dense = network.addLayer("Dense", {0, 120});
    QVERIFY(network.connectLayers(input, dense));
    QVERIFY(network.setParameter(dense, "units", 10));
    const QString path = dir.filePath(file);
    document.exportModel(path);
    const ModelFile exported = readModelFile(QFile::encodeName(path).toStdString());
    QCOMPARE(exported.graph.nodes().size(), size_t(2));
    QVERIFY(exported.hasWeights);
}

QTEST_MAIN(TestProjectDocument)
#include "TestProjectDocument.moc"
