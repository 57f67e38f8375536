// Every registered layer kind round-trips through the project file, Keras HDF5 and ONNX (each
// where the kind declares it) and computes the same outputs afterwards. The registry is the
// list: a new layer kind is covered without editing this suite, and fails it when its file
// formats lose or change anything.

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Initializer.h>
#include <loom/KerasHdf5.h>
#include <loom/OnnxExport.h>
#include <loom/OnnxImport.h>
#include <loom/Project.h>

#include "BackendOpCases.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace loom;

namespace {

/// The sample shapes a layer is tried on: flat first (what Keras' channels_last order leaves
/// alone), then an image.
const std::vector<Shape> kSampleShapes = {Shape{12}, Shape{3, 6, 6}};

/// Input -> the kind (reading the input as often as it takes inputs), built with weights
/// drawn away from their initial values; nullopt when no sample shape suits the kind.
std::optional<Graph> networkWith(const LayerKind& kind) {
    nlohmann::json params = nlohmann::json::object();
    for (const ParamSpec& spec : kind.params) {
        if (spec.name == "activation") {
            params["activation"] = "tanh";  // a fused activation every format has
        }
    }
    for (const Shape& sample : kSampleShapes) {
        Graph graph;
        const std::string input = graph.add("Input", "input", {{"shape", sample.dims()}});
        const std::vector<std::string> inputs(std::max(kind.minInputs, 1), input);
        try {
            graph.setOutputs({graph.add(kind.type, "layer", params, inputs)});
            graph.build(7);
        } catch (const Error&) {
            continue;
        }
        Rng rng(11);
        for (auto& [name, parameter] : graph.parameters()) {
            Tensor& value = parameter->value;
            const bool variance = name.ends_with("moving_variance");
            for (int64_t i = 0; i < value.numel(); ++i) {
                value.set(i, variance ? rng.uniform(0.5, 1.5) : rng.uniform(-1.0, 1.0));
            }
        }
        return graph;
    }
    return std::nullopt;
}

/// The graph's output for input, as a copy (forward's outputs are reused by the next forward).
Tensor outputOf(Graph& graph, const Tensor& input) {
    ExecutionContext ctx{cpuBackend()};
    return graph.forward(ctx, {input})[0].clone();
}

}  // namespace

class TestLayerFormats : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void everyKindDeclaresBothDirections() {
        for (const LayerKind* kind : LayerRegistry::instance().all()) {
            const QString name = QString::fromStdString(kind->type);
            QVERIFY2(!kind->keras.className.empty(), qPrintable(name + ": no Keras class"));
            QVERIFY2(bool(kind->keras.read) && bool(kind->keras.write),
                     qPrintable(name + ": Keras reader or writer missing"));
            QVERIFY2(bool(kind->keras.weightFromKeras) == bool(kind->keras.weightToKeras),
                     qPrintable(name + ": a Keras weight layout for one direction only"));
        }
    }

    void everyKindRoundTrips_data() {
        QTest::addColumn<QString>("type");
        for (const LayerKind* kind : LayerRegistry::instance().all()) {
            if (kind->type != "Input") {  // in every network below
                QTest::newRow(kind->type.c_str()) << QString::fromStdString(kind->type);
            }
        }
    }

    void everyKindRoundTrips() {
        QFETCH(QString, type);
        const LayerKind& kind = LayerRegistry::instance().find(type.toStdString());
        std::optional<Graph> graph = networkWith(kind);
        QVERIFY2(graph, "no sample shape (flat [12] or image [3, 6, 6]) suits the kind");
        const Shape sample = graph->node("input").outputShape;
        Rng rng(5);
        std::vector<float> values(static_cast<size_t>(2 * sample.numel()));
        for (float& v : values) {
            v = static_cast<float>(rng.normal(0.0, 1.0));
        }
        const Tensor input = Tensor::fromVector(sample.withBatch(2), values);
        const Tensor expected = outputOf(*graph, input);

        checkProjectFile(*graph, input, expected);
        checkKeras(*graph, input, expected);
        if (kind.onnx.write) {
            checkOnnx(*graph, input, expected);
        }
    }

private:
    std::string path(const QString& name) const { return m_dir.filePath(name).toStdString(); }

    void compare(const char* format, Graph& back, const Tensor& input, const Tensor& expected) {
        const double difference = test::normalisedError(outputOf(back, input), expected);
        QVERIFY2(difference <= 1e-5,
                 qPrintable(
                     QString("%1: outputs differ by %2 (normalised)").arg(format).arg(difference)));
    }

    void checkProjectFile(Graph& graph, const Tensor& input, const Tensor& expected) {
        Project project;
        project.graph = graph.copy();
        project.hasWeights = true;
        saveProject(project, path("layer.loom"));
        Project back = loadProject(path("layer.loom"));
        QVERIFY(back.hasWeights);
        compare("project file", back.graph, input, expected);
    }

    void checkKeras(Graph& graph, const Tensor& input, const Tensor& expected) {
        exportKerasHdf5(graph, path("layer.h5"));
        KerasModel back = loadKerasHdf5(path("layer.h5"));
        compare("Keras HDF5", back.graph, input, expected);
    }

    void checkOnnx(Graph& graph, const Tensor& input, const Tensor& expected) {
        exportOnnx(graph, path("layer.onnx"));
        Graph back = importOnnx(path("layer.onnx"));
        compare("ONNX", back, input, expected);
    }

    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestLayerFormats)
#include "TestLayerFormats.moc"
