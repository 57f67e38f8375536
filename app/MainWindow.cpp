#include "MainWindow.h"

#include "HyperparameterPanel.h"
#include "LayerPalette.h"
#include "LayerPalettePanel.h"
#include "ModelSummaryView.h"
#include "NetworkCanvas.h"
#include "NetworkModel.h"
#include "ProjectDocument.h"
#include "PropertyEditor.h"

#include <QAction>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QUndoStack>

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

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_document(new ProjectDocument(this)) {
    setWindowTitle(QStringLiteral("Loom"));
    resize(1280, 800);
    m_canvas = new NetworkCanvas(m_document->network(), this);
    setCentralWidget(m_canvas);
    createDocks();
    createMenus();

    connect(m_document, &ProjectDocument::modifiedChanged, this, &QWidget::setWindowModified);
    connect(&m_document->network(), &NetworkModel::editRefused, this,
            [this](const QString& reason) { statusBar()->showMessage(reason, 8000); });
    statusBar()->showMessage(tr("No project open: drag layers from the palette to build one"));
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

    m_summary = new ModelSummaryView(m_document->network(), this);
    QDockWidget* summary = dock(tr("Model summary"), "summaryDock", m_summary, this);
    addDockWidget(Qt::BottomDockWidgetArea, summary);
    // The canvas gets the height; the summary scrolls.
    resizeDocks({summary}, {190}, Qt::Vertical);
    connect(m_summary, &ModelSummaryView::layerActivated, m_canvas,
            [this](const QString& layer) { m_canvas->selectLayers({layer}); });
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open..."), this, &MainWindow::chooseProject);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

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
    edit->addActions({m_canvas->tidyAction(), m_canvas->fitAction()});
}

void MainWindow::chooseProject() {
    const QString start =
        m_document->path().isEmpty() ? QString() : QFileInfo(m_document->path()).path();
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open project"), start,
                                     tr("Loom projects and graphs (*.loom *.json);;All files (*)"));
    if (!path.isEmpty()) {
        openProject(path);
    }
}

bool MainWindow::openProject(const QString& path) {
    try {
        m_document->open(path);
    } catch (const std::exception& e) {
        // Engine errors (loom::Error) and JSON parse errors both carry a message a person can
        // act on; the window keeps the project it had.
        showError(tr("Cannot open %1").arg(QFileInfo(path).fileName()),
                  QString::fromUtf8(e.what()));
        return false;
    }
    m_canvas->fitAll();
    updateTitle();
    statusBar()->showMessage(QFileInfo(path).absoluteFilePath());
    return true;
}

void MainWindow::updateTitle() {
    setWindowTitle(tr("%1[*] — Loom").arg(QFileInfo(m_document->path()).fileName()));
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
