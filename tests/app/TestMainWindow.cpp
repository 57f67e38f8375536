#include "DreamStudio.h"
#include "ExperimentDialog.h"
#include "LayerPalette.h"
#include "MainWindow.h"
#include "ModelSummaryView.h"
#include "NetworkCanvas.h"
#include "NodeItem.h"
#include "ProjectDocument.h"
#include "PropertyEditor.h"
#include "RunsTable.h"
#include "StyleStudio.h"
#include "TrainingChart.h"
#include "TrainingController.h"
#include "TrainingPage.h"

#include <loom/ArtModel.h>

#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace loom;

/// The main window end to end: it opens the example projects onto the canvas and shows their
/// summaries; a file that cannot be read gives a message box, never a crash, and a graph whose
/// layers do not fit together opens with those layers marked; a project trained from the window
/// saves and reopens with its graph, settings, run history and weights.
class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void showsThePaletteOnTheLeft();
    void showsCanvasPropertiesAndSummary();
    void opensExample_data();
    void opensExample();
    void opensEveryExample_data();
    void opensEveryExample();
    void reportsBadProject_data();
    void reportsBadProject();
    void marksBadLayersOfAnOpenedGraph_data();
    void marksBadLayersOfAnOpenedGraph();
    void trainsSavesAndReopens();
    void opensArtExamplesInTheirTabs();
    void saysBeforeARunWhenSavesWillFail();
    void comparesThreeOptimizersInOneExperiment();
    void stopsAnExperimentInItsSecondTrial();

private:
    static QString example(const QString& name);
    static QString summaryOf(const MainWindow& window);
    /// Opens the three-optimizer comparison on a few thousand samples, for `epochs` epochs.
    static bool openOptimizerComparison(MainWindow& window, int epochs);
};

QString TestMainWindow::example(const QString& name) {
    return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
}

QString TestMainWindow::summaryOf(const MainWindow& window) {
    auto* summary = window.findChild<ModelSummaryView*>(QStringLiteral("modelSummary"));
    return summary ? summary->totalsText() : QString();
}

void TestMainWindow::showsThePaletteOnTheLeft() {
    MainWindow window;
    QCOMPARE(window.windowTitle(), QStringLiteral("Loom"));
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("layerDock"));
    QVERIFY(dock);
    QCOMPARE(window.dockWidgetArea(dock), Qt::LeftDockWidgetArea);
    auto* palette = dock->findChild<LayerPalette*>();
    QVERIFY(palette);
    QVERIFY(palette->topLevelItemCount() > 0);
}

void TestMainWindow::showsCanvasPropertiesAndSummary() {
    MainWindow window;
    QCOMPARE(window.tabs()->currentWidget(), window.canvas()->parentWidget());
    auto* properties = window.findChild<QDockWidget*>(QStringLiteral("propertyDock"));
    QVERIFY(properties && qobject_cast<PropertyEditor*>(properties->widget()));
    QCOMPARE(window.dockWidgetArea(properties), Qt::RightDockWidgetArea);
    auto* summary = window.findChild<QDockWidget*>(QStringLiteral("summaryDock"));
    QVERIFY(summary && qobject_cast<ModelSummaryView*>(summary->widget()));

    // A palette double-click adds the layer; selecting it shows its form; Undo removes it.
    QVERIFY(window.openProject(example(QStringLiteral("w1_softmax.json"))));
    auto* palette = window.findChild<LayerPalette*>();
    emit palette->kindActivated(QStringLiteral("Dropout"));
    QVERIFY(window.canvas()->nodeItem(QStringLiteral("dropout")));
    auto* editor = qobject_cast<PropertyEditor*>(properties->widget());
    QCOMPARE(editor->layer(), QStringLiteral("dropout"));
    QVERIFY(window.isWindowModified());
    QAction* undo = nullptr;
    for (QAction* action : window.findChildren<QAction*>()) {
        if (action->shortcut() == QKeySequence(QKeySequence::Undo)) {
            undo = action;
        }
    }
    QVERIFY(undo);
    undo->trigger();
    QVERIFY(!window.canvas()->nodeItem(QStringLiteral("dropout")));
    QVERIFY(!window.isWindowModified());
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
    // An example opens untitled, named after its file, so saving asks for a project name.
    QVERIFY(window.windowTitle().startsWith(QFileInfo(file).completeBaseName()));
    QVERIFY(window.document().path().isEmpty());
    QVERIFY(!window.findChild<QMessageBox*>());
}

void TestMainWindow::opensEveryExample_data() {
    QTest::addColumn<QString>("file");
    const QStringList files =
        QDir(example(QString())).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    QVERIFY(!files.isEmpty());
    for (const QString& file : files) {
        if (!file.endsWith(QStringLiteral(".art.json"))) {
            QTest::newRow(qPrintable(file)) << file;
        }
    }
}

