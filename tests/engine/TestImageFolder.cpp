// Image folders: labels from file-name prefixes (Kaggle's cat.12.png) and from sub-folders,
// broken and non-image files skipped and named, never fatal; files above the pixel budget
// (a PNG decompression bomb) refused from their header, before any decoding.

#include <loom/ArtImage.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/ImageFolder.h>
#include <loom/ImageHeader.h>
#include <loom/Prediction.h>

#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <fstream>
#include <functional>

using namespace loom;

namespace {

// A solid image whose colour encodes its class, so decoded pixels can be checked.
void writePng(const QString& path, QColor colour, int size = 40) {
    QImage image(size, size + 10, QImage::Format_RGB888);
    image.fill(colour);
    QVERIFY(image.save(path, "PNG"));
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

void writeChunk(std::ofstream& out, const char* type, const unsigned char* data, uInt size) {
    const unsigned char length[4] = {
        static_cast<unsigned char>(size >> 24), static_cast<unsigned char>(size >> 16),
        static_cast<unsigned char>(size >> 8), static_cast<unsigned char>(size)};
    uLong crc = crc32(crc32(0, reinterpret_cast<const Bytef*>(type), 4), data, size);
    const unsigned char crcBytes[4] = {
        static_cast<unsigned char>(crc >> 24), static_cast<unsigned char>(crc >> 16),
        static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
    out.write(reinterpret_cast<const char*>(length), 4);
    out.write(type, 4);
    out.write(reinterpret_cast<const char*>(data), size);
    out.write(reinterpret_cast<const char*>(crcBytes), 4);
}

// A valid 20000x20000 grey PNG of zeros: about 390 KB on disk, 1.2 GB once decoded as colour.
// The rows are deflated a megabyte at a time, so writing it holds no more than that.
void writePngBomb(const QString& path) {
    constexpr uint32_t kSide = 20000;
    std::ofstream out(path.toStdString(), std::ios::binary);
    out.write("\x89PNG\r\n\x1a\n", 8);
    const unsigned char header[13] = {
        0, 0, kSide >> 8, kSide & 0xff, 0, 0, kSide >> 8, kSide & 0xff, 8, 0,
        0, 0, 0};  // 8-bit grey
    writeChunk(out, "IHDR", header, 13);
    z_stream z{};
    QCOMPARE(deflateInit(&z, Z_BEST_COMPRESSION), Z_OK);
    std::vector<unsigned char> zeros(1 << 20, 0), packed(1 << 20);
    uint64_t left = uint64_t{kSide} * (kSide + 1);  // a filter byte before every row
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        const auto chunk = static_cast<uInt>(std::min<uint64_t>(left, zeros.size()));
        z.next_in = zeros.data();
        z.avail_in = chunk;
        left -= chunk;
        do {
            z.next_out = packed.data();
            z.avail_out = static_cast<uInt>(packed.size());
            status = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
            const auto produced = static_cast<uInt>(packed.size() - z.avail_out);
            if (produced > 0) {
                writeChunk(out, "IDAT", packed.data(), produced);
            }
        } while (z.avail_out == 0 || (left == 0 && status != Z_STREAM_END));
    }
    deflateEnd(&z);
    writeChunk(out, "IEND", nullptr, 0);
    QVERIFY(out.good());
}

int64_t statusKilobytes(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            return std::stoll(line.substr(field.size() + 1));
        }
    }
    return -1;
}

// How far the process' resident memory peaks above where it stood while `work` runs, in MB:
// writing 5 to /proc/self/clear_refs resets the peak (VmHWM) to the current size.
double peakGrowthMb(const std::function<void()>& work) {
    std::ofstream("/proc/self/clear_refs") << "5";
    const int64_t before = statusKilobytes("VmRSS");
    work();
    return static_cast<double>(statusKilobytes("VmHWM") - before) / 1024.0;
}

}  // namespace

