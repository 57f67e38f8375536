#include "MainWindow.h"

#include "ArtController.h"
#include "Autosave.h"
#include "DatasetPanel.h"
#include "DreamStudio.h"
#include "ExamplesFolder.h"
#include "HyperparameterPanel.h"
#include "InsidePage.h"
#include "LayerHealthMonitor.h"
#include "LayerPalette.h"
#include "LayerPalettePanel.h"
#include "ModelSummaryView.h"
#include "NetworkCanvas.h"
#include "NetworkChecksView.h"
#include "NetworkModel.h"
#include "NewFromPretrainedDialog.h"
#include "ProjectDocument.h"
#include "PropertyEditor.h"
#include "RecentFiles.h"
#include "ResultsPage.h"
#include "StyleStudio.h"
#include "TrainingController.h"
#include "TrainingPage.h"

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/WeightsFile.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QTime>
#include <QUndoStack>
#include <QVBoxLayout>

#include <exception>

namespace loom {

namespace {

QDockWidget* dock(const QString& title, const QString& name, QWidget* content,
                  QMainWindow* window) {
    auto* widget = new QDockWidget(title, window);
    widget->setObjectName(name);
    widget->setWidget(content);
    return widget;
}

constexpr int kAutosaveIntervalMs = 2 * 60 * 1000;

/// Where an art example's bare picture names are looked for: the test photos, Debian's
/// scikit-image, and what scripts/fetch-test-data.sh unpacks in the source tree.
QString findPhoto(const QString& name) {
    const QStringList folders = {qEnvironmentVariable("LOOM_PHOTOS_DIR"),
                                 QStringLiteral("/usr/lib/python3/dist-packages/skimage/data"),
                                 QStringLiteral(LOOM_SOURCE_DIR "/build/test-data/photos")};
    for (const QString& folder : folders) {
        if (!folder.isEmpty() && QFileInfo::exists(QDir(folder).filePath(name))) {
            return QDir(folder).filePath(name);
        }
    }
    return {};
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      m_document(new ProjectDocument(this)),
      m_recent(new RecentFiles({}, this)),
      m_autosave(new Autosave(*m_document, Autosave::defaultFolder(), kAutosaveIntervalMs, this)) {
    setWindowTitle(QStringLiteral("Loom"));
    resize(1280, 800);
    createTabs();
    createDocks();
    createMenus();
    connectTraining();
    createChecks();

    connect(m_document, &ProjectDocument::modifiedChanged, this, &QWidget::setWindowModified);
    connect(m_document, &ProjectDocument::projectReplaced, this, &MainWindow::showProject);
    connect(&m_document->network(), &NetworkModel::editRefused, this,
            [this](const QString& reason) { statusBar()->showMessage(reason, 8000); });
    connect(m_autosave, &Autosave::failed, this, &MainWindow::log);
    statusBar()->showMessage(tr("No project open: drag layers from the palette to build one"));
}

void MainWindow::createTabs() {
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_canvas = new NetworkCanvas(m_document->network(), this);
    m_health = new LayerHealthMonitor(this);
    m_data = new DatasetPanel(this);
    m_training = new TrainingPage(*m_document, this);
    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("log"));
    m_log->setReadOnly(true);
    m_tabs->addTab(createNetworkTab(), tr("&Network"));
    m_tabs->addTab(m_data, tr("&Data"));
    m_tabs->addTab(m_training, tr("T&raining"));
    auto* results = new ResultsPage(m_training->controller(), this);
    m_tabs->addTab(results, tr("Res&ults"));
    m_inside = new InsidePage(m_training->controller(), this);
    m_tabs->addTab(m_inside, tr("&Inside"));
    connect(results, &ResultsPage::predictionShown, m_inside, &InsidePage::showPrediction);
    connect(m_inside, &InsidePage::heldOutSampleChosen, this, [this, results](const Tensor& s) {
        m_tabs->setCurrentWidget(results);  // first: showing it may select a mistake
        results->showHeldOutSample(s);
    });
    connect(m_data, &DatasetPanel::sampleChosen, this,
            [this](const Tensor& sample, const QImage& image, const QString& name) {
                m_inside->inspectSample(m_training->controller().normalizedLikeTraining(sample),
                                        image, name);
                m_tabs->setCurrentWidget(m_inside);
            });
    connect(m_canvas, &NetworkCanvas::selectionChanged, m_inside, [this](const QStringList& l) {
        if (l.size() == 1) {
            m_inside->chooseLayer(l.front());
        }
    });
    m_art = new ArtController(this);
    addArtTab(tr("Dr&eam"), QStringLiteral("dream"));
    addArtTab(tr("St&yle"), QStringLiteral("style"));
    m_tabs->addTab(m_log, tr("&Log"));
    setCentralWidget(m_tabs);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::showArtTab);
    connect(m_art, &ArtController::failed, this, &MainWindow::log);
    connect(m_data, &DatasetPanel::dataSectionChanged, this,
            [this] { m_document->setData(m_data->dataSection()); });
    connect(m_document, &ProjectDocument::dataChanged, this, [this] {
        if (m_data->dataSection() != m_document->project().data) {
            m_data->setDataSection(m_document->project().data);  // undone or redone
        }
    });
    connect(m_data, &DatasetPanel::loadFailed, this, &MainWindow::log);
    m_data->setDataSection(m_document->project().data);
}

QWidget* MainWindow::createNetworkTab() {
    m_networkTab = new QWidget(this);
    auto* layout = new QVBoxLayout(m_networkTab);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_runningNotice = new QLabel(
        tr("Training uses the network as it was when the run started: edits made now apply "
           "to the next run."),
        m_networkTab);
    m_runningNotice->setObjectName(QStringLiteral("runningNotice"));
    m_runningNotice->setWordWrap(true);
    m_runningNotice->setStyleSheet(
        QStringLiteral("QLabel { background: #fff4d6; color: #5c4400; padding: 4px 8px; "
                       "border-bottom: 1px solid #e6c767; }"));
    m_runningNotice->hide();
    layout->addWidget(m_runningNotice);
    layout->addWidget(m_canvas, 1);
    return m_networkTab;
}

void MainWindow::addArtTab(const QString& title, const QString& kind) {
    auto* holder = new QWidget(this);
    holder->setObjectName(kind);
    new QVBoxLayout(holder);
    holder->layout()->setContentsMargins(0, 0, 0, 0);
    m_tabs->addTab(holder, title);
}

void MainWindow::showArtTab(int index) {
    QWidget* holder = m_tabs->widget(index);
    const QString kind = holder->objectName();
    if ((kind != "dream" && kind != "style") || m_studios.count(kind) != 0) {
        return;
    }
    QApplication::setOverrideCursor(Qt::WaitCursor);
    ArtStudio* studio = nullptr;
    if (kind == "dream") {
        auto* dream = new DreamStudio(holder);
        m_art->attach(dream);
        studio = dream;
    } else {
        auto* style = new StyleStudio(holder);
        m_art->attach(style);
        studio = style;
    }
    holder->layout()->addWidget(studio);
    studio->applySettings(
        m_document->project().art.value(kind.toStdString(), nlohmann::json::object()));
    m_studios[kind] = studio;
    QApplication::restoreOverrideCursor();
}

void MainWindow::createDocks() {
    m_palette = new LayerPalettePanel(this);
    addDockWidget(Qt::LeftDockWidgetArea, dock(tr("Layers"), "layerDock", m_palette, this));
    connect(m_palette->palette(), &LayerPalette::kindActivated, m_canvas,
            &NetworkCanvas::addLayerAtCentre);

    m_properties = new PropertyEditor(m_document->network(), this);
    addDockWidget(Qt::RightDockWidgetArea,
                  dock(tr("Properties"), "propertyDock", m_properties, this));
    connect(m_canvas, &NetworkCanvas::selectionChanged, m_properties,
            &PropertyEditor::showSelection);
    HyperparameterPanel* settings = m_properties->hyperparameterPanel();
    connect(settings, &HyperparameterPanel::trainingEdited, m_document,
            &ProjectDocument::setTraining);
    connect(m_document, &ProjectDocument::trainingChanged, settings,
            [this, settings] { settings->setTraining(m_document->project().training); });
    settings->setTraining(m_document->project().training);

    m_summary = new ModelSummaryView(m_document->network(), this);
    QDockWidget* summary = dock(tr("Model summary"), "summaryDock", m_summary, this);
    addDockWidget(Qt::BottomDockWidgetArea, summary);
    // The canvas gets the height; the summary scrolls.
    resizeDocks({summary}, {190}, Qt::Vertical);
    connect(m_summary, &ModelSummaryView::layerActivated, m_canvas,
            [this](const QString& layer) { m_canvas->selectLayers({layer}); });
}

void MainWindow::createMenus() {
    createFileMenu();
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_document->undoStack().createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_document->undoStack().createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addActions({undo, redo});
    edit->addSeparator();
    edit->addActions({m_canvas->cutAction(), m_canvas->copyAction(), m_canvas->pasteAction(),
                      m_canvas->deleteAction(), m_canvas->selectAllAction()});
    edit->addSeparator();
    edit->addActions({m_canvas->tidyAction(), m_canvas->fitAction(), m_canvas->groupAction()});
    createViewMenu();
    createTrainingMenu();
}

void MainWindow::createViewMenu() {
    QMenu* sparklines = menuBar()->addMenu(tr("&View"))->addMenu(tr("Layer &sparklines"));
    auto* group = new QActionGroup(this);
    const auto addMeasure = [&](const QString& title, LayerHealthMonitor::Measure measure) {
        QAction* action =
            sparklines->addAction(title, this, [this, measure] { m_health->setMeasure(measure); });
        action->setCheckable(true);
        action->setChecked(m_health->measure() == measure);
        group->addAction(action);
    };
    addMeasure(tr("&Gradient norm"), LayerHealthMonitor::Measure::GradientNorm);
    addMeasure(tr("&Update ratio"), LayerHealthMonitor::Measure::UpdateRatio);
}

void MainWindow::createFileMenu() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New"), QKeySequence::New, this, &MainWindow::newProject);
    file->addAction(tr("New from &Pretrained..."), this, &MainWindow::newFromPretrained);
    file->addAction(tr("&Open..."), QKeySequence::Open, this, &MainWindow::chooseProject);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recent, &RecentFiles::changed, this, &MainWindow::fillRecentMenu);
    fillRecentMenu();
    createExamplesMenu(file);
    file->addSeparator();
    file->addAction(tr("&Save"), QKeySequence::Save, this, &MainWindow::save);
    file->addAction(tr("Save &As..."), QKeySequence::SaveAs, this, &MainWindow::chooseSaveAs);
    QMenu* exports = file->addMenu(tr("&Export"));
    exports->addAction(tr("Keras HDF5 (.h5)..."), this,
                       [this] { chooseExport(tr("Keras HDF5 (*.h5)"), ".h5"); });
    exports->addAction(tr("ONNX (.onnx)..."), this,
                       [this] { chooseExport(tr("ONNX (*.onnx)"), ".onnx"); });
    exports->addAction(tr("TensorFlow.js (model.json)..."), this,
                       [this] { chooseExport(tr("TF.js layers model (model.json)"), ".json"); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
}

void MainWindow::createExamplesMenu(QMenu* file) {
    QMenu* examples = file->addMenu(tr("E&xamples"));
    const QDir folder(examplesFolder());
    for (const QString& name : folder.entryList({"*.json", "*.loom"}, QDir::Files)) {
        const bool art = name.endsWith(".art.json");
        const QString title = QFileInfo(name).completeBaseName().remove(".art");
        examples->addAction(title, this, [this, folder, name, art, title] {
            if (art) {
                openArtExample(folder.filePath(name));
            } else if (mayReplaceProject(tr("open %1").arg(title))) {
                openProject(folder.filePath(name));
            }
        });
    }
    examples->setEnabled(!examples->isEmpty());
}

void MainWindow::createTrainingMenu() {
    QMenu* menu = menuBar()->addMenu(tr("&Training"));
    TrainingController& controller = m_training->controller();
    QAction* train = menu->addAction(tr("&Train"), QKeySequence(Qt::Key_F5), this, [this] {
        startTraining(TrainingController::Start::Continue);
    });
    QAction* stop = menu->addAction(tr("&Stop"), QKeySequence(Qt::SHIFT | Qt::Key_F5), &controller,
                                    &TrainingController::stop);
    connect(&controller, &TrainingController::runningChanged, this, [train, stop](bool running) {
        train->setEnabled(!running);
        stop->setEnabled(running);
    });
    stop->setEnabled(false);
}

void MainWindow::connectTraining() {
    TrainingController& controller = m_training->controller();
    // A run trains its own snapshot: the document stays editable and saves include the run.
    m_document->setRunInProgress([&controller] { return controller.runInProgress(); });
    connect(&controller, &TrainingController::runningChanged, this, [this](bool running) {
        m_runningNotice->setVisible(running);
        if (running) {
            m_tabs->setCurrentWidget(m_training);
        }
    });
    connect(&controller, &TrainingController::logMessage, this, &MainWindow::log);
    // The canvas follows each layer's health while a run trains, and keeps the last picture
    // until the next run or project.
    connect(&controller, &TrainingController::runStarted, m_health, &LayerHealthMonitor::clear);
    connect(m_document, &ProjectDocument::projectReplaced, m_health, &LayerHealthMonitor::clear);
    connect(&controller, &TrainingController::statisticsReported, m_health,
            [this](int, const StatisticsSample& sample) { m_health->addSample(sample); });
    connect(m_health, &LayerHealthMonitor::changed, m_canvas,
            [this] { m_canvas->setTrainingHealth(m_health->health()); });
    connect(&controller, &TrainingController::trainingFailed, this,
            [this](const QString& message, const QString& layer) {
                if (!layer.isEmpty()) {
                    m_canvas->markNonFiniteOrigin(layer);
                }
                log(message);
                showError(tr("Training stopped"), message);
            });
}

void MainWindow::createChecks() {
    m_checks = new NetworkChecksView(this);
    QDockWidget* checks = dock(tr("Checks"), "checksDock", m_checks, this);
    addDockWidget(Qt::BottomDockWidgetArea, checks);
    tabifyDockWidget(findChild<QDockWidget*>(QStringLiteral("summaryDock")), checks);
    connect(&m_document->network(), &NetworkModel::changed, this, &MainWindow::recheckNetwork);
    connect(m_document, &ProjectDocument::trainingChanged, this, &MainWindow::recheckNetwork);
    connect(m_data, &DatasetPanel::dataFactsChanged, this, &MainWindow::recheckNetwork);
    connect(m_checks, &NetworkChecksView::layerActivated, m_canvas,
            [this](const QString& layer) { m_canvas->selectLayers({layer}); });
    connect(m_checks, &NetworkChecksView::fixRequested, this, &MainWindow::applyFix);
    connect(m_training, &TrainingPage::trainRequested, this, &MainWindow::startTraining);
    // The data checks need the data's classes and sample shape.
    m_data->loadPreview();
}

std::vector<NetworkWarning> MainWindow::recheckNetwork() {
    NetworkCheckInputs inputs;
    inputs.training = m_document->project().training;
    inputs.data = m_data->dataFacts();
    inputs.parameterCounts = parameterCountsOf(m_document->network().analysis());
    inputs.memory = freeMemoryFor(inputs.training.device);
    std::vector<NetworkWarning> warnings;
    try {
        warnings = checkNetwork(m_document->network().graph(), inputs);
    } catch (const std::exception& e) {
        log(tr("The network checks could not run: %1").arg(QString::fromUtf8(e.what())));
    }
    m_canvas->setWarnings(warnings);
    m_checks->setWarnings(warnings);
    return warnings;
}

void MainWindow::applyFix(const NetworkFix& fix) {
    if (const auto* parameter = std::get_if<SetLayerParameter>(&fix)) {
        m_document->network().setParameter(QString::fromStdString(parameter->layer),
                                           QString::fromStdString(parameter->parameter),
                                           parameter->value);
        return;
    }
    TrainingConfig training = m_document->project().training;
    training.loss = std::get<SetTrainingLoss>(fix).loss;
    m_document->setTraining(training, tr("loss"));
}

void MainWindow::startTraining(TrainingController::Start start) {
    const std::vector<NetworkWarning> warnings = recheckNetwork();
    if (!warnings.empty()) {
        QStringList lines;
        bool fixable = false;
        for (const NetworkWarning& warning : warnings) {
            lines << QStringLiteral("• ") + QString::fromStdString(warning.message);
            fixable = fixable || warning.fix.has_value();
        }
        QMessageBox box(
            QMessageBox::Warning, tr("Loom"),
            tr("This network will probably not learn what you want:\n\n%1").arg(lines.join('\n')),
            QMessageBox::Cancel, this);
        QPushButton* fixAndTrain =
            fixable ? box.addButton(tr("&Fix and train"), QMessageBox::AcceptRole) : nullptr;
        QPushButton* anyway = box.addButton(tr("Train &anyway"), QMessageBox::DestructiveRole);
        box.setDefaultButton(fixable ? fixAndTrain : anyway);
        box.exec();
        if (box.clickedButton() != fixAndTrain && box.clickedButton() != anyway) {
            return;
        }
        if (box.clickedButton() == fixAndTrain) {
            for (const NetworkWarning& warning : warnings) {
                if (warning.fix) {
                    applyFix(*warning.fix);
                }
            }
        }
    }
    warnIfSavesWillFail();
    m_training->controller().train(start);
}

void MainWindow::warnIfSavesWillFail() {
    if (m_document->path().isEmpty()) {
        return;
    }
    try {
        requireWritableTarget(QFile::encodeName(m_document->path()).toStdString());
    } catch (const std::exception& e) {
        // The run's results stay in the window either way; said now, not at the first save.
        log(tr("Warning: %1. Use File > Save As to keep this run somewhere else.")
                .arg(QString::fromUtf8(e.what())));
    }
}

void MainWindow::fillRecentMenu() {
    m_recentMenu->clear();
    for (const QString& path : m_recent->files()) {
        QAction* action = m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] {
            if (mayReplaceProject(tr("open %1").arg(QFileInfo(path).fileName()))) {
                openProject(path);
            }
        });
        action->setToolTip(path);
    }
    m_recentMenu->setEnabled(!m_recentMenu->isEmpty());
}

