#include "AugmentationPanel.h"
#include "DatasetPanel.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace loom;

/// The data panel on real and made-up data: Fashion-MNIST shows its ten classes with their
/// counts and pictures, an image folder reports the file it could not read, and the settings
/// round-trip through the project's data section.
class TestDatasetPanel : public QObject {
    Q_OBJECT

private slots:
    void showsFashionMnistsTenClasses();
    void reportsSkippedImageFiles();
    void reportsASourceThatCannotBeRead();
    void dataSectionRoundTrips_data();
    void dataSectionRoundTrips();
    void keepsSettingsItHasNoFieldFor();

private:
    static bool load(DatasetPanel& panel);
    static QStringList column(const QTableWidget* table, int column);
};

bool TestDatasetPanel::load(DatasetPanel& panel) {
    QSignalSpy loaded(&panel, &DatasetPanel::previewLoaded);
    panel.loadPreview();
    return loaded.wait(60000);
}

QStringList TestDatasetPanel::column(const QTableWidget* table, int column) {
    QStringList values;
    for (int row = 0; row < table->rowCount(); ++row) {
        values << (table->item(row, column) ? table->item(row, column)->text() : QString());
    }
    return values;
}

void TestDatasetPanel::showsFashionMnistsTenClasses() {
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    DatasetPanel panel;
    panel.setDataSection({{"source", "fashion-mnist"}, {"validation_split", 0.25}});
    QVERIFY(load(panel));
    auto* counts = panel.findChild<QTableWidget*>(QStringLiteral("classCounts"));
    QCOMPARE(counts->rowCount(), 10);
    QCOMPARE(counts->item(0, 0)->text(), QStringLiteral("T-shirt/top"));
    QCOMPARE(counts->item(9, 0)->text(), QStringLiteral("Ankle boot"));
    // 6,000 training pictures per class, a quarter held out for validation; 1,000 to test.
    int training = 0, validation = 0;
    for (int row = 0; row < 10; ++row) {
        training += QLocale().toInt(counts->item(row, 1)->text());
        validation += QLocale().toInt(counts->item(row, 2)->text());
    }
    QCOMPARE(training, 45000);
    QCOMPARE(validation, 15000);
    QCOMPARE(column(counts, 3), QStringList(10, QLocale().toString(1000)));
    auto* samples = panel.findChild<QListWidget*>(QStringLiteral("samples"));
    QCOMPARE(samples->count(), 40);  // four of each class
    QStringList labels;
    for (int i = 0; i < samples->count(); ++i) {
        labels << samples->item(i)->text();
        QVERIFY(!samples->item(i)->icon().isNull());
    }
    QCOMPARE(labels.count(QStringLiteral("Sandal")), 4);

    // Augmentation shows the first samples next to the versions training makes of them.
    auto* versions = panel.findChild<QTableWidget*>(QStringLiteral("augmentedVersions"));
    panel.setDataSection({{"source", "fashion-mnist"},
                          {"validation_split", 0.25},
                          {"augmentation", {{"horizontal_flip", true}, {"rotation_range", 30}}}});
    QVERIFY(load(panel));
    QCOMPARE(panel.dataSection()["augmentation"]["rotation_range"].get<double>(), 30.0);
    for (int column = 0; column <= AugmentationPanel::kVersions; ++column) {
        QVERIFY(versions->item(AugmentationPanel::kSamples - 1, column) != nullptr);
    }
    QVERIFY(versions->item(0, 0)->icon().pixmap(56).toImage() !=
            versions->item(0, 1)->icon().pixmap(56).toImage());

    // Double-clicking a sample hands it on in pixel values, with its place and label.
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy chosen(&panel, &DatasetPanel::sampleChosen);
    const int sandal = int(labels.indexOf(QStringLiteral("Sandal")));
    samples->scrollToItem(samples->item(sandal));
    const QPoint centre = samples->visualItemRect(samples->item(sandal)).center();
    QTest::mouseClick(samples->viewport(), Qt::LeftButton, {}, centre);
    QTest::mouseDClick(samples->viewport(), Qt::LeftButton, {}, centre);
    QCOMPARE(chosen.count(), 1);
    const auto sample = chosen.at(0).at(0).value<Tensor>();
    QCOMPARE(sample.shape(), (Shape{1, 1, 28, 28}));
    const std::vector<float> pixels = sample.toVector();
    QVERIFY(*std::max_element(pixels.begin(), pixels.end()) > 100);
    QVERIFY(!chosen.at(0).at(1).value<QImage>().isNull());
    QVERIFY2(chosen.at(0).at(2).toString().endsWith(QStringLiteral("(Sandal)")),
             qPrintable(chosen.at(0).at(2).toString()));
    auto* summary = panel.findChild<QLabel*>(QStringLiteral("dataSummary"));
    QVERIFY2(summary->text().contains(QStringLiteral("(1, 28, 28)")), qPrintable(summary->text()));
    QVERIFY(summary->text().contains(QStringLiteral("10 classes")));
    QVERIFY(panel.findChild<QPlainTextEdit*>(QStringLiteral("skippedFiles"))->isHidden());
}

