// loom-cli end to end: summary, train with progress and a saved checkpoint, evaluate (a whole
// source, never split), predict (preprocessed as training was), and clear errors (non-zero
// exit, a message) for bad input.

#include "support/NestedJson.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <limits>
#include <vector>

namespace {

struct Run {
    int exitCode;
    QString output;
};

Run loomCli(const QStringList& arguments) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(LOOM_CLI_PATH, arguments);
    if (!p.waitForFinished(600000)) {
        return {-1, "timed out"};
    }
    return {p.exitCode(), QString::fromUtf8(p.readAll())};
}

QString example(const QString& name) {
    return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
}

void writeText(const QString& path, const QByteArray& text) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

// A small picture with pixels that vary from image to image: dark ones below 110, light ones
// above 140.
void writePicture(const QString& path, int index, bool light) {
    QImage image(8, 8, QImage::Format_RGB888);
    for (int y = 0; y < 8; ++y) {
        for (int x = 0; x < 8; ++x) {
            const int noise = (index * 37 + (y * 8 + x) * 11) % 100;
            const int base = (light ? 150 : 0) + noise;
            image.setPixel(x, y, qRgb(base, base + 3, base + 6));
        }
    }
    QVERIFY(image.save(path, "PNG"));
}

}  // namespace

class TestCli : public QObject {
    Q_OBJECT

private slots:
    void summaryPrintsKerasTable();
    void trainEvaluateAndPredictOnCsv();
    void trainsTheW1ExampleOnFashionMnist();
    void badInputGivesClearErrors();
    void deeplyNestedJsonIsRefused();
    void damagedWeightsAreRefusedAndANonFiniteLossFails();
    void stopSignalsStopWithinABatchAndStillSave_data();
    void stopSignalsStopWithinABatchAndStillSave();
    void savePlacesAreCheckedBeforeTraining();
    void trainingThatCannotFitIsMarkedAndRefused();
    void projectsResumeTrainingAndConvert();
    void aKilledWorkerStopsItsJobAndTheCheckpointResumesAlone();
    void experimentComparesOptimizersInATable();
    void experimentStoppedInItsSecondTrialStillSaves();
    void evaluateReadsAWholeFolderAndPredictNormalisesAsTraining();
    void inspectExplainAndStatsLookInside();

private:
    void writePointsModel();
    QTemporaryDir m_dir;
};

void TestCli::summaryPrintsKerasTable() {
    Run r = loomCli({"summary", example("w2_mlp.json")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.output.contains("Total params: 2,656,130"), qPrintable(r.output));
    QVERIFY(r.output.contains("dense_1 (Dense)             (None, 384)               295296"));
}

void TestCli::writePointsModel() {
    // Two well separated classes in two features: any working trainer gets them all right.
    QByteArray csv = "x,y,label\n";
    for (int i = 0; i < 200; ++i) {
        const bool right = i % 2 == 0;
        csv += QByteArray::number((right ? 2.0 : -2.0) + 0.01 * (i % 7)) + "," +
               QByteArray::number(0.02 * (i % 5)) + "," + (right ? "east" : "west") + "\n";
    }
    writeText(m_dir.filePath("points.csv"), csv);
    writeText(m_dir.filePath("model.json"), R"({
      "format": "loom-graph", "version": 1, "name": "points",
      "layers": [{"name": "in", "type": "Input", "params": {"shape": [2]}},
                 {"name": "out", "type": "Dense", "params": {"units": 2, "activation": "softmax"},
                  "inputs": ["in"]}],
      "training": {"optimizer": "adam", "epochs": 15, "batch_size": 16},
      "data": {"normalization": "none", "validation_split": 0.25}
    })");
}

void TestCli::trainEvaluateAndPredictOnCsv() {
    writePointsModel();
    QString weights = m_dir.filePath("points.h5");
    Run train = loomCli({"train", m_dir.filePath("model.json"), "--data",
                         "csv:" + m_dir.filePath("points.csv"), "--save", weights, "--optimizer",
                         "adam", "--lr", "0.05"});
    QVERIFY2(train.exitCode == 0, qPrintable(train.output));
    QVERIFY2(train.output.contains("epoch 15/15") && train.output.contains("val_acc 1.0000"),
             qPrintable(train.output));
    QVERIFY(QFile::exists(weights));
    Run evaluate = loomCli({"evaluate", m_dir.filePath("model.json"), "--weights", weights,
                            "--data", "csv:" + m_dir.filePath("points.csv")});
    QVERIFY2(evaluate.exitCode == 0 && evaluate.output.contains("accuracy 1.0000"),
             qPrintable(evaluate.output));
    QVERIFY2(evaluate.output.contains("east") && evaluate.output.contains("confusion"),
             qPrintable(evaluate.output));
}

