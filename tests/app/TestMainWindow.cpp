#include "LayerPalette.h"
#include "MainWindow.h"

#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QTemporaryDir>
#include <QTest>

using namespace loom;

/// The main window end to end: it opens the example projects and shows their summaries, and a
/// bad project gives a message box, never a crash.
class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void showsThePaletteOnTheLeft();
    void opensExample_data();
    void opensExample();
    void opensEveryExample_data();
    void opensEveryExample();
    void reportsBadProject_data();
    void reportsBadProject();

private:
    static QString example(const QString& name);
    static QString summaryOf(const MainWindow& window);
};

QString TestMainWindow::example(const QString& name) {
    return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
}

QString TestMainWindow::summaryOf(const MainWindow& window) {
    auto* summary = window.findChild<QPlainTextEdit*>(QStringLiteral("modelSummary"));
    return summary ? summary->toPlainText() : QString();
}

void TestMainWindow::showsThePaletteOnTheLeft() {
    MainWindow window;
    QCOMPARE(window.windowTitle(), QStringLiteral("Loom"));
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("layerDock"));
    QVERIFY(dock);
    QCOMPARE(window.dockWidgetArea(dock), Qt::LeftDockWidgetArea);
    auto* palette = qobject_cast<LayerPalette*>(dock->widget());
    QVERIFY(palette);
    QVERIFY(palette->topLevelItemCount() > 0);
}

void TestMainWindow::opensExample_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("total");
    // The totals Keras prints for the same networks.
    QTest::newRow("W1 softmax") << "w1_softmax.json"
                                << "Total params: 7,850";
    QTest::newRow("W2 MLP") << "w2_mlp.json"
                            << "Total params: 2,656,130";
    QTest::newRow("W4 CNN") << "w4_cnn.json"
                            << "Total params: 1,199,882";
}

void TestMainWindow::opensExample() {
    QFETCH(QString, file);
    QFETCH(QString, total);
    MainWindow window;
    QVERIFY(window.openProject(example(file)));
    QVERIFY2(summaryOf(window).contains(total), qPrintable(summaryOf(window)));
    QVERIFY(window.windowTitle().startsWith(file));
    QVERIFY(!window.findChild<QMessageBox*>());
}

void TestMainWindow::opensEveryExample_data() {
    QTest::addColumn<QString>("file");
    const QStringList files =
        QDir(example(QString())).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    QVERIFY(!files.isEmpty());
    for (const QString& file : files) {
        QTest::newRow(qPrintable(file)) << file;
    }
}

void TestMainWindow::opensEveryExample() {
    QFETCH(QString, file);
    MainWindow window;
    QVERIFY(window.openProject(example(file)));
    QVERIFY(summaryOf(window).contains(QStringLiteral("Total params: ")));
}

void TestMainWindow::reportsBadProject_data() {
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("reason");
    const QByteArray head = R"({"format": "loom-graph", "version": 1, "layers": [)";
    QTest::newRow("missing file") << QByteArray() << "No such file";
    QTest::newRow("not JSON") << QByteArray("{\"format\": ") << "parse error";
    QTest::newRow("unknown layer type")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "x", "type": "Dense2", "inputs": ["input"]}]})"
        << "'Dense2'";
    QTest::newRow("incompatible shapes")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "conv", "type": "Conv2D",
                      "params": {"filters": 2, "kernel_size": [3, 3]},
                      "inputs": ["input"]}]})"
        << "'conv'";
    QTest::newRow("dangling input")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "d", "type": "Dense", "params": {"units": 2},
                      "inputs": ["nowhere"]}]})"
        << "'nowhere'";
    QTest::newRow("negative size")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "d", "type": "Dense", "params": {"units": -2},
                      "inputs": ["input"]}]})"
        << "'units'";
}

void TestMainWindow::reportsBadProject() {
    QFETCH(QByteArray, contents);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.json"));
    if (!contents.isEmpty()) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }
    MainWindow window;
    QVERIFY(window.openProject(example(QStringLiteral("w2_mlp.json"))));
    QVERIFY(!window.openProject(path));

    auto* box = window.findChild<QMessageBox*>(QStringLiteral("errorBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY2(box->text().contains(reason.toHtmlEscaped()), qPrintable(box->text()));
    // The project that was open stays open.
    QVERIFY(summaryOf(window).contains(QStringLiteral("Total params: 2,656,130")));
    QVERIFY(window.windowTitle().startsWith(QStringLiteral("w2_mlp.json")));
}

QTEST_MAIN(TestMainWindow)
#include "TestMainWindow.moc"
