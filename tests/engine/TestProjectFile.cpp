// The .loom project file: everything survives a save and a reopen, saves are atomic even when
// the process is killed mid-save, training resumes bit-exactly, and broken or hostile files
// give clean errors.

#include "support/Expect.h"
#include "support/NestedJson.h"

#include <loom/Error.h>
#include <loom/Idx.h>
#include <loom/Project.h>
#include <loom/Trainer.h>

#include <QTemporaryDir>
#include <QtTest>

#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace loom;
using loom::testing::messageOf;

namespace {

const char* const kFashionMnist = "/usr/share/datasets/fashion-mnist";

Graph smallNetwork(int hidden = 32) {
    Graph g;
    g.add("Input", "input", {{"shape", {784}}});
    g.add("Dense", "hidden", {{"units", hidden}, {"activation", "relu"}}, {"input"});
    g.add("Dropout", "dropout", {{"rate", 0.2}}, {"hidden"});
    g.add("Dense", "classes", {{"units", 10}, {"activation", "softmax"}}, {"dropout"});
    g.node("hidden").x = 120.5;
    g.node("hidden").y = -40;
    return g;
}

TrainingConfig adam(int epochs) {
    TrainingConfig c;
    c.optimizer = "adam";
    c.optimizerParams = {{"learning_rate", 0.002}};
    c.batchSize = 64;
    c.epochs = epochs;
    c.seed = 7;
    return c;
}

// 3,000 Fashion-MNIST training images, flattened and scaled to [0, 1].
const Dataset& fashionSubset() {
    static const Dataset data = [] {
        Dataset d = loadFashionMnist(kFashionMnist, false).subset(shuffledIndices(60000, 3));
        d = d.subset([] {
            std::vector<int64_t> first(3000);
            std::iota(first.begin(), first.end(), int64_t{0});
            return first;
        }());
        Normalization::divideBy(255.0).apply(d);
        d.samples = d.samples.reshape(Shape{d.size(), 784});
        return d;
    }();
    return data;
}

bool haveFashionMnist() {
    return std::filesystem::exists(std::string(kFashionMnist) + "/train-images-idx3-ubyte.gz") ||
           std::filesystem::exists(std::string(kFashionMnist) + "/train-images-idx3-ubyte");
}

bool sameValues(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.dtype() == b.dtype() &&
           std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

bool sameWeights(Graph& a, Graph& b) {
    auto pa = a.parameters(), pb = b.parameters();
    if (pa.size() != pb.size()) {
        return false;
    }
    for (size_t i = 0; i < pa.size(); ++i) {
        if (pa[i].first != pb[i].first || !sameValues(pa[i].second->value, pb[i].second->value)) {
            return false;
        }
    }
    return true;
}

// A project with everything filled in: trained weights, optimizer state, two runs, art.
Project richProject(int hidden = 32) {
    Project p;
    p.graph = smallNetwork(hidden);
    p.training = adam(1);
    p.training.schedule.type = "cosine";
    p.data = {{"source", "fashion-mnist"}, {"validation_split", 0.1}};
    p.art = {{"dream", {{"layers", {{"mixed3", 0.5}}}, {"octaves", 3}}}};
    p.artImages["dream"] = Tensor::full(Shape{3, 4, 5}, 0.25);
    p.graph.build(p.training.seed);
    Dataset d;
    d.samples = Tensor::full(Shape{128, 784}, 0.5);
    d.targets = Tensor::zeros(Shape{128});
    for (int i = 0; i < 10; ++i) {
        d.classNames.push_back(std::to_string(i));
    }
    Trainer trainer(p.graph, p.training);
    std::vector<BatchProgress> batches;
    for (int run = 0; run < 2; ++run) {
        TrainingHistory h = trainer.fit(d, nullptr);
        batches.push_back(BatchProgress{1, 1, 1, 2, 2 * run + 1, 0.5, 0.25, 0.002, 1e4, 0.1});
        p.runs.push_back(makeRunRecord(p, h, batches, "2026-11-22T10:00:00Z"));
    }
    captureTrainingState(trainer, p);
    return p;
}

void expectSameProject(Project& a, Project& b) {
    QCOMPARE(QString::fromStdString(b.graph.toJson().dump()),
             QString::fromStdString(a.graph.toJson().dump()));
    QCOMPARE(b.training.toJson(), a.training.toJson());
    QCOMPARE(b.data, a.data);
    QCOMPARE(b.art, a.art);
    QCOMPARE(b.hasWeights, a.hasWeights);
    QVERIFY(sameWeights(a.graph, b.graph));
    QCOMPARE(b.artImages.size(), a.artImages.size());
    QVERIFY(sameValues(b.artImages.at("dream"), a.artImages.at("dream")));
    QCOMPARE(b.position.toJson(), a.position.toJson());
    QVERIFY(b.optimizer.has_value());
    QCOMPARE(b.optimizer->type, a.optimizer->type);
    QCOMPARE(b.optimizer->iterations, a.optimizer->iterations);
    QCOMPARE(b.optimizer->tensors.size(), a.optimizer->tensors.size());
    for (const auto& [key, t] : a.optimizer->tensors) {
        QVERIFY2(sameValues(b.optimizer->tensors.at(key), t), key.c_str());
    }
    QCOMPARE(b.runs.size(), a.runs.size());
    for (size_t r = 0; r < a.runs.size(); ++r) {
        QCOMPARE(b.runs[r].name, a.runs[r].name);
        QCOMPARE(b.runs[r].startedAt, a.runs[r].startedAt);
        QCOMPARE(b.runs[r].finishedAt, a.runs[r].finishedAt);
        QCOMPARE(b.runs[r].training, a.runs[r].training);
        QCOMPARE(int(b.runs[r].finished.reason), int(a.runs[r].finished.reason));
        QCOMPARE(b.runs[r].batches.size(), a.runs[r].batches.size());
        QCOMPARE(b.runs[r].batches.back().loss, a.runs[r].batches.back().loss);
        QCOMPARE(b.runs[r].batches.back().step, a.runs[r].batches.back().step);
        QCOMPARE(b.runs[r].epochs.size(), a.runs[r].epochs.size());
        QCOMPARE(b.runs[r].epochs[0].loss, a.runs[r].epochs[0].loss);
        QVERIFY(std::isnan(b.runs[r].epochs[0].validationLoss));
    }
}

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Whether an unfinished save (path.saving-PID) lies beside path.
/// The temporary files of saves of `path` beside it.
int temporaryFilesBeside(const std::string& path) {
    auto folder = std::filesystem::path(path).parent_path();
    const std::string prefix = std::filesystem::path(path).filename().string() + ".saving-";
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        count += int(entry.path().filename().string().rfind(prefix, 0) == 0);
    }
    return count;
}

/// The id of a process that has ended.
pid_t endedProcess() {
    const pid_t child = fork();
    if (child == 0) {
        _exit(0);
    }
    waitpid(child, nullptr, 0);
    return child;
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Edits a saved project with the HDF5 C API, as a hostile or buggy writer would.
class RawEdit {
public:
    explicit RawEdit(const std::string& path)
        : m_file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {}
    ~RawEdit() { H5Fclose(m_file); }
    void remove(const char* name) { H5Ldelete(m_file, name, H5P_DEFAULT); }
    void replaceWithFloats(const char* name, std::vector<hsize_t> dims, bool writeData) {
        remove(name);
        hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
        hid_t set =
            H5Dcreate2(m_file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (writeData) {
            std::vector<float> zeros(dims.empty() ? 1 : dims[0] * (dims.size() > 1 ? dims[1] : 1));
            H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
        }
        H5Dclose(set);
        H5Sclose(space);
    }
    void replaceWithText(const char* name, const std::string& text) {
        remove(name);
        hsize_t n = text.size();
        hid_t space = H5Screate_simple(1, &n, nullptr);
        hid_t set =
            H5Dcreate2(m_file, name, H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(set, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data());
        H5Dclose(set);
        H5Sclose(space);
    }
    void setVersion(int64_t version) {
        hid_t attribute = H5Aopen(m_file, "loom_format_version", H5P_DEFAULT);
        H5Awrite(attribute, H5T_NATIVE_INT64, &version);
        H5Aclose(attribute);
    }

private:
    hid_t m_file;
};

}  // namespace

class TestProjectFile : public QObject {
    Q_OBJECT

private slots:
    void init() { QVERIFY(m_dir.isValid()); }

    void everythingSurvivesSaveAndReopen() {
        Project saved = richProject();
        const std::string path = file("rich.loom");
        saveProject(saved, path);
        Project loaded = loadProject(path);
        expectSameProject(saved, loaded);
        // Saving the reopened project writes the same contents again.
        saveProject(loaded, file("again.loom"));
        Project again = loadProject(file("again.loom"));
        expectSameProject(saved, again);
    }

    void aProjectWithoutWeightsIsNotBuiltOnLoad() {
        Project p;
        p.graph = smallNetwork();
        saveProject(p, file("plain.loom"));
        Project loaded = loadProject(file("plain.loom"));
        QVERIFY(!loaded.hasWeights);
        QVERIFY(!loaded.graph.isBuilt());
        QVERIFY(!loaded.optimizer);
        QCOMPARE(loaded.runs.size(), size_t{0});
        QCOMPARE(loaded.graph.node("hidden").x, 120.5);
    }

    void trainingResumesExactlyWhereItStopped() {
        if (!haveFashionMnist()) {
            QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        }
        const Dataset& data = fashionSubset();
        Graph straight = smallNetwork();
        Trainer four(straight, adam(4));
        TrainingHistory h4 = four.fit(data, nullptr);
        QCOMPARE(h4.epochs.size(), size_t{4});
        QVERIFY2(h4.epochs.back().accuracy > 0.75, "the network did not learn");

        Project first;
        first.graph = smallNetwork();
        first.training = adam(2);
        Trainer two(first.graph, first.training);
        two.fit(data, nullptr);
        captureTrainingState(two, first);
        saveProject(first, file("resume.loom"));

        Project reopened = loadProject(file("resume.loom"));
        QCOMPARE(reopened.position.epoch, 2);
        Trainer more(reopened.graph, reopened.training);
        restoreTrainingState(reopened, more);
        TrainingHistory h2 = more.fit(data, nullptr);
        QCOMPARE(h2.epochs.front().epoch, 3);
        QCOMPARE(h2.epochs.back().epochs, 4);
        QVERIFY2(sameWeights(straight, reopened.graph),
                 "2 + 2 epochs through a saved project differ from 4 epochs straight");
        QCOMPARE(h2.epochs.back().loss, h4.epochs.back().loss);
    }

    void aKilledSaveLeavesThePreviousFileIntact() {
        const std::string path = file("killed.loom");
        Project original = richProject();
        saveProject(original, path);
        const std::string before = readBytes(path);
        // A big project takes long enough to write that the kill lands mid-save.
        Project big = richProject(4096);
        int killedMidSave = 0;
        for (int delayMs : {5, 15, 30, 60, 90}) {
            pid_t child = fork();
            if (child == 0) {
                for (;;) {
                    saveProject(big, path);
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
            kill(child, SIGKILL);
            killedMidSave += int(temporaryFilesBeside(path) > 0);
            int status = 0;
            waitpid(child, &status, 0);
            // The file is either the old project or a complete new one, never a torn one.
            Project after = loadProject(path);
            if (readBytes(path) != before) {
                QCOMPARE(after.graph.node("hidden").layer->params().toJson()["units"], 4096);
                saveProject(original, path);
            }
        }
        qInfo("%d of 5 kills landed while a save was being written", killedMidSave);
        QVERIFY2(killedMidSave > 0, "no kill landed mid-save; the test proved nothing");
        // The next save removes what the killed ones left beside the project.
        saveProject(original, path);
        QCOMPARE(temporaryFilesBeside(path), 0);
    }

    void aSaveRemovesOnlyTheTemporaryFilesOfEndedProcesses() {
        const std::string path = file("stale.loom");
        const std::string dead = path + ".saving-" + std::to_string(endedProcess());
        const std::string alive = path + ".saving-" + std::to_string(getppid());
        const std::string other = path + ".saving-notes";
        for (const std::string& name : {dead, alive, other}) {
            writeBytes(name, "partial");
        }
        saveProject(richProject(), path);
        QVERIFY(!std::filesystem::exists(dead));
        QVERIFY(std::filesystem::exists(alive));  // possibly another save under way
        QVERIFY(std::filesystem::exists(other));  // not a save's temporary file
        loadProject(path);
    }

    void newerFormatsSaySo() {
        const std::string path = file("newer.loom");
        saveProject(richProject(), path);
        RawEdit(path).setVersion(kProjectFormatVersion + 1);
        QString message = messageOf<IoError>([&] { loadProject(path); });
        QVERIFY2(message.contains("newer Loom"), qPrintable(message));
    }

    void filesThatAreNotProjectsAreRefused() {
        writeBytes(file("text.loom"), "{\"format\": \"loom-graph\"}");
        QVERIFY(
            messageOf<IoError>([&] { loadProject(file("text.loom")); }).contains("not an HDF5"));
        hid_t plain = H5Fcreate(file("plain.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        H5Fclose(plain);
        QVERIFY(messageOf<IoError>([&] {
                    loadProject(file("plain.h5"));
                }).contains("not a Loom project"));
        QVERIFY(messageOf<IoError>([&] {
                    loadProject(file("missing.loom"));
                }).contains("no such file"));
    }

    void malformedContentsGiveCleanErrors_data() {
        QTest::addColumn<QString>("edit");
        QTest::addColumn<QString>("expected");
        QTest::newRow("graph missing") << "remove /graph"
                                       << "'/graph' is missing";
        QTest::newRow("training missing") << "remove /training"
                                          << "'/training' is missing";
        QTest::newRow("graph of floats") << "floats /graph"
                                         << "not a string";
        QTest::newRow("graph not JSON") << "text /graph {oops"
                                        << "not valid JSON";
        QTest::newRow("graph not a graph") << "text /graph [1,2]"
                                           << "/rich.loom: ";
        QTest::newRow("weight missing") << "remove /weights/hidden/kernel"
                                        << "missing";
        QTest::newRow("weight wrong shape") << "floats /weights/hidden/kernel"
                                            << "has shape";
        QTest::newRow("absurd dimensions") << "absurd /weights/hidden/kernel"
                                           << "has shape";
        QTest::newRow("absurd unwritten data") << "unwritten /runs/run_0001/batches"
                                               << "claims";
        QTest::newRow("layer's weights missing") << "remove /weights/hidden"
                                                 << "missing";
        QTest::newRow("optimizer slot of the wrong shape")
            << "floats /optimizer/hidden/kernel/momentum"
            << "does not match any weight";
        QTest::newRow("training of the wrong type") << "text /training {\"batch_size\": \"many\"}"
                                                    << "rich.loom";
        QTest::newRow("run without meta") << "remove /runs/run_0002/meta"
                                          << "missing";
        QTest::newRow("negative epoch in the position") << "text /position {\"epoch\": -3}"
                                                        << "out of range";
        QTest::newRow("model larger than the file")
            << "text /graph " + hugeGraph() << "larger than the file";
        QTest::newRow("graph nested 100,000 deep")
            << "text /graph " + QString::fromLatin1(testing::modelWithNestedInputs(100000))
            << "nested deeper than";
    }

    void malformedContentsGiveCleanErrors() {
        QFETCH(QString, edit);
        QFETCH(QString, expected);
        const std::string path = file("rich.loom");
        saveProject(richProject(), path);
        {
            RawEdit raw(path);
            QStringList words = edit.split(' ');
            const std::string target = words[1].toStdString();
            const std::string text = edit.section(' ', 2).toStdString();
            if (words[0] == "remove") {
                raw.remove(target.c_str());
            } else if (words[0] == "floats") {
                raw.replaceWithFloats(target.c_str(), {3}, true);
            } else if (words[0] == "absurd") {
                raw.replaceWithFloats(target.c_str(), {hsize_t(1) << 20, hsize_t(1) << 20}, false);
            } else if (words[0] == "unwritten") {
                raw.replaceWithFloats(target.c_str(), {hsize_t(1) << 28, 10}, false);
            } else {
                raw.replaceWithText(target.c_str(), text);
            }
        }
        QString message = messageOf<IoError>([&] { loadProject(path); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void truncatedFilesGiveCleanErrors() {
        const std::string path = file("whole.loom");
        saveProject(richProject(), path);
        const std::string bytes = readBytes(path);
        for (int i = 0; i < 40; ++i) {
            const size_t size = bytes.size() * size_t(i) / 40;
            writeBytes(file("cut.loom"), bytes.substr(0, size));
            QString message = messageOf<IoError>([&] { loadProject(file("cut.loom")); });
            QVERIFY2(!message.startsWith("no exception") && !message.startsWith("wrong"),
                     qPrintable(QString("cut at %1: %2").arg(size).arg(message)));
        }
    }

    void flippedBytesAreCaughtOrHarmless() {
        const std::string path = file("whole.loom");
        Project original = richProject();
        saveProject(original, path);
        const std::string bytes = readBytes(path);
        std::mt19937_64 random(2026);
        int caught = 0, harmless = 0;
        for (int i = 0; i < 300; ++i) {
            std::string damaged = bytes;
            damaged[random() % damaged.size()] ^= char(1 << (random() % 8));
            writeBytes(file("flipped.loom"), damaged);
            try {
                Project loaded = loadProject(file("flipped.loom"));
                // A flip in unused space or padding changes nothing that Loom reads.
                QVERIFY2(sameWeights(original.graph, loaded.graph), "a flipped bit went unseen");
                QCOMPARE(loaded.graph.toJson(), original.graph.toJson());
                ++harmless;
            } catch (const IoError&) {
                ++caught;
            }
        }
        qInfo("300 single-bit flips: %d reported as errors, %d in bytes Loom does not read", caught,
              harmless);
        QVERIFY(caught > 0);
    }

private:
    static QString hugeGraph() {
        Graph g;
        g.add("Input", "input", {{"shape", {784}}});
        g.add("Dense", "hidden", {{"units", 10000000}}, {"input"});
        g.add("Dense", "classes", {{"units", 10}}, {"hidden"});
        return QString::fromStdString(g.toJson().dump());
    }

    std::string file(const char* name) const { return (m_dir.path() + "/" + name).toStdString(); }

    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestProjectFile)
#include "TestProjectFile.moc"