void TestCli::trainsTheW1ExampleOnFashionMnist() {
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed");
    }
    QString weights = m_dir.filePath("w1.h5");
    Run train =
        loomCli({"train", example("w1_softmax.json"), "--epochs", "2", "--checkpoint", weights});
    QVERIFY2(train.exitCode == 0, qPrintable(train.output));
    QVERIFY2(train.output.contains("samples/s") && train.output.contains("ETA"),
             qPrintable(train.output));
    QRegularExpression accuracy("test: loss [0-9.]+  accuracy (0\\.[0-9]+)");
    auto match = accuracy.match(train.output);
    QVERIFY2(match.hasMatch() && match.captured(1).toDouble() > 0.75, qPrintable(train.output));
    // Predict on a Fashion-MNIST-like image: a white trouser shape on black.
    QImage trouser(28, 28, QImage::Format_Grayscale8);
    trouser.fill(0);
    for (int y = 2; y < 26; ++y) {
        for (int x : {9, 10, 11, 16, 17, 18}) {
            trouser.setPixel(x, y, qRgb(220, 220, 220));
        }
    }
    QString image = m_dir.filePath("trouser.png");
    QVERIFY(trouser.save(image));
    Run predict = loomCli({"predict", example("w1_softmax.json"), "--weights", weights, image});
    QVERIFY2(predict.exitCode == 0 && predict.output.contains("%"), qPrintable(predict.output));
}

void TestCli::badInputGivesClearErrors() {
    writeText(m_dir.filePath("broken.json"), "{\"format\": \"loom-graph\", \"layers\": [");
    Run r = loomCli({"summary", m_dir.filePath("broken.json")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.output.contains("not valid JSON"), qPrintable(r.output));
    r = loomCli({"train", example("w1_softmax.json"), "--epochz", "3"});
    QVERIFY(r.exitCode != 0 && r.output.contains("unknown option --epochz"));
    r = loomCli(
        {"evaluate", example("w1_softmax.json"), "--weights", m_dir.filePath("broken.json")});
    QVERIFY2(r.exitCode == 1 && r.output.contains("not an HDF5 file"), qPrintable(r.output));
    r = loomCli({"train", example("w4_cnn.json"), "--data", "csv:" + m_dir.filePath("nope.csv")});
    QVERIFY2(r.exitCode == 1 && r.output.contains("nope.csv"), qPrintable(r.output));
    r = loomCli({"frobnicate"});
    QCOMPARE(r.exitCode, 2);
}

void TestCli::deeplyNestedJsonIsRefused() {
    const QString path = m_dir.filePath("deep.json");
    writeText(path, loom::testing::modelWithNestedInputs(100000));
    Run r = loomCli({"summary", path});
    QVERIFY2(r.exitCode == 1 && r.output.contains("nested deeper than") && r.output.size() < 500,
             qPrintable(r.output.left(500)));
}

void TestCli::damagedWeightsAreRefusedAndANonFiniteLossFails() {
    writePointsModel();
    const QString model = m_dir.filePath("tfjs/model.json");
    QVERIFY(QDir().mkpath(m_dir.filePath("tfjs")));
    Run convert = loomCli({"convert", m_dir.filePath("model.json"), model});
    QVERIFY2(convert.exitCode == 0, qPrintable(convert.output));
    // The shard holds the weights as float32 in manifest order: "out"'s kernel [inputs, units],
    // then its bias.
    const auto setWeights = [&](const std::vector<float>& values) {
        QFile shard(m_dir.filePath("tfjs/group1-shard1of1.bin"));
        QVERIFY(shard.open(QIODevice::ReadWrite));
        shard.write(reinterpret_cast<const char*>(values.data()), qint64(values.size() * 4));
    };
    setWeights({std::numeric_limits<float>::quiet_NaN()});
    const QString data = "csv:" + m_dir.filePath("points.csv");
    Run refused = loomCli({"evaluate", model, "--data", data});
    QVERIFY2(refused.exitCode == 1 && refused.output.contains("layer 'out'") &&
                 refused.output.contains("weight 'kernel' holds NaN") &&
                 refused.output.contains("--allow-non-finite-weights"),
             qPrintable(refused.output));
    Run allowed = loomCli({"evaluate", model, "--data", data, "--allow-non-finite-weights"});
    QVERIFY2(allowed.exitCode == 1 && allowed.output.contains("error: the loss is NaN"),
             qPrintable(allowed.output));
    // Finite weights too large for float32 arithmetic: loaded, but the first unit's output
    // overflows to infinity.
    const float huge = std::numeric_limits<float>::max();
    setWeights({huge, 0, huge, 0, huge});
    Run overflowed = loomCli({"evaluate", model, "--data", data});
    QVERIFY2(overflowed.exitCode == 1 && overflowed.output.contains("error: the loss is"),
             qPrintable(overflowed.output));
}

void TestCli::stopSignalsStopWithinABatchAndStillSave_data() {
    QTest::addColumn<int>("signal");
    QTest::addColumn<QString>("file");
    QTest::newRow("Ctrl-C") << SIGINT << "interrupted.h5";
    QTest::newRow("SIGTERM") << SIGTERM << "terminated.loom";
    QTest::newRow("SIGHUP") << SIGHUP << "hung-up.loom";
}

void TestCli::stopSignalsStopWithinABatchAndStillSave() {
    QFETCH(int, signal);
    QFETCH(QString, file);
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed");
    }
    const QString saved = m_dir.filePath(file);
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(LOOM_CLI_PATH,
            {"train", example("w2_mlp_fashion.json"), "--epochs", "50", "--save", saved});
    QString output;
    QTRY_VERIFY_WITH_TIMEOUT((output += QString::fromUtf8(p.readAll())).contains("batch"), 60000);
    ::kill(static_cast<pid_t>(p.processId()), signal);
    QVERIFY(p.waitForFinished(60000));
    output += QString::fromUtf8(p.readAll());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 128 + signal);
    QVERIFY2(output.contains("stopped by request") && output.contains(" saved to "),
             qPrintable(output));
    if (file.endsWith(".loom")) {
        const Run evaluate = loomCli({"evaluate", saved});
        QVERIFY2(evaluate.exitCode == 0 && evaluate.output.contains("accuracy"),
                 qPrintable(evaluate.output));
    } else {
        QVERIFY(QFile::exists(saved));
    }
}