void TestMainWindow::opensEveryExample() {
    QFETCH(QString, file);
    QFile text(example(file));
    QVERIFY(text.open(QIODevice::ReadOnly));
    const QJsonObject transfer =
        QJsonDocument::fromJson(text.readAll()).object()[QStringLiteral("transfer")].toObject();
    const QString base = transfer[QStringLiteral("base")].toString();
    if (!base.isEmpty() &&
        !QFile::exists(QString::fromStdString(loom::pretrainedFolder()) + "/" + base)) {
        QSKIP(qPrintable(base + " is not fetched (node examples/fetch_pretrained.js)"));
    }
    MainWindow window;
    QVERIFY(window.openProject(example(file)));
    QVERIFY(summaryOf(window).contains(QStringLiteral("Total params: ")));
}

void TestMainWindow::reportsBadProject_data() {
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("reason");
    const QByteArray head = R"({"format": "loom-graph", "version": 1, "layers": [)";
    QTest::newRow("missing file") << QByteArray() << "No such file";
    QTest::newRow("not JSON") << QByteArray("{\"format\": ") << "not valid JSON";
    QTest::newRow("unknown layer type")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "x", "type": "Dense2", "inputs": ["input"]}]})"
        << "'Dense2'";
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
    QVERIFY(window.windowTitle().startsWith(QStringLiteral("w2_mlp")));
}

void TestMainWindow::marksBadLayersOfAnOpenedGraph_data() {
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("layer");
    QTest::addColumn<QString>("reason");
    const QByteArray head = R"({"format": "loom-graph", "version": 1, "layers": [)";
    QTest::newRow("incompatible shapes")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "conv", "type": "Conv2D",
                      "params": {"filters": 2, "kernel_size": [3, 3]},
                      "inputs": ["input"]}]})"
        << "conv"
        << "image";
    QTest::newRow("dangling input")
        << head + R"({"name": "input", "type": "Input", "params": {"shape": [4]}},
                     {"name": "d", "type": "Dense", "params": {"units": 2},
                      "inputs": ["nowhere"]}]})"
        << "d"
        << "'nowhere'";
}

