#include "Autosave.h"
#include "LayerPalette.h"
#include "MainWindow.h"
#include "NetworkCanvas.h"
#include "NetworkChecksView.h"
#include "NetworkModel.h"
#include "NodeItem.h"
#include "ProjectDocument.h"
#include "TrainingController.h"
#include "TrainingPage.h"

#include <loom/ModelFile.h>
#include <loom/Project.h>

#include <QAbstractButton>
#include <QApplication>
#include <QDateTime>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QMap>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QUndoStack>

#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <memory>
#include <random>

using namespace loom;

namespace {

QString example(const QString& name) {
    return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
}

/// An action's text as a person reads it: without mnemonics and the trailing "...".
QString plainText(const QAction* action) {
    QString text = action->text().remove('&');
    return text.endsWith(QStringLiteral("...")) ? text.chopped(3) : text;
}

/// The window's action (in any menu) named `text`, or whose name starts with it ("Undo" finds
/// "Undo Add dense").
QAction* findAction(QWidget& window, const QString& text, bool prefix = false) {
    for (QAction* action : window.findChildren<QAction*>()) {
        if (action->menu() == nullptr &&
            (prefix ? plainText(action).startsWith(text) : plainText(action) == text)) {
            return action;
        }
    }
    return nullptr;
}

/// When each file under folder was last written.
QMap<QString, QDateTime> writtenFiles(const QString& folder) {
    QMap<QString, QDateTime> files;
    QDirIterator it(folder, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo file(it.next());
        if (!file.fileName().startsWith('.')) {
            files[file.filePath()] = file.lastModified();
        }
    }
    return files;
}

/// Runs `work` on another thread while the window's event loop goes on, and returns its result:
/// the test's own checking of the files it wrote is not the window's time, and does not count
/// as a stall of its event loop.
template <typename Work>
auto offTheWindowsThread(Work work) {
    std::future<decltype(work())> result = std::async(std::launch::async, std::move(work));
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        QTest::qWait(2);
    }
    return result.get();
}

/// Answers every dialog that opens while a test runs, at random as a person might: message
/// boxes get one of their buttons, file dialogs a file in the test's folder (or Cancel).
class DialogAnswerer : public QObject {
public:
    DialogAnswerer(std::mt19937& random, const QTemporaryDir& folder)
        : m_random(random), m_folder(folder) {
        connect(&m_timer, &QTimer::timeout, this, &DialogAnswerer::answer);
        m_clock.start();
        m_timer.start(5);
    }
    int answered() const { return m_answered; }

private:
    void answer() {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            // A queued answer takes effect on the next pass; a dialog still open long after
            // (a file dialog whose "overwrite?" got No) is answered again.
            const QVariant answeredAt = widget->property("answeredAt");
            if (!widget->isVisible() ||
                (answeredAt.isValid() && m_clock.elapsed() - answeredAt.toLongLong() < 300)) {
                continue;
            }
            widget->setProperty("answeredAt", m_clock.elapsed());
            if (auto* box = qobject_cast<QMessageBox*>(widget)) {
                answerBox(*box);
            } else if (auto* files = qobject_cast<QFileDialog*>(widget)) {
                answerFiles(*files);
            }
        }
    }
    void answerBox(QMessageBox& box) {
        const QList<QAbstractButton*> buttons = box.buttons();
        if (!buttons.isEmpty()) {
            ++m_answered;
            // Queued: an answer may open the next dialog, which this timer must answer too.
            QTimer::singleShot(0, buttons[int(m_random() % buttons.size())],
                               &QAbstractButton::click);
        }
    }
    void answerFiles(QFileDialog& files) {
        ++m_answered;
        if (m_random() % 4 == 0 || files.acceptMode() == QFileDialog::AcceptOpen) {
            // Opening goes through the examples and recent files instead.
            QTimer::singleShot(0, &files, &QDialog::reject);
            return;
        }
        const bool tfjs = files.selectedNameFilter().contains(QStringLiteral("model.json"));
        const QString name = tfjs ? QStringLiteral("tfjs%1/model.json")
                                  : QStringLiteral("saved%1.") + suffixOf(files);
        const QString path = m_folder.filePath(name.arg(m_random() % 5));
        QDir().mkpath(QFileInfo(path).path());
        files.selectFile(path);
        QTimer::singleShot(0, &files, [&files] { static_cast<QDialog&>(files).accept(); });
    }
    static QString suffixOf(const QFileDialog& files) {
        const QString filter = files.selectedNameFilter();
        for (const char* suffix : {"h5", "onnx", "loom"}) {
            if (filter.contains(QStringLiteral("*.") + suffix)) {
                return suffix;
            }
        }
        return QStringLiteral("loom");
    }

    std::mt19937& m_random;
    const QTemporaryDir& m_folder;
    QTimer m_timer;
    QElapsedTimer m_clock;
    int m_answered = 0;
};

}  // namespace