/// A model far larger than memory: summary marks it, train refuses it, both from shapes alone
/// (allocating its 31 GB of weights would end the process long before any message).
void TestCli::trainingThatCannotFitIsMarkedAndRefused() {
    writeText(m_dir.filePath("huge.json"), R"({
      "format": "loom-graph", "version": 1, "name": "huge",
      "layers": [{"name": "in", "type": "Input", "params": {"shape": [784]}},
                 {"name": "wide", "type": "Dense", "params": {"units": 10000000},
                  "inputs": ["in"]},
                 {"name": "out", "type": "Dense", "params": {"units": 10, "activation": "softmax"},
                  "inputs": ["wide"]}],
      "training": {"optimizer": "adam", "batch_size": 32, "device": "cpu"},
      "data": {"source": "fashion-mnist"}
    })");
    const Run summary = loomCli({"summary", m_dir.filePath("huge.json")});
    QCOMPARE(summary.exitCode, 0);
    QVERIFY2(summary.output.contains("warning: Training needs about") &&
                 summary.output.contains("'wide'"),
             qPrintable(summary.output));
    const Run train = loomCli({"train", m_dir.filePath("huge.json")});
    QCOMPARE(train.exitCode, 1);
    QVERIFY2(train.output.contains("Training needs about") && !train.output.contains("data:"),
             qPrintable(train.output));
}

/// A place a save cannot write to is found before training, not after it (when the training
/// would be lost).
void TestCli::savePlacesAreCheckedBeforeTraining() {
    const QString missing = m_dir.filePath("no-such-folder/w1.h5");
    for (const char* option : {"--save", "--checkpoint"}) {
        const Run r = loomCli({"train", example("w1_softmax.json"), option, missing});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.output.contains("does not exist") && r.output.contains("no-such-folder"),
                 qPrintable(r.output));
        QVERIFY2(!r.output.contains("model:") && !r.output.contains("epoch"), qPrintable(r.output));
    }
    const Run folder = loomCli({"train", example("w1_softmax.json"), "--save", m_dir.path()});
    QVERIFY2(folder.exitCode == 1 && folder.output.contains("it is a folder"),
             qPrintable(folder.output));
}