void TestDatasetPanel::reportsSkippedImageFiles() {
    QTemporaryDir dir;
    for (const QString& name : {QStringLiteral("cat"), QStringLiteral("dog")}) {
        QVERIFY(QDir(dir.path()).mkpath(name));
        for (int i = 0; i < 3; ++i) {
            QImage image(20, 16, QImage::Format_RGB32);
            image.fill(name == "cat" ? Qt::darkYellow : Qt::darkBlue);
            QVERIFY(image.save(dir.filePath(QStringLiteral("%1/%2.png").arg(name).arg(i))));
        }
    }
    QFile broken(dir.filePath(QStringLiteral("dog/broken.png")));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("not a picture");
    broken.close();
    DatasetPanel panel;
    panel.setDataSection({{"source", "folder:" + dir.path().toStdString()}, {"size", {16, 16}}});
    QVERIFY(load(panel));
    auto* counts = panel.findChild<QTableWidget*>(QStringLiteral("classCounts"));
    QCOMPARE(column(counts, 0), QStringList({"cat", "dog"}));
    QCOMPARE(column(counts, 1), QStringList({"3", "3"}));
    auto* skipped = panel.findChild<QPlainTextEdit*>(QStringLiteral("skippedFiles"));
    QVERIFY(!skipped->isHidden());
    QVERIFY2(skipped->toPlainText().contains(QStringLiteral("broken.png")),
             qPrintable(skipped->toPlainText()));
    QCOMPARE(panel.findChild<QListWidget*>(QStringLiteral("samples"))->count(), 6);
}

void TestDatasetPanel::reportsASourceThatCannotBeRead() {
    DatasetPanel panel;
    panel.setDataSection({{"source", "csv:/no/such/data.csv"}});
    QSignalSpy failed(&panel, &DatasetPanel::loadFailed);
    panel.loadPreview();
    QVERIFY(failed.wait(10000));
    QVERIFY(failed[0][0].toString().contains(QStringLiteral("/no/such/data.csv")));
    auto* summary = panel.findChild<QLabel*>(QStringLiteral("dataSummary"));
    QVERIFY(summary->text().contains(QStringLiteral("/no/such/data.csv")));
}

void TestDatasetPanel::dataSectionRoundTrips_data() {
    QTest::addColumn<QString>("section");
    QTest::newRow("fashion-mnist") << R"({"source": "fashion-mnist", "normalization": "divide_255",
               "validation_split": 0.25, "split_seed": 12345})";
    QTest::newRow("idx") << R"({"source": "idx:/d/images,/d/labels", "normalization": "none",
                                "validation_split": 0.0, "test_split": 0.1, "split_seed": 7})";
    QTest::newRow("folder")
        << R"({"source": "folder:/photos", "normalization": "mean_std", "validation_split": 0.25,
               "test_split": 0.0, "split_seed": 12345, "labels": "prefix", "size": [32, 48],
               "grayscale": true, "resize": "crop",
               "augmentation": {"horizontal_flip": true, "rotation_range": 15.0}})";
    QTest::newRow("csv") << R"({"source": "csv:/d/iris.csv", "normalization": "none",
                               "validation_split": 0.2, "test_split": 0.2, "split_seed": 1,
                               "label_column": "species", "regression": false})";
}

void TestDatasetPanel::dataSectionRoundTrips() {
    QFETCH(QString, section);
    const nlohmann::json json = nlohmann::json::parse(section.toStdString());
    DatasetPanel panel;
    QSignalSpy changed(&panel, &DatasetPanel::dataSectionChanged);
    panel.setDataSection(json);
    QCOMPARE(changed.count(), 0);  // showing a project is no edit
    QCOMPARE(QString::fromStdString(panel.dataSection().dump()),
             QString::fromStdString(json.dump()));
}

/// Settings the panel shows no field for survive an edit of one it shows.
void TestDatasetPanel::keepsSettingsItHasNoFieldFor() {
    DatasetPanel panel;
    panel.setDataSection({{"source", "folder:/photos"},
                          {"labels", "prefix"},
                          {"max_image_pixels", 1000000},
                          {"large_images", "refuse"}});
    auto* source = panel.findChild<QComboBox*>(QStringLiteral("dataSource"));
    QVERIFY(source);
    source->setCurrentIndex(3);  // a CSV file now: the folder's settings go, the others stay
    const nlohmann::json section = panel.dataSection();
    QCOMPARE(section.value("max_image_pixels", 0), 1000000);
    QCOMPARE(section.value("large_images", ""), std::string("refuse"));
    QVERIFY(!section.contains("labels"));
}

QTEST_MAIN(TestDatasetPanel)
#include "TestDatasetPanel.moc"