/// A working day compressed: while a network trains, a person presses everything the window
/// offers in random order (New, Open, Undo, Save, Export, Stop, Train, Quit, ...) and answers
/// the questions at random. Nothing may crash, every file saved meanwhile must load and hold
/// what the document held, and a run's weights and the edits made during it both end up in
/// the document.
class TestUserSession : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void survivesRandomActionsWhileTraining_data();
    void survivesRandomActionsWhileTraining();
    void keepsEditsMadeDuringTheRun();
    void savesTheRunSoFar();
    void trainsANetworkBuiltFromNothing();

private:
    struct Session;
    struct SavedProject;
    static bool openExample(MainWindow& window, const QString& file, int epochs);
    static void openW1(MainWindow& window, int epochs);
};

struct TestUserSession::Session {
    QString example;  // the network that trains: "w1_softmax.json" or "w4_cnn.json"
    std::mt19937 random;
    QTemporaryDir folder;
    std::unique_ptr<MainWindow> window;
    int filesChecked = 0;
    int windowsClosed = 0;
    int lastAction = -1;
    int actionsWhileTraining = 0;

    void act();
    void keepTraining();
    void openNewWindow();
    void trigger(const QString& text, bool prefix = false);
    /// Every file the last action wrote loads; the project the document is saved as holds what
    /// the document holds, plus the run in progress.
    void checkWritten(const QMap<QString, QDateTime>& before);
    void checkProject(const QString& path);
};

/// What a project file holds that the test compares with the document, read off the window's
/// thread.
struct TestUserSession::SavedProject {
    nlohmann::json graph, training, data;
    size_t runs = 0;
    QString nonFiniteWeight;  // the first parameter with a NaN or infinity, if any

    static SavedProject read(const QString& path) {
        const Project saved = loadProject(QFile::encodeName(path).toStdString());
        SavedProject read{saved.graph.toJson(), saved.training.toJson(), saved.data,
                          saved.runs.size(), QString()};
        for (const auto& [name, parameter] : const_cast<Graph&>(saved.graph).parameters()) {
            for (float v : saved.hasWeights ? parameter->value.toVector() : std::vector<float>()) {
                if (!std::isfinite(v) && read.nonFiniteWeight.isEmpty()) {
                    read.nonFiniteWeight = QString::fromStdString(name);
                }
            }
        }
        return read;
    }
};

void TestUserSession::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // autosave and recent files in a test location
    qRegisterMetaType<RunRecord>();
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
}

/// Opens an example to train `epochs` on the CPU; false when the open was cancelled (the
/// unsaved-changes question answered Cancel).
bool TestUserSession::openExample(MainWindow& window, const QString& file, int epochs) {
    if (!window.openProject(example(file))) {
        return false;
    }
    TrainingConfig training = window.document().project().training;
    training.epochs = epochs;
    training.device = "cpu";
    window.document().setTraining(training, QStringLiteral("epochs"));
    return true;
}

void TestUserSession::openW1(MainWindow& window, int epochs) {
    QVERIFY(openExample(window, QStringLiteral("w1_softmax.json"), epochs));
}

void TestUserSession::Session::openNewWindow() {
    window = std::make_unique<MainWindow>();
    window->show();
    QVERIFY(openExample(*window, example, 20));
    window->trainingPage()->controller().train();
}

/// A person whose run ended mostly starts another, on the network at hand or, when that one
/// cannot train (after New, say), on the session's example: so most actions happen while a
/// network trains.
void TestUserSession::Session::keepTraining() {
    const TrainingController& controller = window->trainingPage()->controller();
    if (controller.state() != TrainingController::State::Idle || random() % 4 == 0) {
        return;
    }
    trigger(QStringLiteral("Train"));
    if (controller.state() == TrainingController::State::Idle &&
        openExample(*window, example, 20)) {
        trigger(QStringLiteral("Train"));
    }
}