void TestCli::experimentComparesOptimizersInATable() {
    writePointsModel();
    const QString saved = m_dir.filePath("optimizers.loom");
    const Run r =
        loomCli({"experiment", m_dir.filePath("model.json"), "--data",
                 "csv:" + m_dir.filePath("points.csv"), "--vary", "optimizer=sgd,rmsprop,adagrad",
                 "--vary", "lr=0.05", "--epochs", "4", "--save", saved});
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    for (const char* line : {"trial 1/3: sgd, lr 0.05", "trial 2/3: rmsprop, lr 0.05",
                             "trial 3/3: adagrad, lr 0.05", "trials by val_acc (* the best):"}) {
        QVERIFY2(r.output.contains(line), qPrintable(r.output));
    }
    const QRegularExpression header(
        "^ +trial +optimizer +lr +loss +accuracy +val_loss +val_acc +"
        "test_acc +epochs +time +ended$",
        QRegularExpression::MultilineOption);
    QVERIFY2(header.match(r.output).hasMatch(), qPrintable(r.output));
    const QRegularExpression row(
        "^(\\*?) +[123] +(sgd|rmsprop|adagrad) +0.05 +[0-9.]+ +[0-9.]+ +"
        "[0-9.]+ +[0-9.]+ +- +4 +0:0[0-9]$",
        QRegularExpression::MultilineOption);
    int rows = 0, best = 0;
    for (auto match = row.globalMatch(r.output); match.hasNext(); ++rows) {
        best += match.next().captured(1) == "*" ? 1 : 0;
    }
    QVERIFY2(rows == 3 && best == 1, qPrintable(r.output));
    QVERIFY2(r.output.contains("project saved to " + saved +
                               " with the 3 trials' runs and the "
                               "best trial's settings and weights"),
             qPrintable(r.output));
    // The project holds the best trial's weights, and the experiment that found them.
    const Run evaluate =
        loomCli({"evaluate", saved, "--data", "csv:" + m_dir.filePath("points.csv")});
    QVERIFY2(evaluate.exitCode == 0 && evaluate.output.contains("accuracy 1.0000"),
             qPrintable(evaluate.output));
    const QString json = m_dir.filePath("optimizers.json");
    QCOMPARE(loomCli({"convert", saved, json}).exitCode, 0);
    QFile file(json);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().contains("\"experiment\""));
    // A mistake in a setting is found before any data are read.
    const Run wrong =
        loomCli({"experiment", m_dir.filePath("model.json"), "--vary", "out.unit=2,4"});
    QVERIFY2(wrong.exitCode == 1 && wrong.output.contains("no parameter 'unit'") &&
                 !wrong.output.contains("data:"),
             qPrintable(wrong.output));
}

// A stop signal in the middle of the second trial ends it within a batch, starts no third, and
// still prints the table and saves the project.
void TestCli::experimentStoppedInItsSecondTrialStillSaves() {
    writePointsModel();
    const QString saved = m_dir.filePath("stopped.loom");
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(LOOM_CLI_PATH, {"experiment", m_dir.filePath("model.json"), "--data",
                            "csv:" + m_dir.filePath("points.csv"), "--vary", "epochs=2,1000000,3",
                            "--save", saved});
    QString output;
    QTRY_VERIFY_WITH_TIMEOUT((output += QString::fromUtf8(p.readAll())).contains("trial 2/3"),
                             60000);
    QTRY_VERIFY_WITH_TIMEOUT((output += QString::fromUtf8(p.readAll())).contains("epoch 3/1000000"),
                             60000);
    ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
    QVERIFY(p.waitForFinished(60000));
    output += QString::fromUtf8(p.readAll());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 128 + SIGTERM);
    QVERIFY2(!output.contains("trial 3/3") && output.contains("stopped by request"),
             qPrintable(output));
    const QRegularExpression stoppedRow("^ +2 +1000000 .* stopped$",
                                        QRegularExpression::MultilineOption);
    QVERIFY2(
        output.contains(QRegularExpression("\\n\\* +1 +2 ")) && stoppedRow.match(output).hasMatch(),
        qPrintable(output));
    QVERIFY2(output.contains("project saved to " + saved + " with the 2 trials' runs"),
             qPrintable(output));
}