void MainWindow::newProject() {
    if (mayReplaceProject(tr("start a new project"))) {
        m_document->clear();
    }
}

void MainWindow::newFromPretrained() {
    if (!mayReplaceProject(tr("start a new project"))) {
        return;
    }
    NewFromPretrainedDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    m_training->controller().stopAndWait();
    std::optional<Project> project = dialog.takeProject();
    const Graph& graph = project->graph;
    log(tr("New project from %1: %2 layers, %3 parameters, %4 of them trainable (the head)")
            .arg(dialog.baseName())
            .arg(graph.nodes().size())
            .arg(QLocale().toString(static_cast<qlonglong>(graph.parameterCount())))
            .arg(QLocale().toString(static_cast<qlonglong>(graph.trainableParameterCount()))));
    m_document->startFrom(std::move(*project), dialog.baseName() + QStringLiteral("_transfer"));
    m_canvas->fitAll();
}

void MainWindow::chooseProject() {
    if (!mayReplaceProject(tr("open another project"))) {
        return;
    }
    const QString start =
        m_document->path().isEmpty() ? QString() : QFileInfo(m_document->path()).path();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open project or model"), start,
        tr("Projects and models (*.loom *.json *.h5 *.hdf5 *.keras *.onnx);;Loom projects "
           "(*.loom);;Keras (*.h5 *.hdf5 *.keras);;TF.js (model.json);;ONNX (*.onnx);;All "
           "files (*)"));
    if (!path.isEmpty()) {
        openProject(path);
    }
}