class TestImageFolder : public QObject {
    Q_OBJECT

private slots:
    void init();
    void prefixLabelsAndBrokenFilesReported();
    void subFolderLabelsAndGrayscale();
    void folderWithNoImagesIsAnError();
    void splitFoldersAreTheSplits();
    void imagesOfAnotherShapeAreStretchedOrCropped();
    void pngBombIsSkippedFromItsHeader();
    void predictRefusesPngBomb();
    void largeJpegIsDecodedReducedOrRefused();
    void headersGiveTheDeclaredSize_data();
    void headersGiveTheDeclaredSize();

private:
    QString pngBomb();

    std::unique_ptr<QTemporaryDir> m_dir;
    QTemporaryDir m_bombDir;  // the bomb is written once, for every test that needs it
};

QString TestImageFolder::pngBomb() {
    const QString path = m_bombDir.path() + "/cat.bomb.png";
    if (!QFile::exists(path)) {
        writePngBomb(path);
    }
    return path;
}

void TestImageFolder::init() {
    if (!imageFilesAvailable()) {
        QSKIP("this build has no OpenCV: image files are unavailable");
    }
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestImageFolder::prefixLabelsAndBrokenFilesReported() {
    const QString d = m_dir->path();
    for (int i = 0; i < 6; ++i) {
        writePng(d + QString("/cat.%1.png").arg(i * 7), QColor(200, 10, 10));
        writePng(d + QString("/dog.%1.png").arg(i * 5), QColor(10, 10, 200));
    }
    writeBytes(d + "/cat.999.png", QByteArray("\x89PNG\r\n\x1a\n truncated", 18));
    writeBytes(d + "/dog.1000.jpg", QByteArray(300, 'x'));
    writeBytes(d + "/notes.txt", "not an image");
    writeBytes(d + "/README", "no label");

    ImageFolderOptions options;
    options.labels = LabelSource::FileNamePrefix;
    options.height = options.width = 16;
    ImageFolderResult r = readImageFolder(d.toStdString(), options);

    QCOMPARE(r.data.size(), int64_t{12});
    QCOMPARE(r.data.samples.shape(), (Shape{12, 3, 16, 16}));
    QCOMPARE(r.data.classNames, (std::vector<std::string>{"cat", "dog"}));
    QCOMPARE(r.data.classCounts(), (std::vector<int64_t>{6, 6}));
    // Red cats and blue dogs: channel 0 is red (RGB order, not OpenCV's BGR).
    for (int64_t i = 0; i < r.data.size(); ++i) {
        const float* pixel = r.data.samples.data<float>() + i * 3 * 16 * 16;
        const bool cat = r.data.targets.at(i) == 0;
        QCOMPARE(pixel[0], cat ? 200.0f : 10.0f);
        QCOMPARE(pixel[2 * 16 * 16], cat ? 10.0f : 200.0f);
    }
    QStringList skipped;
    for (const SkippedFile& s : r.skipped) {
        skipped << QFileInfo(QString::fromStdString(s.path)).fileName();
        QVERIFY(!s.reason.empty());
    }
    skipped.sort();
    QCOMPARE(skipped, (QStringList{"README", "cat.999.png", "dog.1000.jpg", "notes.txt"}));
}

void TestImageFolder::subFolderLabelsAndGrayscale() {
    const QString d = m_dir->path();
    QDir().mkpath(d + "/train/ankle boot");
    QDir().mkpath(d + "/train/bag");
    writePng(d + "/train/ankle boot/a.png", Qt::white);
    writePng(d + "/train/bag/b.png", Qt::black);
    writePng(d + "/train/bag/c.png", Qt::black);
    ImageFolderOptions options;
    options.height = options.width = 8;
    options.grayscale = true;
    ImageFolderResult r = readImageFolder((d + "/train").toStdString(), options);
    QCOMPARE(r.data.classNames, (std::vector<std::string>{"ankle boot", "bag"}));
    QCOMPARE(r.data.samples.shape(), (Shape{3, 1, 8, 8}));
    QCOMPARE(r.data.samples.at(0), 255.0);
    QCOMPARE(r.data.samples.at(64), 0.0);
    QVERIFY(r.skipped.empty());
}

void TestImageFolder::splitFoldersAreTheSplits() {
    // train/ with three classes, val/ with two of them, test/ with one: each split keeps the
    // training data's class indices, and the folders replace validation_split.
    const QString d = m_dir->path();
    const std::vector<std::pair<QString, QColor>> classes = {
        {"bird", Qt::red}, {"cat", Qt::green}, {"dog", Qt::blue}};
    for (const auto& [name, colour] : classes) {
        QVERIFY(QDir().mkpath(d + "/train/" + name));
        for (int i = 0; i < 4; ++i) {
            writePng(d + QString("/train/%1/%2.png").arg(name).arg(i), colour);
        }
    }
    for (const QString& split : {QString("val/cat"), QString("val/dog"), QString("test/dog")}) {
        QVERIFY(QDir().mkpath(d + "/" + split));
        writePng(d + "/" + split + "/x.png", split.endsWith("cat") ? Qt::green : Qt::blue);
    }
    const nlohmann::json section = {{"source", "folder:" + d.toStdString()},
                                    {"normalization", "divide_255"},
                                    {"validation_split", 0.5}};
    const LoadedData data = loadData("", section, Shape{3, 8, 8});
    QCOMPARE(data.train.size(), int64_t{12});
    QCOMPARE(data.train.classNames, (std::vector<std::string>{"bird", "cat", "dog"}));
    QVERIFY(data.validation && data.test);
    QCOMPARE(data.validation->size(), int64_t{2});
    QCOMPARE(data.validation->classNames, data.train.classNames);
    QCOMPARE(data.validation->targets.at(0), 1.0);       // cat
    QCOMPARE(data.validation->targets.at(1), 2.0);       // dog
    QCOMPARE(data.validation->samples.at(2 * 64), 0.0);  // normalised like the training data
    QCOMPARE(data.validation->samples.at(3 * 64 + 2 * 64), 1.0);
    QCOMPARE(data.test->size(), int64_t{1});
    QCOMPARE(data.test->targets.at(0), 2.0);
    QVERIFY(std::any_of(data.notes.begin(), data.notes.end(), [](const std::string& n) {
        return n.find("validation data: ") == 0 && n.find("(2 images)") != std::string::npos;
    }));
    // Evaluation reads test/.
    const EvaluationData evaluation =
        loadEvaluationData("", section, Shape{3, 8, 8}, data.normalization);
    QCOMPARE(evaluation.data.size(), int64_t{1});

    // A class the training data lack is named.
    QVERIFY(QDir().mkpath(d + "/val/fish"));
    writePng(d + "/val/fish/y.png", Qt::yellow);
    try {
        loadData("", section, Shape{3, 8, 8});
        QFAIL("a validation class the training data lack was accepted");
    } catch (const DataError& e) {
        QVERIFY2(QString(e.what()).contains("'fish', which the training data lack"), e.what());
    }
}

void TestImageFolder::imagesOfAnotherShapeAreStretchedOrCropped() {
    // Three vertical stripes, red, green and blue, 8 pixels wide each, 8 high.
    QImage stripes(24, 8, QImage::Format_RGB888);
    for (int x = 0; x < 24; ++x) {
        for (int y = 0; y < 8; ++y) {
            stripes.setPixelColor(x, y, x < 8 ? Qt::red : x < 16 ? Qt::green : Qt::blue);
        }
    }
    const QString path = m_dir->filePath("stripes.png");
    QVERIFY(stripes.save(path));
    // Stretched to 6x6, the stripes are two columns each; cropped, only the green middle.
    const Tensor stretched = readImage(path.toStdString(), 6, 6, false);
    const Tensor cropped = readImage(path.toStdString(), 6, 6, false, {}, ImageFit::Crop);
    const auto green = [](const Tensor& t, int x) { return t.at(1 * 36 + 3 * 6 + x); };
    QCOMPARE(green(stretched, 0), 0.0);
    QCOMPARE(green(stretched, 3), 255.0);
    QCOMPARE(green(stretched, 5), 0.0);
    for (int x = 0; x < 6; ++x) {
        QCOMPARE(green(cropped, x), 255.0);
    }
    // The data section's resize chooses it for folders and for predict alike.
    const SamplePreprocessing crop =
        SamplePreprocessing::forModel({{"resize", "crop"}}, Shape{3, 6, 6}, {});
    QCOMPARE(crop.fit, ImageFit::Crop);
    QCOMPARE(crop.read(path.toStdString()).at(36 + 18), 255.0);
    QVERIFY_THROWS_EXCEPTION(DataError, imageFolderOptions({{"resize", "pad"}}, Shape{3, 6, 6}));
}

void TestImageFolder::folderWithNoImagesIsAnError() {
    writeBytes(m_dir->path() + "/cat.1.png", "garbage");
    ImageFolderOptions options;
    options.labels = LabelSource::FileNamePrefix;
    try {
        readImageFolder(m_dir->path().toStdString(), options);
        QFAIL("no exception");
    } catch (const DataError& e) {
        QVERIFY2(QString(e.what()).contains("no readable"), e.what());
    }
}

void TestImageFolder::pngBombIsSkippedFromItsHeader() {
    const QString d = m_dir->path();
    QVERIFY(QFile::copy(pngBomb(), d + "/cat.2.png"));
    QVERIFY(QFileInfo(d + "/cat.2.png").size() < 1000 * 1000);
    writePng(d + "/cat.1.png", Qt::red);
    writePng(d + "/dog.1.png", Qt::blue);
    ImageFolderOptions options;
    options.labels = LabelSource::FileNamePrefix;
    options.threads = 1;
    ImageFolderResult r;
    const double growth = peakGrowthMb([&] { r = readImageFolder(d.toStdString(), options); });
    QCOMPARE(r.data.size(), int64_t{2});
    QCOMPARE(r.skipped.size(), size_t{1});
    QVERIFY(QString::fromStdString(r.skipped[0].path).endsWith("cat.2.png"));
    QVERIFY2(QString::fromStdString(r.skipped[0].reason).contains("20000x20000"),
             r.skipped[0].reason.c_str());
    QVERIFY2(growth < 200, qPrintable(QString("memory peaked %1 MB higher").arg(growth)));
}

void TestImageFolder::predictRefusesPngBomb() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, 8, 8}}});
    g.add("Flatten", "flatten", {}, {"input"});
    g.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"flatten"});
    Trainer trainer(g, TrainingConfig{});
    const SamplePreprocessing preprocessing =
        SamplePreprocessing::forModel(nlohmann::json::object(), Shape{1, 8, 8}, {});
    const std::string bomb = pngBomb().toStdString();
    QString message;
    const double growth = peakGrowthMb([&] {
        try {
            predictImage(trainer, preprocessing, bomb, 1);
        } catch (const DataError& e) {
            message = e.what();
        }
    });
    QVERIFY2(message.contains(QString::fromStdString(bomb)) && message.contains("20000x20000"),
             qPrintable(message));
    QVERIFY2(growth < 200, qPrintable(QString("memory peaked %1 MB higher").arg(growth)));
    // The art pictures are read through the same check.
    QVERIFY_THROWS_EXCEPTION(DataError, readRgbImage(bomb));
}