void TestMainWindow::marksBadLayersOfAnOpenedGraph() {
    QFETCH(QByteArray, contents);
    QFETCH(QString, layer);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("half-built.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(contents);
    file.close();
    MainWindow window;
    QVERIFY(window.openProject(path));
    QVERIFY(!window.findChild<QMessageBox*>());
    NodeItem* node = window.canvas()->nodeItem(layer);
    QVERIFY(node);
    QVERIFY(!node->isValid());
    QVERIFY2(node->toolTip().contains(reason.toHtmlEscaped()), qPrintable(node->toolTip()));
    QVERIFY(window.canvas()->nodeItem(QStringLiteral("input"))->isValid());
}

void TestMainWindow::trainsSavesAndReopens() {
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    QTemporaryDir dir;
    MainWindow window;
    QVERIFY(window.openProject(example(QStringLiteral("w1_softmax.json"))));
    ProjectDocument& document = window.document();
    TrainingConfig training = document.project().training;
    training.epochs = 1;
    training.device = "cpu";
    document.setTraining(training, QStringLiteral("epochs"));

    TrainingController& controller = window.trainingPage()->controller();
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    auto* train = window.trainingPage()->findChild<QPushButton*>(QStringLiteral("trainButton"));
    QVERIFY(train && train->text().contains(QStringLiteral("Train")));
    train->click();
    QCOMPARE(window.tabs()->currentWidget(), window.trainingPage());
    // The run trains its own snapshot: the canvas stays editable and says so.
    QVERIFY(window.canvas()->isInteractive());
    auto* notice = window.findChild<QLabel*>(QStringLiteral("runningNotice"));
    QVERIFY(notice && !notice->isHidden());
    QVERIFY(recorded.wait(120000));
    QVERIFY(notice->isHidden());
    TrainingChart* chart = window.trainingPage()->chart();
    QCOMPARE(chart->runCount(), 1);
    QCOMPARE(chart->batchCount(0), 1875);  // 60,000 samples in batches of 32
    const RunRecord& run = document.project().runs.at(0);
    QVERIFY2(run.epochs.at(0).accuracy > 0.6, qPrintable(QString::number(run.epochs[0].accuracy)));
    QVERIFY(window.isWindowModified());

    const QString path = dir.filePath(QStringLiteral("w1.loom"));
    QVERIFY(window.saveProjectAs(path));
    QVERIFY(!window.isWindowModified());
    const nlohmann::json graph = document.project().graph.toJson();
    const std::vector<float> kernel =
        document.project().graph.nodes().back().layer->parameters().front().value.toVector();

    MainWindow reopened;
    QVERIFY(reopened.openProject(path));
    const Project& project = reopened.document().project();
    QVERIFY2(project.graph.toJson() == graph, project.graph.toJson().dump().c_str());
    QVERIFY(project.training.toJson() == document.project().training.toJson());
    QCOMPARE(project.runs.size(), size_t(1));
    QCOMPARE(project.runs[0].batches.size(), size_t(1875));
    QCOMPARE(reopened.trainingPage()->chart()->runCount(), 1);
    QCOMPARE(reopened.trainingPage()->runsTable()->rowCount(), 1);
    QVERIFY(project.hasWeights);
    QCOMPARE(project.graph.nodes().back().layer->parameters().front().value.toVector(), kernel);
}

void TestMainWindow::opensArtExamplesInTheirTabs() {
    if (qEnvironmentVariableIsEmpty("LOOM_PHOTOS_DIR") &&
        !QFile::exists(QStringLiteral("/usr/lib/python3/dist-packages/skimage/data/ihc.png"))) {
        QSKIP("no scikit-image photos (scripts/fetch-test-data.sh sets LOOM_PHOTOS_DIR)");
    }
    MainWindow window;
    QVERIFY(window.openArtExample(example(QStringLiteral("w6_deep_dream.art.json"))));
    QCOMPARE(window.tabs()->currentWidget()->objectName(), QStringLiteral("dream"));
    auto* dream = window.findChild<DreamStudio*>();
    QVERIFY(dream);
    QVERIFY(QString::fromStdString(dream->settingsJson().value("image", std::string()))
                .endsWith(QStringLiteral("chelsea.png")));
    QCOMPARE(dream->settingsJson().value("octaves", 0), 3);

    QVERIFY(window.openArtExample(example(QStringLiteral("w5_style_transfer.art.json"))));
    QCOMPARE(window.tabs()->currentWidget()->objectName(), QStringLiteral("style"));
    auto* style = window.findChild<StyleStudio*>();
    QVERIFY(style);
    QVERIFY(QString::fromStdString(style->settingsJson().value("style_image", std::string()))
                .endsWith(QStringLiteral("ihc.png")));
    QVERIFY(!window.findChild<QMessageBox*>());

    QVERIFY(!window.openArtExample(example(QStringLiteral("missing.art.json"))));
    QVERIFY(window.findChild<QMessageBox*>(QStringLiteral("errorBox")));
}

/// The project's folder went away (a USB stick pulled, a folder renamed): said when Train is
/// pressed, not at the first save after the run.
void TestMainWindow::saysBeforeARunWhenSavesWillFail() {
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("stick")));
    MainWindow window;
    QVERIFY(window.openProject(example(QStringLiteral("w1_softmax.json"))));
    QVERIFY(window.saveProjectAs(dir.filePath(QStringLiteral("stick/w1.loom"))));
    QVERIFY(QDir(dir.filePath(QStringLiteral("stick"))).removeRecursively());
    QAction* train = nullptr;
    for (QAction* action : window.findChildren<QAction*>()) {
        train = action->shortcut() == QKeySequence(Qt::Key_F5) ? action : train;
    }
    QVERIFY(train);
    train->trigger();
    TrainingController& controller = window.trainingPage()->controller();
    QCOMPARE(controller.state(), TrainingController::State::Running);
    controller.stopAndWait();
    const QString log = window.findChild<QPlainTextEdit*>(QStringLiteral("log"))->toPlainText();
    QVERIFY2(
        log.contains(QStringLiteral("does not exist")) && log.contains(QStringLiteral("Save As")),
        qPrintable(log));
    window.document().undoStack().setClean();
}

bool TestMainWindow::openOptimizerComparison(MainWindow& window, int epochs) {
    if (!window.openProject(example(QStringLiteral("w2_optimizers.json")))) {
        return false;
    }
    ProjectDocument& document = window.document();
    nlohmann::json data = document.project().data;
    data["train_samples"] = 3000;
    document.setData(data);
    TrainingConfig training = document.project().training;
    training.epochs = epochs;
    training.device = "cpu";
    document.setTraining(training, QStringLiteral("epochs"));
    return true;
}