void TestUserSession::Session::trigger(const QString& text, bool prefix) {
    if (QAction* action = findAction(*window, text, prefix); action && action->isEnabled()) {
        action->trigger();
    }
}

void TestUserSession::Session::checkWritten(const QMap<QString, QDateTime>& before) {
    const QMap<QString, QDateTime> after = writtenFiles(folder.path());
    for (auto file = after.begin(); file != after.end(); ++file) {
        if (before.value(file.key()) == file.value()) {
            continue;
        }
        ++filesChecked;
        const std::string path = QFile::encodeName(file.key()).toStdString();
        if (file.key().endsWith(QStringLiteral(".loom"))) {
            checkProject(file.key());
        } else if (!file.key().endsWith(QStringLiteral(".bin"))) {
            QVERIFY(
                offTheWindowsThread([path] { return !readModelFile(path).graph.nodes().empty(); }));
        }
    }
}

void TestUserSession::Session::checkProject(const QString& path) {
    if (path != window->document().path() &&
        path != window->findChild<Autosave*>()->recoveryPath()) {
        return;  // written by a window that closed since, or saved as another name before
    }
    // What the document holds now, before the event loop goes on (a run may end meanwhile).
    const Project& project = window->document().project();
    const bool running =
        window->trainingPage()->controller().state() != TrainingController::State::Idle;
    const SavedProject held{project.graph.toJson(), project.training.toJson(), project.data,
                            project.runs.size() + (running ? 1 : 0), QString()};
    const SavedProject saved = offTheWindowsThread([path] { return SavedProject::read(path); });
    QVERIFY2(saved.graph == held.graph,
             qPrintable(path + ": " + QString::fromStdString(saved.graph.dump()) +
                        " but the document holds " + QString::fromStdString(held.graph.dump())));
    QVERIFY(saved.training == held.training);
    QVERIFY(saved.data == held.data);
    QCOMPARE(saved.runs, held.runs);
    QVERIFY2(saved.nonFiniteWeight.isEmpty(), qPrintable(saved.nonFiniteWeight));
}

void TestUserSession::Session::act() {
    TrainingPage& page = *window->trainingPage();
    NetworkCanvas& canvas = *window->canvas();
    const QMap<QString, QDateTime> before = writtenFiles(folder.path());
    actionsWhileTraining += page.controller().state() != TrainingController::State::Idle;
    lastAction = int(random() % 24);
    switch (lastAction) {
        case 0:
            trigger(QStringLiteral("New"));
            break;
        case 1:
            trigger(random() % 2 ? QStringLiteral("w1_softmax") : QStringLiteral("w4_cnn"));
            break;
        case 2: {
            const QStringList saved = before.keys().filter(QStringLiteral(".loom"));
            if (!saved.isEmpty()) {
                trigger(QFileInfo(saved[int(random() % saved.size())]).fileName());
            }
            break;
        }
        case 3:
        case 4:
            trigger(QStringLiteral("Undo"), true);
            break;
        case 5:
            trigger(QStringLiteral("Redo"), true);
            break;
        case 6: {
            const auto& nodes = window->document().project().graph.nodes();
            if (!nodes.empty()) {
                canvas.selectLayers(
                    {QString::fromStdString(nodes[random() % nodes.size()].layer->name())});
            }
            break;
        }
        case 7:
            canvas.cutAction()->trigger();
            break;
        case 8:
            canvas.copyAction()->trigger();
            break;
        case 9:
            canvas.pasteAction()->trigger();
            break;
        case 10:
            canvas.deleteAction()->trigger();
            break;
        case 11: {
            auto* palette = window->findChild<LayerPalette*>();
            const QStringList kinds = {"Dense", "Dropout", "Flatten", "ReLU", "Input"};
            emit palette->kindActivated(kinds[int(random() % kinds.size())]);
            break;
        }
        case 12:
            trigger(QStringLiteral("Save"));
            break;
        case 13:
            trigger(QStringLiteral("Save As"));
            break;
        case 14: {
            const QStringList formats = {"Keras HDF5", "ONNX", "TensorFlow.js"};
            trigger(formats[int(random() % formats.size())], true);
            break;
        }
        case 15: {
            auto* autosave = window->findChild<Autosave*>();
            QVERIFY(autosave);
            if (autosave->saveNow() && QFileInfo::exists(autosave->recoveryPath())) {
                checkProject(autosave->recoveryPath());
            }
            break;
        }
        case 16:
            window->tabs()->setCurrentIndex(int(random() % 5));
            break;
        case 17: {
            auto* pause = page.findChild<QPushButton*>(QStringLiteral("pauseButton"));
            if (pause && pause->isEnabled()) {
                pause->click();
            }
            break;
        }
        case 18:
            page.controller().stop();
            break;
        case 19:
            trigger(QStringLiteral("Train"));
            break;
        case 20:
            page.controller().train(TrainingController::Start::FromScratch);
            break;
        case 21: {
            if (random() % 4 != 0 || !window->close()) {
                break;
            }
            ++windowsClosed;
            openNewWindow();
            break;
        }
        default:
            QTest::qWait(int(random() % 30));
            break;
    }
    checkWritten(before);
}

