// What loading checks before anything computes with a file. JSON stays within limits (a value
// nested 100,000 deep overflowed the stack) and errors quote a short excerpt of a bad value;
// weights are finite in every format that carries them (a NaN in a damaged file made every
// output NaN in silence), unless the caller asks to load them anyway.

#include "support/Expect.h"
#include "support/NestedJson.h"

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Json.h>
#include <loom/KerasHdf5.h>
#include <loom/ModelFile.h>
#include <loom/OnnxExport.h>
#include <loom/Project.h>
#include <loom/TfjsModel.h>
#include <loom/WeightsFile.h>

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>

using namespace loom;
using loom::testing::messageOf;
using loom::testing::modelWithNestedInputs;

namespace {

/// A weight value whose four bytes appear nowhere else in a model file.
constexpr float kMarker = 1234.5f;

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), bytes.size());
}

/// Input [4] -> Dense "hidden" (3) -> Dense "out" (2), built; "hidden"'s kernel holds
/// `marked` at one element.
Graph smallNetwork(float marked) {
    Graph graph;
    graph.add("Input", "in", {{"shape", {4}}});
    graph.add("Dense", "hidden", {{"units", 3}, {"activation", "relu"}}, {"in"});
    graph.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"hidden"});
    graph.build(1);
    graph.node("hidden").layer->parameters().at(0).value.set(5, marked);
    return graph;
}

QByteArray bytesOf(float value) {
    return QByteArray(reinterpret_cast<const char*>(&value), sizeof value);
}

/// Replaces the bytes of `from` by those of `to` where they occur, once, among the files of
/// `folder`: a weight damaged on disk, in whatever layout the format keeps it.
void patchWeight(const QString& folder, float from, float to) {
    int found = 0;
    for (const QFileInfo& info : QDir(folder).entryInfoList(QDir::Files)) {
        QFile file(info.filePath());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QByteArray bytes = file.readAll();
        file.close();
        const qsizetype at = bytes.indexOf(bytesOf(from));
        if (at >= 0) {
            found += 1 + int(bytes.indexOf(bytesOf(from), at + 1) >= 0);
            writeFile(info.filePath(), bytes.replace(at, 4, bytesOf(to)));
        }
    }
    QCOMPARE(found, 1);
}

/// Writes smallNetwork in `file`'s format and damages the marked weight into NaN. A project's
/// datasets carry checksums that catch a damaged byte: it is saved holding the NaN instead, as
/// a save from a diverged run would.
void writeWithNaN(const QString& path) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::string file = path.toStdString();
    if (path.endsWith(".loom")) {
        Project project;
        project.graph = smallNetwork(nan);
        project.hasWeights = true;
        saveProject(project, file);
        return;
    }
    Graph graph = smallNetwork(kMarker);
    if (path.endsWith("weights.h5")) {
        saveWeights(graph, file);
    } else if (path.endsWith(".h5")) {
        exportKerasHdf5(graph, file);
    } else if (path.endsWith(".onnx")) {
        exportOnnx(graph, file);
    } else {
        exportTfjsModel(graph, file);
    }
    patchWeight(QFileInfo(path).path(), kMarker, nan);
}

/// The graph with the weights of `path`: a model file, or Loom's weights file for smallNetwork.
Graph load(const QString& path, NonFiniteWeights nonFinite) {
    if (path.endsWith("weights.h5")) {
        Graph graph = smallNetwork(0);
        loadWeights(graph, path.toStdString(), nonFinite);
        return graph;
    }
    return std::move(readModelFile(path.toStdString(), nonFinite).graph);
}

int nanCount(const Tensor& value) {
    int count = 0;
    for (float v : value.toVector()) {
        count += std::isnan(v) ? 1 : 0;
    }
    return count;
}

}  // namespace

class TestLoadChecks : public QObject {
    Q_OBJECT

private slots:
    void deeplyNestedJsonIsRefused() {
        QTemporaryDir dir;
        const QString path = dir.filePath("deep.json");
        writeFile(path, modelWithNestedInputs(100000));
        const QString message = messageOf<IoError>([&] { readModelFile(path.toStdString()); });
        QVERIFY2(message.contains(path) && message.contains("nested deeper than"),
                 qPrintable(message.left(500)));
    }

    void deepValuesAreQuotedShortly() {
        // Parsed from a file, 2,000 levels are refused before the value exists...
        QTemporaryDir dir;
        const QString path = dir.filePath("deep.json");
        writeFile(path, modelWithNestedInputs(2000));
        QString message = messageOf<IoError>([&] { readModelFile(path.toStdString()); });
        QVERIFY2(message.contains("nested") && message.size() < path.size() + 200,
                 qPrintable(message.left(500)));
        // ...and a value built in memory is quoted by its beginning.
        nlohmann::json graph = nlohmann::json::parse(modelWithNestedInputs(1).toStdString());
        nlohmann::json deep = nlohmann::json::array();
        for (int i = 0; i < 2000; ++i) {
            deep = nlohmann::json::array({std::move(deep)});
        }
        graph["layers"][1]["inputs"] = std::move(deep);
        message = messageOf<GraphError>([&] { Graph::fromJson(graph); });
        QVERIFY2(message.contains("must hold layer names, got [[[[") && message.endsWith("...") &&
                     message.size() < 200,
                 qPrintable(message.left(500)));
    }

    void nestingWithinTheLimitIsRead() {
        const nlohmann::json value =
            parseJson(QByteArray(200, '[').append(QByteArray(200, ']')).toStdString(), "test");
        QCOMPARE(jsonExcerpt(value, 10), std::string("[[[[[[[[[[..."));
        QCOMPARE(jsonExcerpt({{"name", "dense"}, {"units", 2}}), R"({"name":"dense","units":2})");
        const QString message = messageOf<IoError>([] { parseJson("{\"a\": [1, 2", "the test"); });
        QVERIFY2(message.startsWith("the test is not valid JSON"), qPrintable(message));
    }

    void nonFiniteWeightsAreRefused_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("Keras .h5") << "model.h5";
        QTest::newRow("ONNX") << "model.onnx";
        QTest::newRow("TF.js") << "tfjs/model.json";
        QTest::newRow("Loom weights") << "weights.h5";
        QTest::newRow("Loom project") << "project.loom";
    }

    void nonFiniteWeightsAreRefused() {
        QFETCH(QString, file);
        QTemporaryDir dir;
        const QString path = dir.filePath(file);
        QVERIFY(QDir().mkpath(QFileInfo(path).path()));
        writeWithNaN(path);
        if (QTest::currentTestFailed()) {
            return;
        }
        const QString message = messageOf<IoError>([&] { load(path, NonFiniteWeights::Refuse); });
        QVERIFY2(message.contains(path) && message.contains("layer 'hidden'") &&
                     message.contains("weight 'kernel' holds NaN") &&
                     message.contains("--allow-non-finite-weights"),
                 qPrintable(message));
        const Graph graph = load(path, NonFiniteWeights::Allow);
        QCOMPARE(nanCount(graph.node("hidden").layer->parameters().at(0).value), 1);
    }
};

QTEST_GUILESS_MAIN(TestLoadChecks)
#include "TestLoadChecks.moc"
