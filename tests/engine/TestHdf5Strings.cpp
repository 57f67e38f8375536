// String attributes and datasets in every encoding HDF5 allows and h5py, Keras and tf.keras
// write: fixed-length (NUL-padded, NUL-terminated, space-padded; ASCII or UTF-8) and
// variable-length (ASCII or UTF-8), scalar or one-dimensional. Loom writes a Keras .h5 and a
// project, Debian's h5py (/usr/bin/python3) rewrites every string in them in one encoding, and
// Loom must read back exactly what it wrote. Variable-length UTF-8 comes first: HDF5 1.10 caches
// conversion paths per process, and a cached ASCII path could hide a UTF-8 read that fails.

#include <loom/Error.h>
#include <loom/ModelFile.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace loom;

namespace {

const QString kPython = "/usr/bin/python3";

/// Rewrites an HDF5 file's strings with h5py:
///   strings FILE ENCODING SHAPE: every string attribute in ENCODING, keeping its shape, and
///     every 1-D uint8 dataset (a project's JSON) as a string dataset of SHAPE (scalar or one);
///   model-config FILE: the model_config attribute as h5py 3 writes a str, as a user would.
/// Checks each new type with h5py and prints how many attributes and datasets it rewrote.
const char* const kRewriteScript = R"py(
import sys
import h5py
import numpy as np
from h5py import h5s, h5t

PADS = {"nullpad": h5t.STR_NULLPAD, "nullterm": h5t.STR_NULLTERM, "spacepad": h5t.STR_SPACEPAD}
CSETS = {"ascii": h5t.CSET_ASCII, "utf8": h5t.CSET_UTF8}


def as_bytes(value):
    return value.encode("utf8") if isinstance(value, str) else bytes(value)


def encoded(strings, encoding, shape):
    """The data and type of UTF-8 byte strings in an encoding such as fixed-ascii-nullterm."""
    parts = encoding.split("-")
    if parts[0] == "vlen":
        values = [s.decode("utf8") for s in strings] if parts[1] == "utf8" else strings
        data = np.empty(len(values), dtype=object)
        data[:] = values
        return data.reshape(shape), h5py.string_dtype("utf-8" if parts[1] == "utf8" else "ascii")
    cset, pad = parts[1], parts[2]
    longest = max(len(s) for s in strings)
    if pad == "nullterm":  # a terminator, then bytes a reader must not look at
        width = longest + 4
        padded = [(s + b"\0").ljust(width, b"~") for s in strings]
    else:
        width = longest + 3
        padded = [s.ljust(width, b" " if pad == "spacepad" else b"\0") for s in strings]
    stored = h5t.C_S1.copy()
    stored.set_size(width)
    stored.set_strpad(PADS[pad])
    stored.set_cset(CSETS[cset])
    return np.array(padded, dtype="S%d" % width).reshape(shape), h5py.Datatype(stored)


def check_type(stored, encoding):
    parts = encoding.split("-")
    assert stored.get_class() == h5t.STRING
    assert bool(stored.is_variable_str()) == (parts[0] == "vlen"), encoding
    assert stored.get_cset() == CSETS[parts[1]], encoding
    if parts[0] == "fixed":
        assert stored.get_strpad() == PADS[parts[2]], encoding


def create_dataset(f, name, data, dtype):
    if data.dtype == object:
        f.create_dataset(name, data=data, dtype=dtype)
        return
    # Written with the stored type: h5py would hand HDF5 the bytes as ASCII, which HDF5 does
    # not convert to a UTF-8 type.
    f.create_dataset(name, shape=data.shape, dtype=dtype).id.write(
        h5s.ALL, h5s.ALL, data, mtype=dtype.id)


def rewrite_strings(path, encoding, dataset_shape):
    attributes = datasets = 0
    with h5py.File(path, "r+") as f:
        objects = ["/"]
        f.visit(objects.append)
        for name in objects:
            node = f[name]
            for key in list(node.attrs):
                if node.attrs.get_id(key).get_type().get_class() != h5t.STRING:
                    continue
                value = node.attrs[key]
                shape = np.shape(value)
                data, dtype = encoded([as_bytes(v) for v in np.ravel(value)], encoding, shape)
                del node.attrs[key]
                node.attrs.create(key, data, dtype=dtype)
                check_type(node.attrs.get_id(key).get_type(), encoding)
                attributes += 1
            if isinstance(node, h5py.Dataset) and node.dtype == np.uint8 and node.ndim == 1:
                text = node[()].tobytes()
                del f[name]
                shape = () if dataset_shape == "scalar" else (1,)
                create_dataset(f, name, *encoded([text], encoding, shape))
                check_type(f[name].id.get_type(), encoding)
                datasets += 1
    print(attributes, datasets)


def rewrite_model_config(path):
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = f.attrs["model_config"].decode("utf8")
        check_type(f.attrs.get_id("model_config").get_type(), "vlen-utf8")
    print(1, 0)


if sys.argv[1] == "strings":
    rewrite_strings(*sys.argv[2:5])
else:
    rewrite_model_config(sys.argv[2])
)py";