void TestUserSession::survivesRandomActionsWhileTraining_data() {
    QTest::addColumn<unsigned>("seed");
    QTest::addColumn<QString>("example");
    QTest::addColumn<int>("actions");
    for (unsigned seed : {1u, 2u, 3u}) {
        QTest::newRow(qPrintable(QStringLiteral("W1, seed %1").arg(seed)))
            << seed << QStringLiteral("w1_softmax.json") << 500;
    }
    // W4's batches keep both cores busy: the window has to stay responsive beside them.
    QTest::newRow("W4, seed 4") << 4u << QStringLiteral("w4_cnn.json") << 150;
}

void TestUserSession::survivesRandomActionsWhileTraining() {
    QFETCH(unsigned, seed);
    QFETCH(QString, example);
    QFETCH(int, actions);
    Session session;
    session.example = example;
    session.random.seed(seed);
    QVERIFY(session.folder.isValid());
    DialogAnswerer answerer(session.random, session.folder);
    session.openNewWindow();
    double longestStall = 0;
    for (int i = 0; i < actions; ++i) {
        session.act();
        if (QTest::currentTestFailed()) {
            qInfo("failed at action %d (kind %d)", i, session.lastAction);
            return;
        }
        session.keepTraining();
        QCoreApplication::processEvents();
        longestStall =
            std::max(longestStall, session.window->trainingPage()->controller().longestStallMs());
    }
    TrainingController& controller = session.window->trainingPage()->controller();
    controller.stopAndWait();
    QCOMPARE(controller.state(), TrainingController::State::Idle);
    qInfo(
        "seed %u: %d actions (%d while training), %d dialogs answered, %d files checked, %d "
        "windows closed, %zu runs in the last project, longest event-loop stall %.1f ms",
        seed, actions, session.actionsWhileTraining, answerer.answered(), session.filesChecked,
        session.windowsClosed, session.window->document().project().runs.size(), longestStall);
    session.window->document().markChangedOutsideUndo();
    session.window->document().undoStack().setClean();
}

void TestUserSession::keepsEditsMadeDuringTheRun() {
    MainWindow window;
    openW1(window, 1);
    ProjectDocument& document = window.document();
    TrainingController& controller = window.trainingPage()->controller();
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QVERIFY(controller.train());
    // During the run: a setting changes and a layer moves; neither touches the run.
    TrainingConfig training = document.project().training;
    training.batchSize = 64;
    document.setTraining(training, QStringLiteral("batch size"));
    const QString dense = QStringLiteral("dense");
    QVERIFY(document.network().contains(dense));
    document.network().moveLayers({{dense, QPointF(400, 300)}});
    QVERIFY(recorded.wait(120000));

    const Project& project = document.project();
    QVERIFY(project.hasWeights);
    QCOMPARE(project.training.batchSize, int64_t(64));
    QCOMPARE(project.runs.back().training.value("batch_size", 0), 32);
    QCOMPARE(document.network().position(dense), QPointF(400, 300));
    QVERIFY(project.runs.back().epochs.at(0).accuracy > 0.6);
    // Undo only ever touches the document: undoing the move keeps the trained weights.
    const std::vector<float> trained =
        project.graph.node("dense").layer->parameters().front().value.toVector();
    document.undoStack().undo();
    QCOMPARE(project.graph.node("dense").layer->parameters().front().value.toVector(), trained);

    // A layer added during the next run: the old layers keep what the run learnt, the new one
    // starts afresh at the next run.
    QVERIFY(controller.train());
    emit window.findChild<LayerPalette*>()->kindActivated(QStringLiteral("Dropout"));
    QVERIFY(recorded.wait(120000));
    QVERIFY(!project.hasWeights);
    QVERIFY(project.graph.node("dense").layer->parameters().front().value.toVector() != trained);
    QCOMPARE(project.runs.size(), size_t(2));
    QVERIFY(project.runs[0].name != project.runs[1].name);
    document.undoStack().setClean();
}