void TestCli::projectsResumeTrainingAndConvert() {
    writePointsModel();
    const QString data = "csv:" + m_dir.filePath("points.csv");
    const QString project = m_dir.filePath("points.loom");
    Run first = loomCli({"train", m_dir.filePath("model.json"), "--data", data, "--epochs", "3",
                         "--lr", "0.05", "--save", project});
    QVERIFY2(first.exitCode == 0 && first.output.contains("project saved to"),
             qPrintable(first.output));
    Run more = loomCli({"train", project, "--data", data, "--epochs", "2", "--lr", "0.05",
                        "--checkpoint", project});
    QVERIFY2(more.exitCode == 0, qPrintable(more.output));
    QVERIFY2(more.output.contains("resuming after epoch 3") && more.output.contains("epoch 5/5"),
             qPrintable(more.output));
    // The project holds its weights: no --weights needed.
    Run evaluate = loomCli({"evaluate", project, "--data", data});
    QVERIFY2(evaluate.exitCode == 0 && evaluate.output.contains("accuracy 1.0000"),
             qPrintable(evaluate.output));
    Run convert = loomCli({"convert", project, m_dir.filePath("points-copy.json")});
    QVERIFY2(convert.exitCode == 0, qPrintable(convert.output));
    Run summary = loomCli({"summary", m_dir.filePath("points-copy.json")});
    QVERIFY2(summary.exitCode == 0 && summary.output.contains("Total params: 6"),
             qPrintable(summary.output));
    // Through Keras HDF5, TF.js and ONNX and back: the same function (imports carry no data
    // section, so the CSV is read with the default normalisation; what matters is that all
    // agree).
    QVERIFY(QDir(m_dir.path()).mkpath("tfjs"));
    QString lastLine;
    for (const char* name :
         {"points.h5", "tfjs/model.json", "points.onnx", "points-from-h5.loom"}) {
        const QString from =
            QString(name).endsWith(".loom") ? m_dir.filePath("points.h5") : project;
        Run step = loomCli({"convert", from, m_dir.filePath(name)});
        QVERIFY2(step.exitCode == 0, qPrintable(step.output));
        Run scored = loomCli({"evaluate", m_dir.filePath(name), "--data", data});
        QVERIFY2(scored.exitCode == 0, qPrintable(scored.output));
        const QString line = scored.output.section("data: loss", 1, 1).section('\n', 0, 0);
        QVERIFY2(!line.isEmpty(), qPrintable(scored.output));
        QVERIFY2(lastLine.isEmpty() || line == lastLine, qPrintable(line + " vs " + lastLine));
        lastLine = line;
    }
    Run unknown = loomCli({"convert", project, m_dir.filePath("points.xyz")});
    QVERIFY2(unknown.exitCode == 1 && unknown.output.contains("unknown model format"),
             qPrintable(unknown.output));
}