bool MainWindow::openProject(const QString& path) {
    // A run's results belong to the project it started from, never to the next one.
    m_training->controller().stopAndWait();
    try {
        m_document->open(path);
    } catch (const std::exception& e) {
        // Engine errors (loom::Error) and JSON parse errors both carry a message a person can
        // act on; the window keeps the project it had.
        showError(tr("Cannot open %1").arg(QFileInfo(path).fileName()),
                  QString::fromUtf8(e.what()));
        return false;
    }
    for (const QString& note : m_document->importNotes()) {
        log(tr("Note: %1").arg(note));
    }
    m_recent->add(path);
    m_canvas->fitAll();
    statusBar()->showMessage(QFileInfo(path).absoluteFilePath());
    log(tr("Opened %1").arg(QFileInfo(path).absoluteFilePath()));
    return true;
}

bool MainWindow::openArtExample(const QString& path) {
    nlohmann::json example;
    try {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            throw IoError("cannot read " + path.toStdString());
        }
        const QByteArray text = file.readAll();
        example =
            parseJson(std::string_view(text.constData(), size_t(text.size())), path.toStdString());
        const QString kind = QString::fromStdString(example.at("tab").get<std::string>());
        QWidget* holder = m_tabs->findChild<QWidget*>(kind);
        if (holder == nullptr || m_tabs->indexOf(holder) < 0) {
            throw IoError("unknown tab '" + kind.toStdString() + "'");
        }
        nlohmann::json settings = example.at("settings");
        for (const char* key : {"image", "content_image", "style_image"}) {
            if (settings.contains(key)) {
                const QString name = QString::fromStdString(settings[key].get<std::string>());
                const QString found = findPhoto(name);
                if (found.isEmpty()) {
                    throw IoError(name.toStdString() +
                                  " is not installed: install Debian's python3-skimage, or "
                                  "run scripts/fetch-test-data.sh");
                }
                settings[key] = found.toStdString();
            }
        }
        m_tabs->setCurrentWidget(holder);
        m_studios.at(kind)->applySettings(settings);
    } catch (const std::exception& e) {
        showError(tr("Cannot open %1").arg(QFileInfo(path).fileName()),
                  QString::fromUtf8(e.what()));
        return false;
    }
    log(tr("Opened %1").arg(QFileInfo(path).absoluteFilePath()));
    return true;
}