/// The encodings, variable-length UTF-8 first (see the top of this file).
const char* const kEncodings[] = {
    "vlen-utf8",
    "vlen-ascii",
    "fixed-ascii-nullpad",
    "fixed-ascii-nullterm",
    "fixed-ascii-spacepad",
    "fixed-utf8-nullpad",
};

/// A layer name that is not ASCII, and a space a space-padded string must keep.
const char* const kHiddenLayer = "café ✓ hidden";

/// Input -> `hidden` Dense -> `layers` small Dense layers -> softmax classes, built.
Project denseModel(const std::string& hidden, int layers) {
    Project p;
    p.graph.add("Input", "input", {{"shape", {4}}});
    std::string previous =
        p.graph.add("Dense", hidden, {{"units", 3}, {"activation", "relu"}}, {"input"});
    for (int i = 0; i < layers; ++i) {
        previous = p.graph.add("Dense", "dense_" + std::to_string(i), {{"units", 3}}, {previous});
    }
    p.graph.add("Dense", "classes", {{"units", 2}, {"activation", "softmax"}}, {previous});
    p.training.optimizer = "sgd";
    p.training.optimizerParams = {{"learning_rate", 0.05}};
    p.graph.build(11);
    p.hasWeights = true;
    return p;
}

/// Why two models differ in graph, weights or training settings; empty when they do not.
QString differences(ModelFile& expected, ModelFile& actual) {
    if (expected.graph.toJson() != actual.graph.toJson()) {
        return "graphs differ: " + QString::fromStdString(actual.graph.toJson().dump());
    }
    if (expected.training.toJson() != actual.training.toJson()) {
        return "training settings differ: " +
               QString::fromStdString(actual.training.toJson().dump());
    }
    auto want = expected.graph.parameters(), got = actual.graph.parameters();
    if (want.size() != got.size()) {
        return QString("%1 weights instead of %2").arg(got.size()).arg(want.size());
    }
    for (size_t i = 0; i < want.size(); ++i) {
        const Tensor &a = want[i].second->value, &b = got[i].second->value;
        if (want[i].first != got[i].first || a.shape() != b.shape() ||
            std::memcmp(a.raw(), b.raw(), a.bytes()) != 0) {
            return QString::fromStdString("weight " + want[i].first + " differs");
        }
    }
    return {};
}

}  // namespace