/// The process id of the child of `parent` whose arguments hold "--rank `rank`"; 0 if none.
pid_t workerOf(qint64 parent, int rank) {
    for (const QString& entry : QDir("/proc").entryList(QDir::Dirs)) {
        QFile status("/proc/" + entry + "/status"), cmdline("/proc/" + entry + "/cmdline");
        if (!entry.toInt() || !status.open(QIODevice::ReadOnly) ||
            !cmdline.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QString parentLine = QString::fromUtf8(status.readAll()).section("PPid:", 1, 1);
        const QList<QByteArray> arguments = cmdline.readAll().split('\0');
        const qsizetype at = arguments.indexOf("--rank");
        if (parentLine.section('\n', 0, 0).trimmed().toLongLong() == parent && at >= 0 &&
            arguments.value(at + 1) == QByteArray::number(rank)) {
            return static_cast<pid_t>(entry.toInt());
        }
    }
    return 0;
}

void TestCli::aKilledWorkerStopsItsJobAndTheCheckpointResumesAlone() {
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed");
    }
    const QString checkpoint = m_dir.filePath("job.loom");
    QProcess job;
    job.setProcessChannelMode(QProcess::MergedChannels);
    job.start(LOOM_CLI_PATH,
              {"train", example("w2_mlp_fashion.json"), "--device", "cpu", "--workers", "2",
               "--epochs", "30", "--checkpoint", checkpoint, "--collective-timeout", "20"});
    QString output;
    QTRY_VERIFY_WITH_TIMEOUT((output += QString::fromUtf8(job.readAll())).contains("epoch 2/30") ||
                                 job.state() == QProcess::NotRunning,
                             120000);
    if (output.contains("built without Gloo")) {
        QSKIP("built without Gloo (libgloo-dev)");
    }
    QVERIFY2(QFile::exists(checkpoint), qPrintable(output));  // written after epoch 1
    const pid_t rank1 = workerOf(job.processId(), 1);
    QVERIFY2(rank1 > 0, qPrintable(output));
    QElapsedTimer timer;
    timer.start();
    ::kill(rank1, SIGKILL);
    QVERIFY(job.waitForFinished(60000));
    output += QString::fromUtf8(job.readAll());
    qInfo("the job ended %lld ms after rank 1 was killed", static_cast<long long>(timer.elapsed()));
    QVERIFY(timer.elapsed() < 20000);  // the collective timeout, though it need not wait that
    QVERIFY(job.exitCode() != 0);
    QVERIFY2(output.contains("rank 1") && output.contains("killed by signal 9"),
             qPrintable(output));

    const Run resumed = loomCli({"train", checkpoint, "--epochs", "1"});
    QVERIFY2(resumed.exitCode == 0 && resumed.output.contains("resuming after epoch"),
             qPrintable(resumed.output));
    QVERIFY2(!resumed.output.contains("rank 0 of"), qPrintable(resumed.output));
}

void TestCli::evaluateReadsAWholeFolderAndPredictNormalisesAsTraining() {
    const QString folder = m_dir.filePath("pictures");
    for (const QString& name : {QString("dark"), QString("light")}) {
        QVERIFY(QDir(folder).mkpath(name));
        for (int i = 0; i < 1000; ++i) {
            writePicture(folder + QString("/%1/%2.png").arg(name).arg(i), i, name == "light");
        }
    }
    // Split three ways for training; mean_std takes its statistics from the training part.
    writeText(m_dir.filePath("pictures.json"), R"({
      "format": "loom-graph", "version": 1, "name": "pictures",
      "layers": [{"name": "in", "type": "Input", "params": {"shape": [3, 8, 8]}},
                 {"name": "flat", "type": "Flatten", "inputs": ["in"]},
                 {"name": "out", "type": "Dense", "params": {"units": 2, "activation": "softmax"},
                  "inputs": ["flat"]}],
      "training": {"optimizer": "adam", "epochs": 3, "batch_size": 32},
      "data": {"source": "folder:)" + folder.toUtf8() +
                                                   R"(", "normalization": "mean_std",
               "validation_split": 0.1, "test_split": 0.1, "class_names": ["dark", "light"]}
    })");
    const QString project = m_dir.filePath("pictures.loom");
    Run train = loomCli({"train", m_dir.filePath("pictures.json"), "--save", project});
    QVERIFY2(train.exitCode == 0 && train.output.contains("1620 training samples") &&
                 train.output.contains("200 test"),
             qPrintable(train.output));

    Run whole = loomCli({"evaluate", project, "--data", "folder:" + folder});
    QVERIFY2(whole.exitCode == 0, qPrintable(whole.output));
    QVERIFY2(whole.output.contains("evaluating 2000 samples of folder:" + folder + "\n") &&
                 whole.output.contains("(2000 samples)"),
             qPrintable(whole.output));
    QRegularExpression accuracy("accuracy ([0-9.]+)");
    QVERIFY2(accuracy.match(whole.output).captured(1).toDouble() > 0.95, qPrintable(whole.output));

    Run heldOut = loomCli({"evaluate", project});
    QVERIFY2(heldOut.exitCode == 0 && heldOut.output.contains("evaluating the 200 test samples") &&
                 heldOut.output.contains("(200 samples)"),
             qPrintable(heldOut.output));

    Run predict = loomCli({"predict", project, folder + "/light/7.png", "--top", "1"});
    QVERIFY2(predict.exitCode == 0, qPrintable(predict.output));
    QVERIFY2(predict.output.section('\n', 1, 1).trimmed().startsWith("light"),
             qPrintable(predict.output));
}