void MainWindow::showProject() {
    m_data->setDataSection(m_document->project().data);
    m_data->loadPreview();
    for (auto& [kind, studio] : m_studios) {
        studio->applySettings(
            m_document->project().art.value(kind.toStdString(), nlohmann::json::object()));
    }
    m_training->showProjectRuns();
    const std::vector<RunRecord>& runs = m_document->project().runs;
    m_inside->showProject(runs.empty() ? std::vector<StatisticsSample>{} : runs.back().statistics);
    m_tabs->setCurrentWidget(m_networkTab);
    updateTitle();
}

bool MainWindow::save() {
    return m_document->path().isEmpty() ? chooseSaveAs() : saveProjectAs(m_document->path());
}

bool MainWindow::chooseSaveAs() {
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save project"), m_document->suggestedSavePath(), tr("Loom projects (*.loom)"));
    if (path.isEmpty()) {
        return false;
    }
    if (!path.endsWith(".loom", Qt::CaseInsensitive)) {
        path += ".loom";
    }
    return saveProjectAs(path);
}

bool MainWindow::saveProjectAs(const QString& path) {
    m_art->storeInProject(m_document->project());
    try {
        m_document->save(path);
    } catch (const std::exception& e) {
        showError(tr("Cannot save %1").arg(QFileInfo(path).fileName()),
                  QString::fromUtf8(e.what()));
        return false;
    }
    m_recent->add(path);
    updateTitle();
    log(tr("Saved %1").arg(QFileInfo(path).absoluteFilePath()));
    return true;
}