class TestHdf5Strings : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    std::string path(const std::string& name) const {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }

    /// Runs the rewrite script; fails the test unless it rewrote at least `leastAttributes`
    /// attributes and `leastDatasets` datasets.
    void rewrite(const QStringList& arguments, int leastAttributes, int leastDatasets) {
        QProcess process;
        process.start(kPython, QStringList{"-c", kRewriteScript} + arguments);
        QVERIFY2(process.waitForFinished(120000), "h5py did not finish");
        QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
                 qPrintable(QString::fromUtf8(process.readAllStandardError())));
        const QStringList counts = QString::fromUtf8(process.readAllStandardOutput()).split(' ');
        QCOMPARE(counts.size(), 2);
        QVERIFY2(
            counts[0].toInt() >= leastAttributes && counts[1].trimmed().toInt() >= leastDatasets,
            qPrintable("h5py rewrote only " + counts.join(' ')));
    }

    /// Writes the model as `name`, has the script's `command` rewrite it, and checks that Loom
    /// reads the same model as before.
    void writeRewriteAndCompare(const Project& model, const std::string& name,
                                const QString& command, const QStringList& options,
                                int leastAttributes, int leastDatasets) {
        const std::string file = path(name);
        writeModelFile(model, file);
        ModelFile expected = readModelFile(file);
        rewrite(QStringList{command, QString::fromStdString(file)} + options, leastAttributes,
                leastDatasets);
        if (QTest::currentTestFailed()) {
            return;
        }
        ModelFile actual;
        try {
            actual = readModelFile(file);
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        const QString problem = differences(expected, actual);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

private slots:
    void initTestCase() {
        if (!QFileInfo(kPython).isExecutable()) {
            QSKIP("/usr/bin/python3 is missing; Debian's python3-h5py makes these fixtures");
        }
        if (QProcess::execute(kPython, {"-c", "import h5py, numpy"}) != 0) {
            QSKIP("Debian's python3-h5py (and numpy) is needed to make these fixtures");
        }
        QVERIFY(m_dir.isValid());
    }

    /// The user's case: a Keras .h5 Loom reads, whose model_config h5py 3 then rewrote as
    /// f.attrs['model_config'] = <the same text as str>, a variable-length UTF-8 string. The
    /// large model's config is past 64 KiB, which Loom's file keeps in dense attribute storage
    /// until the rewrite makes it small again.
    void modelConfigRewrittenByH5py_data() {
        QTest::addColumn<int>("layers");
        QTest::newRow("small model") << 2;
        QTest::newRow("config past 64 KiB") << 400;
    }

    void modelConfigRewrittenByH5py() {
        QFETCH(int, layers);
        writeRewriteAndCompare(denseModel(kHiddenLayer, layers),
                               "rewritten_" + std::to_string(layers) + ".h5", "model-config", {}, 1,
                               0);
    }

    /// Every string attribute of a Keras .h5: model_config, training_config, keras_version and
    /// backend (scalars), layer_names and weight_names (1-D arrays). Layer and weight names are
    /// looked up by what was read, so a stray pad byte fails the import.
    void kerasAttributesInEveryEncoding_data() {
        QTest::addColumn<QString>("encoding");
        for (const char* encoding : kEncodings) {
            QTest::newRow(encoding) << QString(encoding);
        }
    }

    void kerasAttributesInEveryEncoding() {
        QFETCH(QString, encoding);
        writeRewriteAndCompare(denseModel(kHiddenLayer, 1),
                               "keras_" + encoding.toStdString() + ".h5", "strings",
                               {encoding, "scalar"}, 6, 0);
    }

    /// A project's string attributes (loom_format, loom_version) and its JSON datasets (graph,
    /// training, data, position, art settings) as string datasets, scalar or an array of one.
    void projectStringsInEveryEncoding_data() {
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<QString>("shape");
        for (const char* shape : {"scalar", "one"}) {
            for (const char* encoding : kEncodings) {
                QTest::addRow("%s %s", encoding, shape) << QString(encoding) << QString(shape);
            }
        }
    }

    void projectStringsInEveryEncoding() {
        QFETCH(QString, encoding);
        QFETCH(QString, shape);
        writeRewriteAndCompare(
            denseModel(kHiddenLayer, 1),
            "project_" + encoding.toStdString() + "_" + shape.toStdString() + ".loom", "strings",
            {encoding, shape}, 2, 4);
    }
};

QTEST_GUILESS_MAIN(TestHdf5Strings)
#include "TestHdf5Strings.moc"
