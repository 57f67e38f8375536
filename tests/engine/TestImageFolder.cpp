// Image folders: labels from file-name prefixes (Kaggle's cat.12.png) and from sub-folders,
// broken and non-image files skipped and named, never fatal.

#include <loom/Error.h>
#include <loom/ImageFolder.h>

#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

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

}  // namespace

class TestImageFolder : public QObject {
    Q_OBJECT

private slots:
    void init();
    void prefixLabelsAndBrokenFilesReported();
    void subFolderLabelsAndGrayscale();
    void folderWithNoImagesIsAnError();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

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

QTEST_APPLESS_MAIN(TestImageFolder)
#include "TestImageFolder.moc"