void MainWindow::chooseExport(const QString& filter, const QString& suffix) {
    const QString suggested =
        suffix == ".json" ? QStringLiteral("model.json") : m_document->displayName() + suffix;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export model"), suggested, filter);
    if (path.isEmpty()) {
        return;
    }
    try {
        m_document->exportModel(path);
        log(tr("Exported %1").arg(QFileInfo(path).absoluteFilePath()));
    } catch (const std::exception& e) {
        showError(tr("Cannot export %1").arg(QFileInfo(path).fileName()),
                  QString::fromUtf8(e.what()));
    }
}

bool MainWindow::mayDiscardChanges() {
    if (!m_document->isModified()) {
        return true;
    }
    const auto answer = QMessageBox::warning(
        this, tr("Loom"),
        tr("%1 has unsaved changes. Save them first?")
            .arg(m_document->displayName().isEmpty() ? tr("The project")
                                                     : m_document->displayName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save) {
        return save();
    }
    return answer == QMessageBox::Discard;
}

bool MainWindow::mayStopTraining(const QString& then) {
    TrainingController& controller = m_training->controller();
    if (controller.state() == TrainingController::State::Idle) {
        return true;
    }
    const auto answer = QMessageBox::question(
        this, tr("Loom"),
        tr("Training is running: stop it and %1?\n\nThe run keeps what it learnt so far.")
            .arg(then),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) {
        return false;
    }
    controller.stopAndWait();
    return true;
}

bool MainWindow::mayReplaceProject(const QString& then) {
    return mayStopTraining(then) && mayDiscardChanges();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (mayReplaceProject(tr("quit"))) {
        event->accept();
    } else {
        event->ignore();
    }
}

void MainWindow::offerRecovery() {
    for (const Autosave::Leftover& leftover : Autosave::leftovers(Autosave::defaultFolder())) {
        if (leftover.recoveryPath == m_autosave->recoveryPath()) {
            continue;
        }
        const QString of = leftover.originalPath.isEmpty()
                               ? tr("an unsaved project")
                               : QFileInfo(leftover.originalPath).fileName();
        const auto answer = QMessageBox::question(
            this, tr("Recover unsaved work"),
            tr("Loom did not close properly. Recover the changes to %1 autosaved at %2?")
                .arg(of, QLocale().toString(leftover.savedAt.toLocalTime(), QLocale::ShortFormat)),
            QMessageBox::Yes | QMessageBox::No | QMessageBox::Discard, QMessageBox::Yes);
        if (answer == QMessageBox::Yes && openProject(leftover.recoveryPath)) {
            m_document->markChangedOutsideUndo();
        }
        if (answer != QMessageBox::No) {
            Autosave::removeLeftover(leftover);
        }
        return;
    }
}

void MainWindow::log(const QString& text) {
    m_log->appendPlainText(
        QStringLiteral("%1  %2").arg(QTime::currentTime().toString("HH:mm:ss"), text));
}

void MainWindow::updateTitle() {
    const QString name =
        m_document->displayName().isEmpty() ? tr("untitled") : m_document->displayName();
    setWindowTitle(tr("%1[*] — Loom").arg(name));
    setWindowModified(m_document->isModified());
}

void MainWindow::showError(const QString& what, const QString& reason) {
    // Window-modal and non-blocking: the event loop keeps running, and a test can find the box.
    // One rich-text label rather than text plus informative text: QMessageBox sizes itself by
    // its short first line and would squeeze a long reason into a narrow column.
    auto* box = new QMessageBox(
        QMessageBox::Critical, tr("Loom"),
        QStringLiteral("<b>%1</b><p>%2</p>").arg(what.toHtmlEscaped(), reason.toHtmlEscaped()),
        QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

}  // namespace loom