void TestImageFolder::largeJpegIsDecodedReducedOrRefused() {
    const std::string photo = (m_dir->path() + "/cat.1.jpg").toStdString();
    writeRgbImage(Tensor::full(Shape{3, 1200, 1600}, 200.0f), photo);
    writePng(m_dir->path() + "/dog.1.png", Qt::blue);
    const ImageHeader header = readImageHeader(photo);
    QCOMPARE(QString(header.format), QString("JPEG"));
    QCOMPARE(header.width, int64_t{1600});
    QCOMPARE(header.height, int64_t{1200});
    ImageFolderOptions options;
    options.labels = LabelSource::FileNamePrefix;
    options.limits.maxPixels = 1'000'000;  // 1600x1200 is 1.92 MP: half its size fits
    QCOMPARE(imageReduction(header, options.limits), 2);
    ImageFolderResult reduced = readImageFolder(m_dir->path().toStdString(), options);
    QCOMPARE(reduced.data.size(), int64_t{2});
    QCOMPARE(reduced.data.samples.at(0), 200.0);
    options.limits.reduceLarge = false;
    ImageFolderResult refused = readImageFolder(m_dir->path().toStdString(), options);
    QCOMPARE(refused.data.size(), int64_t{1});
    QCOMPARE(refused.skipped.size(), size_t{1});
    QVERIFY2(QString::fromStdString(refused.skipped[0].reason).contains("1600x1200"),
             refused.skipped[0].reason.c_str());
}

