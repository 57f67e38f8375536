// Data: IDX files (real Fashion-MNIST, corrupt and empty ones), CSV (NaN and infinite cells
// reported or dropped), seeded splits, normalisation and the prefetching batch loader.

#include "support/Expect.h"

#include <loom/BatchLoader.h>
#include <loom/Csv.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Idx.h>

#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace loom;
using loom::testing::messageOf;

namespace {

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QByteArray idxHeader(std::vector<uint32_t> dims) {
    QByteArray h("\x00\x00\x08", 3);
    h.append(static_cast<char>(dims.size()));
    for (uint32_t d : dims) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            h.append(static_cast<char>((d >> shift) & 0xff));
        }
    }
    return h;
}

Dataset counting(int64_t n, int64_t classes) {
    Dataset d;
    d.samples = Tensor::empty(Shape{n, 2});
    d.targets = Tensor::empty(Shape{n});
    for (int64_t i = 0; i < n; ++i) {
        d.samples.set(2 * i, static_cast<double>(i));
        d.samples.set(2 * i + 1, -static_cast<double>(i));
        d.targets.set(i, static_cast<double>(i % classes));
    }
    for (int64_t c = 0; c < classes; ++c) {
        d.classNames.push_back(std::to_string(c));
    }
    return d;
}

}  // namespace

