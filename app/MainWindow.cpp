#include "MainWindow.h"

#include "LayerPalette.h"

#include <loom/Graph.h>

#include <QAction>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QStatusBar>

#include <nlohmann/json.hpp>

#include <exception>

namespace loom {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("Loom"));
    resize(1200, 760);

    m_summary = new QPlainTextEdit(this);
    m_summary->setObjectName(QStringLiteral("modelSummary"));
    m_summary->setReadOnly(true);
    // Keras' summary is a table drawn with characters: it only lines up in a fixed-pitch font
    // and without wrapping.
    m_summary->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_summary->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_summary->setPlaceholderText(tr("Open a project (File > Open) to see its model summary."));
    setCentralWidget(m_summary);

    m_palette = new LayerPalette(this);
    auto* dock = new QDockWidget(tr("Layers"), this);
    dock->setObjectName(QStringLiteral("layerDock"));
    dock->setWidget(m_palette);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    createMenus();
    statusBar()->showMessage(tr("No project open"));
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open..."), this, &MainWindow::chooseProject);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
}

void MainWindow::chooseProject() {
    const QString start = m_projectPath.isEmpty() ? QString() : QFileInfo(m_projectPath).path();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open project"), start,
                                                      tr("Loom graph (*.json);;All files (*)"));
    if (!path.isEmpty()) {
        openProject(path);
    }
}

bool MainWindow::openProject(const QString& path) {
    const QString fileName = QFileInfo(path).fileName();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        showError(tr("Cannot open %1").arg(fileName), file.errorString() + ": " + path);
        return false;
    }
    const QByteArray bytes = file.readAll();
    try {
        Graph graph = Graph::fromJson(nlohmann::json::parse(bytes.begin(), bytes.end()));
        graph.build();
        m_summary->setPlainText(QString::fromStdString(modelSummary(graph)));
    } catch (const std::exception& e) {
        // Engine errors (loom::Error) and JSON parse errors both carry a message a person can
        // act on; the window keeps the project it had.
        showError(tr("Cannot open %1").arg(fileName), QString::fromUtf8(e.what()));
        return false;
    }
    m_projectPath = path;
    setWindowTitle(tr("%1 — Loom").arg(fileName));
    statusBar()->showMessage(QFileInfo(path).absoluteFilePath());
    return true;
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