void TestCli::inspectExplainAndStatsLookInside() {
    const QString folder = m_dir.filePath("inside");
    for (const QString& name : {QString("dark"), QString("light")}) {
        QVERIFY(QDir(folder).mkpath(name));
        for (int i = 0; i < 200; ++i) {
            writePicture(folder + QString("/%1/%2.png").arg(name).arg(i), i, name == "light");
        }
    }
    writeText(m_dir.filePath("inside.json"), R"({
      "format": "loom-graph", "version": 1, "name": "inside",
      "layers": [{"name": "in", "type": "Input", "params": {"shape": [3, 8, 8]}},
                 {"name": "conv", "type": "Conv2D",
                  "params": {"filters": 4, "kernel_size": [3, 3], "activation": "relu"},
                  "inputs": ["in"]},
                 {"name": "flat", "type": "Flatten", "inputs": ["conv"]},
                 {"name": "out", "type": "Dense", "params": {"units": 2, "activation": "softmax"},
                  "inputs": ["flat"]}],
      "training": {"optimizer": "adam", "epochs": 2, "batch_size": 20},
      "data": {"source": "folder:)" + folder.toUtf8() +
                                                 R"(", "class_names": ["dark", "light"]}
    })");
    const QString project = m_dir.filePath("inside.loom");
    Run train = loomCli({"train", m_dir.filePath("inside.json"), "--stats", "--stats-every", "5",
                         "--save", project});
    QVERIFY2(train.exitCode == 0, qPrintable(train.output));

    // stats: a row per layer from the last of the 8 samples (steps 1, 5, ..., 40 of 20 a
    // epoch), and the health verdict.
    Run stats = loomCli({"stats", project});
    QVERIFY2(stats.exitCode == 0 && stats.output.contains("at step 40 (epoch 2), the last of 9"),
             qPrintable(stats.output));
    for (const char* layer : {"\nconv ", "\nflat ", "\nout "}) {
        QVERIFY2(stats.output.contains(layer), qPrintable(stats.output));
    }

    // inspect: conv's four 6x6 maps in a 2x2 grid, each value 37 pixels (about 224 a side).
    const QString picture = folder + "/light/3.png", maps = m_dir.filePath("maps.png");
    Run inspect = loomCli({"inspect", project, picture, "--layer", "conv", "--out", maps});
    QVERIFY2(inspect.exitCode == 0 && inspect.output.contains("4 feature maps"),
             qPrintable(inspect.output));
    QCOMPARE(QImage(maps).size(), QSize(2 * (6 * 37 + 1) - 1, 2 * (6 * 37 + 1) - 1));

    // explain: every method draws over the 8x8 picture enlarged 28 times.
    for (const QString method : {"saliency", "occlusion", "gradcam", "class"}) {
        const QString overlay = m_dir.filePath(method + ".png");
        Run explain = loomCli({"explain", project, picture, "--method", method, "--out", overlay,
                               "--patch", "2", "--stride", "1"});
        QVERIFY2(explain.exitCode == 0 && explain.output.startsWith("the network says light"),
                 qPrintable(explain.output));
        QCOMPARE(QImage(overlay).size(), QSize(224, 224));
    }

    // What a person gets wrong is named.
    Run noLayer = loomCli({"inspect", project, picture, "--layer", "conv2", "--out", maps});
    QVERIFY2(noLayer.exitCode != 0 && noLayer.output.contains("'conv2'"),
             qPrintable(noLayer.output));
    Run noMethod = loomCli({"explain", project, picture, "--method", "lime", "--out", maps});
    QVERIFY2(noMethod.exitCode != 0 && noMethod.output.contains("saliency, occlusion, gradcam"),
             qPrintable(noMethod.output));
    Run badClass = loomCli(
        {"explain", project, picture, "--method", "saliency", "--class", "2", "--out", maps});
    QVERIFY2(badClass.exitCode != 0 && badClass.output.contains("--class must be 0..1"),
             qPrintable(badClass.output));
    const QString quiet = m_dir.filePath("quiet.loom");
    QVERIFY(loomCli({"train", m_dir.filePath("inside.json"), "--epochs", "1", "--no-stats",
                     "--save", quiet})
                .exitCode == 0);
    Run none = loomCli({"stats", quiet});
    QVERIFY2(none.exitCode != 0 && none.output.contains("sampled no layer statistics"),
             qPrintable(none.output));
}

QTEST_GUILESS_MAIN(TestCli)
#include "TestCli.moc"