void TestMainWindow::comparesThreeOptimizersInOneExperiment() {
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    MainWindow window;
    QVERIFY(openOptimizerComparison(window, 2));
    ProjectDocument& document = window.document();
    TrainingPage* page = window.trainingPage();
    TrainingController& controller = page->controller();
    // The dialog starts as the example's experiment: the three optimizers, three trials.
    ExperimentDialog dialog(document.project().experiment);
    QCOMPARE(dialog.summary()->text(), QStringLiteral("3 trial(s), one after another"));
    QSignalSpy finished(&controller, &TrainingController::experimentFinished);
    QSignalSpy trials(&controller, &TrainingController::trialEnded);
    QVERIFY(page->startExperiment(dialog.plan()));
    QVERIFY(finished.wait(180000));

    QCOMPARE(trials.size(), 3);
    QCOMPARE(page->chart()->runCount(), 3);
    RunsTable* table = page->runsTable();
    QCOMPARE(table->rowCount(), 3);
    const std::vector<RunRecord>& runs = document.project().runs;
    QCOMPARE(runs.size(), size_t(3));
    QStringList names;
    for (const RunRecord& run : runs) {
        names << QString::fromStdString(run.name);
        QCOMPARE(run.epochs.size(), size_t(2));
        QVERIFY(run.epochs.back().validationAccuracy > 0.3);  // every one learnt something
    }
    QVERIFY2(names[0].startsWith("sgd") && names[1].startsWith("rmsprop") &&
                 names[2].startsWith("adagrad"),
             qPrintable(names.join(" | ")));
    // The best by validation accuracy is starred, and sorting by it puts it on top.
    const std::optional<int> best = controller.bestTrialRun();
    QVERIFY(best.has_value());
    for (const RunRecord& run : runs) {
        QVERIFY(run.epochs.back().validationAccuracy <=
                runs[size_t(*best)].epochs.back().validationAccuracy);
    }
    QVERIFY(table->item(0, RunsTable::Name)->text().contains(QStringLiteral("sgd")));  // in order
    table->sortItems(RunsTable::ValidationAccuracy, Qt::DescendingOrder);
    QVERIFY(table->item(0, RunsTable::Name)->text().startsWith(QStringLiteral("★")));
    QCOMPARE(table->rowOf(*best), 0);
    QVERIFY(document.project().experiment.contains("vary"));

    // Keep best: the project trains on with the best trial's optimizer and weights.
    auto* keepBest = page->findChild<QPushButton*>(QStringLiteral("keepBestButton"));
    QVERIFY(keepBest && keepBest->isEnabled());
    keepBest->click();
    const TrainingConfig kept = TrainingConfig::fromJson(runs[size_t(*best)].training);
    QCOMPARE(document.project().training.optimizer, kept.optimizer);
    QVERIFY(document.project().hasWeights);
    QVERIFY(!keepBest->isEnabled());
    QVERIFY(window.isWindowModified());
    QCOMPARE(document.undoStack().count(), 0);  // nothing to undo into a mix of settings

    // A second experiment counts on: its trial is named apart from the first's.
    ExperimentPlan again;
    again.axes = {parseVary("optimizer=sgd")};
    QVERIFY(page->startExperiment(again));
    QVERIFY(finished.wait(180000));
    QCOMPARE(runs.size(), size_t(4));
    QCOMPARE(runs[3].experiment.at("name").get<std::string>(), std::string("Experiment 2"));
    QVERIFY2(runs[3].name != runs[0].name, runs[3].name.c_str());
    QCOMPARE(controller.bestTrialRun(), std::optional<int>(3));
}

void TestMainWindow::stopsAnExperimentInItsSecondTrial() {
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    MainWindow window;
    QVERIFY(openOptimizerComparison(window, 3));
    TrainingPage* page = window.trainingPage();
    TrainingController& controller = page->controller();
    QSignalSpy finished(&controller, &TrainingController::experimentFinished);
    // A person presses Stop as the second trial's first batches come in.
    connect(&controller, &TrainingController::batchesReported, this,
            [&](int run, const std::vector<BatchProgress>&) {
                if (run == 1) {
                    controller.stop();
                }
            });
    QVERIFY(page->startExperiment(ExperimentDialog(window.document().project().experiment).plan()));
    QVERIFY(finished.wait(180000));
    const std::vector<RunRecord>& runs = window.document().project().runs;
    QCOMPARE(runs.size(), size_t(2));  // no third trial
    QCOMPARE(runs[0].finished.reason, RunFinished::Reason::Completed);
    QCOMPARE(runs[1].finished.reason, RunFinished::Reason::Stopped);
    QVERIFY(runs[1].epochs.size() < 2);
    QCOMPARE(page->chart()->runCount(), 2);
    QCOMPARE(controller.state(), TrainingController::State::Idle);
    // The window goes on: the next run trains.
    auto* train = page->findChild<QPushButton*>(QStringLiteral("trainButton"));
    QVERIFY(train->isEnabled());
}

QTEST_MAIN(TestMainWindow)
#include "TestMainWindow.moc"