void TestUserSession::savesTheRunSoFar() {
    QTemporaryDir folder;
    MainWindow window;
    openW1(window, 20);
    TrainingController& controller = window.trainingPage()->controller();
    QSignalSpy epochs(&controller, &TrainingController::epochReported);
    QVERIFY(controller.train());
    QVERIFY(epochs.wait(120000));
    const QString path = folder.filePath(QStringLiteral("during.loom"));
    QVERIFY(window.saveProjectAs(path));
    controller.stopAndWait();

    const Project saved = loadProject(QFile::encodeName(path).toStdString());
    QCOMPARE(saved.runs.size(), size_t(1));
    QVERIFY(saved.runs[0].epochs.size() >= 1);
    QVERIFY(saved.hasWeights);  // the weights of the last finished epoch
    QVERIFY(saved.position.epoch >= 1);
    QVERIFY(saved.optimizer.has_value());
    window.document().undoStack().setClean();
    window.document().markChangedOutsideUndo();
    window.document().undoStack().setClean();
}

void TestUserSession::trainsANetworkBuiltFromNothing() {
    MainWindow window;
    auto* checks = window.findChild<NetworkChecksView*>();
    QVERIFY(checks);
    NetworkModel& network = window.document().network();
    const QString input = network.addLayer(QStringLiteral("Input"), QPointF(0, 0));
    QVERIFY(network.setParameter(input, QStringLiteral("shape"), {784}));
    const QString dense = network.addLayer(QStringLiteral("Dense"), QPointF(0, 120));
    QVERIFY(network.connectLayers(input, dense));
    QVERIFY(network.setParameter(dense, QStringLiteral("units"), 10));
    // The softmax is forgotten: the checks say so, on the node and in the list, with a fix.
    QTRY_VERIFY_WITH_TIMEOUT(!checks->warnings().empty(), 30000);
    QVERIFY2(QString::fromStdString(checks->warnings().front().message).contains("softmax"),
             checks->warnings().front().message.c_str());
    QVERIFY(window.canvas()->nodeItem(dense)->showsWarning());
    QToolButton* fix = nullptr;
    for (QToolButton* button : checks->findChildren<QToolButton*>()) {
        fix = button->text().contains(QStringLiteral("Fix")) ? button : fix;
    }
    QVERIFY(fix);
    fix->click();
    QTRY_VERIFY(checks->warnings().empty());
    QCOMPARE(window.document()
                 .project()
                 .graph.node(dense.toStdString())
                 .layer->params()
                 .getString("activation"),
             std::string("softmax"));

    TrainingConfig training = window.document().project().training;
    training.epochs = 1;
    training.device = "cpu";
    window.document().setTraining(training, QStringLiteral("epochs"));
    TrainingController& controller = window.trainingPage()->controller();
    QSignalSpy recorded(&controller, &TrainingController::runRecorded);
    QSignalSpy failed(&controller, &TrainingController::trainingFailed);
    QVERIFY(controller.train());  // no edit to the Data tab
    QVERIFY(recorded.wait(120000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(controller.results().has_value());
    QCOMPARE(controller.results()->heldOutName, QStringLiteral("test"));
    QVERIFY2(controller.results()->accuracy > 0.80,
             qPrintable(QString::number(controller.results()->accuracy)));
    window.document().undoStack().setClean();
}

QTEST_MAIN(TestUserSession)
#include "TestUserSession.moc"