class TestData : public QObject {
    Q_OBJECT

private slots:
    void init();
    void fashionMnistLoads();
    void corruptIdxFilesAreClearErrors();
    void csvWithHeaderAndStringLabels();
    void csvErrorsNameLineAndColumn();
    void csvNonFiniteCellsAreReportedOrDropped();
    void idxWithNoSamplesIsAnError();
    void tutorialHoldoutIsReproducible();
    void batchLoaderCoversEverySampleOnce();
    void perChannelNormalisation();
    void relativeSourcesAreReadFromTheModelFilesFolder();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestData::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestData::fashionMnistLoads() {
    const std::string folder = "/usr/share/datasets/fashion-mnist";
    if (!QFile::exists(QString::fromStdString(folder) + "/t10k-images-idx3-ubyte.gz")) {
        QSKIP("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }
    Dataset test = loadFashionMnist(folder, true);
    QCOMPARE(test.samples.shape(), (Shape{10000, 1, 28, 28}));
    QCOMPARE(test.classNames.front(), std::string("T-shirt/top"));
    QCOMPARE(test.classCounts(), std::vector<int64_t>(10, 1000));
    // The first test image is an ankle boot (label 9) with pixel values 0..255.
    QCOMPARE(test.targets.at(0), 9.0);
    double maxPixel = 0;
    for (int64_t i = 0; i < 784; ++i) {
        maxPixel = std::max(maxPixel, test.samples.at(i));
    }
    QVERIFY(maxPixel > 200 && maxPixel <= 255);
}

void TestData::corruptIdxFilesAreClearErrors() {
    const QString d = m_dir->path();
    writeBytes(d + "/short", QByteArray("\x00\x00", 2));
    QVERIFY(
        messageOf<IoError>([&] { readIdx((d + "/short").toStdString()); }).contains("truncated"));
    writeBytes(d + "/magic", QByteArray("PK\x03\x04 not idx at all", 20));
    QVERIFY(messageOf<IoError>([&] { readIdx((d + "/magic").toStdString()); }).contains("magic"));
    // A 20-byte file claiming 4 billion elements: rejected before any allocation.
    writeBytes(d + "/huge", idxHeader({65535, 65535}) + QByteArray(8, '\0'));
    QString message = messageOf<IoError>([&] { readIdx((d + "/huge").toStdString()); });
    QVERIFY2(message.contains("corrupt"), qPrintable(message));
    writeBytes(d + "/cut", idxHeader({10, 3}) + QByteArray(12, '\1'));
    QVERIFY(
        messageOf<IoError>([&] { readIdx((d + "/cut").toStdString()); }).contains("truncated") ||
        messageOf<IoError>([&] { readIdx((d + "/cut").toStdString()); }).contains("corrupt"));
    writeBytes(d + "/ok", idxHeader({2, 3}) + QByteArray("\x01\x02\x03\x04\x05\x06", 6));
    Tensor t = readIdx((d + "/ok").toStdString());
    QCOMPARE(t.shape(), (Shape{2, 3}));
    QCOMPARE(t.at(5), 6.0);
    QVERIFY(
        messageOf<IoError>([&] { readIdx((d + "/missing").toStdString()); }).contains("missing"));
}

void TestData::csvWithHeaderAndStringLabels() {
    writeBytes(m_dir->path() + "/iris.csv",
               "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n"
               "4.9,1.4,setosa\n");
    CsvOptions options;
    options.labelColumn = "species";
    Dataset d = readCsv((m_dir->path() + "/iris.csv").toStdString(), options).data;
    QCOMPARE(d.samples.shape(), (Shape{4, 2}));
    QCOMPARE(d.classNames, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
    QCOMPARE(d.targets.toVector(), (std::vector<float>{0, 1, 2, 0}));
    QCOMPARE(d.samples.at(2), 7.0);

    writeBytes(m_dir->path() + "/numeric.csv", "10,1\n2,2\n10,3\n1,4\n");
    options.labelColumn = "0";
    Dataset n = readCsv((m_dir->path() + "/numeric.csv").toStdString(), options).data;
    QCOMPARE(n.classNames, (std::vector<std::string>{"1", "2", "10"}));
    QCOMPARE(n.targets.toVector(), (std::vector<float>{2, 1, 2, 0}));

    options.regression = true;
    Dataset r = readCsv((m_dir->path() + "/numeric.csv").toStdString(), options).data;
    QVERIFY(!r.isClassification());
    QCOMPARE(r.targets.toVector(), (std::vector<float>{10, 2, 10, 1}));
}

void TestData::csvErrorsNameLineAndColumn() {
    writeBytes(m_dir->path() + "/bad.csv", "a,b,label\n1,2,x\n3,oops,y\n");
    QString message = messageOf<DataError>(
        [&] { readCsv((m_dir->path() + "/bad.csv").toStdString(), CsvOptions{}); });
    QVERIFY2(message.contains("line 3") && message.contains("column 2") && message.contains("oops"),
             qPrintable(message));
    writeBytes(m_dir->path() + "/ragged.csv", "1,2,3\n4,5\n");
    message = messageOf<DataError>(
        [&] { readCsv((m_dir->path() + "/ragged.csv").toStdString(), CsvOptions{}); });
    QVERIFY2(message.contains("line 2"), qPrintable(message));
}

void TestData::csvNonFiniteCellsAreReportedOrDropped() {
    // A blank line, so that line numbers are the file's, not the row count's.
    writeBytes(m_dir->path() + "/nan.csv", "a,b,label\n1,2,x\n\n3,nan,y\n4,5,x\n-inf,6,y\n");
    const std::string spec = "csv:" + (m_dir->path() + "/nan.csv").toStdString();
    nlohmann::json section = {{"normalization", "none"}};
    QString message = messageOf<DataError>([&] { loadData(spec, section, Shape{2}); });
    QVERIFY2(
        message.contains("line 4") && message.contains("column 2") && message.contains("'nan'"),
        qPrintable(message));
    section["non_finite"] = "drop";
    LoadedData d = loadData(spec, section, Shape{2});
    QCOMPARE(d.train.samples.toVector(), (std::vector<float>{1, 2, 4, 5}));
    QCOMPARE(d.notes.size(), size_t{1});
    QVERIFY2(QString::fromStdString(d.notes[0]).contains("lines 4, 6"), d.notes[0].c_str());
    // A regression target is a number too.
    writeBytes(m_dir->path() + "/target.csv", "1,2,0.5\n3,4,inf\n");
    CsvOptions regression;
    regression.regression = true;
    message = messageOf<DataError>(
        [&] { readCsv((m_dir->path() + "/target.csv").toStdString(), regression); });
    QVERIFY2(message.contains("line 2") && message.contains("column 3"), qPrintable(message));
    section["non_finite"] = "ignore";
    QVERIFY(messageOf<DataError>([&] { loadData(spec, section, Shape{2}); }).contains("drop"));
}

void TestData::idxWithNoSamplesIsAnError() {
    const QString images = m_dir->path() + "/images", labels = m_dir->path() + "/labels";
    writeBytes(images, idxHeader({0, 28, 28}));
    writeBytes(labels, idxHeader({0}));
    QString message = messageOf<DataError>(
        [&] { loadIdxDataset(images.toStdString(), labels.toStdString(), false); });
    QVERIFY2(message.contains(images) && message.contains("no samples"), qPrintable(message));
    const std::string spec = "idx:" + images.toStdString() + "," + labels.toStdString();
    message = messageOf<DataError>([&] { loadData(spec, nlohmann::json::object(), Shape{784}); });
    QVERIFY2(message.contains(images), qPrintable(message));
}

void TestData::tutorialHoldoutIsReproducible() {
    Dataset d = counting(1000, 2);
    auto [train, test] = splitHoldout(d, 0.25, 12345);
    auto [train2, test2] = splitHoldout(d, 0.25, 12345);
    QCOMPARE(train.size(), int64_t{750});
    QCOMPARE(test.size(), int64_t{250});
    QCOMPARE(test.samples.toVector(), test2.samples.toVector());
    std::set<float> seen;
    for (const Dataset* part : {&train, &test}) {
        for (int64_t i = 0; i < part->size(); ++i) {
            seen.insert(static_cast<float>(part->samples.at(2 * i)));
            QCOMPARE(part->targets.at(i), std::fmod(part->samples.at(2 * i), 2.0));
        }
    }
    QCOMPARE(seen.size(), size_t{1000});
    auto [other, otherTest] = splitHoldout(d, 0.25, 54321);
    QVERIFY(otherTest.samples.toVector() != test.samples.toVector());
}

void TestData::batchLoaderCoversEverySampleOnce() {
    Dataset d = counting(103, 4);
    BatchLoader loader(d, shuffledIndices(103, 9), 10, TargetForm::OneHot);
    QCOMPARE(loader.batchCount(), int64_t{11});
    Batch batch;
    std::multiset<float> seen;
    int64_t batches = 0;
    while (loader.next(batch)) {
        ++batches;
        QCOMPARE(batch.targets.dim(1), int64_t{4});
        for (int64_t i = 0; i < batch.samples.dim(0); ++i) {
            const float value = batch.samples.data<float>()[2 * i];
            seen.insert(value);
            const auto label = static_cast<int64_t>(value) % 4;
            QCOMPARE(batch.labels.at(i), static_cast<double>(label));
            for (int64_t c = 0; c < 4; ++c) {
                QCOMPARE(batch.targets.at(i * 4 + c), c == label ? 1.0 : 0.0);
            }
        }
    }
    QCOMPARE(batches, int64_t{11});
    QCOMPARE(batch.samples.dim(0), int64_t{3});
    QCOMPARE(seen.size(), size_t{103});
    QCOMPARE(std::set<float>(seen.begin(), seen.end()).size(), size_t{103});
}

void TestData::perChannelNormalisation() {
    Dataset d;
    d.samples =
        Tensor::fromVector(Shape{2, 2, 1, 2}, std::vector<float>{0, 2, 10, 30, 4, 6, 20, 40});
    d.targets = Tensor::zeros(Shape{2});
    Normalization n = Normalization::perChannel(d);
    QCOMPARE(n.mean, (std::vector<double>{3, 25}));
    n.apply(d);
    double sum0 = 0, sq0 = 0;
    for (int64_t i : {0, 1, 4, 5}) {
        sum0 += d.samples.at(i);
        sq0 += d.samples.at(i) * d.samples.at(i);
    }
    QVERIFY(std::abs(sum0) < 1e-5 && std::abs(sq0 / 4 - 1) < 1e-5);
}

void TestData::relativeSourcesAreReadFromTheModelFilesFolder() {
    const auto source = [](const std::string& spec) {
        return withSourceRelativeTo({{"source", spec}}, "/home/ann/projects")["source"]
            .get<std::string>();
    };
    QCOMPARE(source("folder:photos"), std::string("folder:/home/ann/projects/photos"));
    QCOMPARE(source("csv:../data/iris.csv"), std::string("csv:/home/ann/data/iris.csv"));
    QCOMPARE(source("folder:/srv/photos"), std::string("folder:/srv/photos"));
    QCOMPARE(source("fashion-mnist"), std::string("fashion-mnist"));
    QCOMPARE(source("idx:images,/srv/labels"),
             std::string("idx:/home/ann/projects/images,/srv/labels"));
    QCOMPARE(withSourceRelativeTo(nlohmann::json::object(), "/x"), nlohmann::json::object());
}

QTEST_APPLESS_MAIN(TestData)
#include "TestData.moc"