void TestImageFolder::headersGiveTheDeclaredSize_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("format");  // empty: refused
    QTest::addColumn<qint64>("width");
    QTest::addColumn<qint64>("height");
    auto zeros = [](int n) { return QByteArray(n, '\0'); };
    QTest::newRow("gif") << QByteArray("GIF89a\x20\x4e\x10\x27", 10) + zeros(8) << "GIF"
                         << qint64{20000} << qint64{10000};
    QTest::newRow("bmp top-down") << QByteArray("BM", 2) + zeros(12) +
                                         QByteArray("\x28\0\0\0\x20\x4e\0\0\xf0\xd8\xff\xff", 12)
                                  << "BMP" << qint64{20000} << qint64{10000};
    QTest::newRow("webp lossy")
        << QByteArray("RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a\x80\x02\xe0\x01", 30)
        << "WebP" << qint64{640} << qint64{480};
    QTest::newRow("webp lossless")  // 14 bits each of width - 1 (639) and height - 1 (479)
        << QByteArray("RIFFxxxxWEBPVP8Lxxxx\x2f\x7f\xc2\x77\x00", 25) + zeros(5) << "WebP"
        << qint64{640} << qint64{480};
    QTest::newRow("webp extended")
        << QByteArray("RIFFxxxxWEBPVP8Xxxxxxxxx\x1f\x4e\x00\x0f\x27\x00", 30) << "WebP"
        << qint64{20000} << qint64{10000};
    QTest::newRow("ppm") << QByteArray("P6\n# a comment\n20000 10000\n255\n") << "PNM"
                         << qint64{20000} << qint64{10000};
    QTest::newRow("tiff big-endian") << QByteArray(
                                            "MM\0*\0\0\0\x08\0\x02"
                                            "\x01\x00\0\x03\0\0\0\x01\x4e\x20\0\0"
                                            "\x01\x01\0\x04\0\0\0\x01\0\0\x27\x10",
                                            34)
                                     << "TIFF" << qint64{20000} << qint64{10000};
    QTest::newRow("jpeg 2000 is not checked")
        << QByteArray("\0\0\0\x0cjP  \r\n\x87\n", 12) + zeros(20) << "" << qint64{0} << qint64{0};
}

void TestImageFolder::headersGiveTheDeclaredSize() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, format);
    QFETCH(qint64, width);
    QFETCH(qint64, height);
    const QString path = m_dir->path() + "/image";
    writeBytes(path, bytes);
    if (format.isEmpty()) {
        QVERIFY_THROWS_EXCEPTION(DataError, readImageHeader(path.toStdString()));
        return;
    }
    const ImageHeader h = readImageHeader(path.toStdString());
    QCOMPARE(QString(h.format), format);
    QCOMPARE(h.width, width);
    QCOMPARE(h.height, height);
}

QTEST_APPLESS_MAIN(TestImageFolder)
#include "TestImageFolder.moc"
