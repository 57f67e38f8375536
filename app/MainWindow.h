#pragma once

#include "TrainingController.h"

#include <loom/NetworkChecks.h>

#include <QMainWindow>
#include <QString>

#include <map>
#include <vector>

class QLabel;
class QMenu;
class QPlainTextEdit;
class QTabWidget;

namespace loom {

class ArtController;
class ArtStudio;
class Autosave;
class DatasetPanel;
class InsidePage;
class LayerHealthMonitor;
class LayerPalettePanel;
class ModelSummaryView;
class NetworkChecksView;
class NetworkCanvas;
class ProjectDocument;
class PropertyEditor;
class RecentFiles;
class TrainingPage;

/// MainWindow: Loom's window. Tabs for the network canvas, the data, training with its live
/// charts, the results, and the log; the layer palette on the left, the property editor on
/// the right and the model summary below, all showing one ProjectDocument. The File menu opens,
/// saves, imports and exports projects and models, with recent files, the examples, an
/// unsaved-changes prompt and autosave; the Edit menu holds undo/redo and the canvas' actions.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

    /// Opens a project (.loom), a graph JSON file or a model to import (.h5, .keras,
    /// model.json, .onnx). On any error the previous project stays, a message box says what
    /// went wrong, and it returns false. A graph whose layers do not fit together opens, with
    /// the bad layers marked on the canvas.
    bool openProject(const QString& path);
    /// Opens an art example (examples/*.art.json: {"tab": "dream" or "style", "settings"}) in
    /// its tab, its pictures found among scikit-image's photos; false (after a message box)
    /// when the file or a picture cannot be found.
    bool openArtExample(const QString& path);
    /// Saves to path as a .loom project; false (after a message box) when it cannot.
    bool saveProjectAs(const QString& path);
    /// Offers to recover what autosave kept of a session that did not close properly.
    void offerRecovery();

    ProjectDocument& document() const { return *m_document; }
    NetworkCanvas* canvas() const { return m_canvas; }
    TrainingPage* trainingPage() const { return m_training; }
    InsidePage* insidePage() const { return m_inside; }
    QTabWidget* tabs() const { return m_tabs; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createTabs();
    QWidget* createNetworkTab();
    /// The Dream and Style tabs load their network when first shown, not at start-up.
    void addArtTab(const QString& title, const QString& kind);
    void showArtTab(int index);
    void createDocks();
    void createMenus();
    void createFileMenu();
    void createExamplesMenu(QMenu* file);
    void createViewMenu();
    void createTrainingMenu();
    void connectTraining();
    void createChecks();
    /// Runs the network checks and shows their warnings on the canvas and in the Checks list.
    std::vector<NetworkWarning> recheckNetwork();
    void applyFix(const NetworkFix& fix);
    /// Train (F5, the Training tab's buttons): when the checks warn, asks first, offering to
    /// apply their fixes.
    void startTraining(TrainingController::Start start);
    /// Says in the log, before a run starts, when saving the project where it lives would fail.
    void warnIfSavesWillFail();
    void fillRecentMenu();
    void chooseProject();
    bool save();
    bool chooseSaveAs();
    void chooseExport(const QString& filter, const QString& suffix);
    void newProject();
    void newFromPretrained();
    /// Asks what to do with unsaved changes; false when the user cancels.
    bool mayDiscardChanges();
    /// While training runs, asks "stop it and <then>?"; on yes stops it (its results stay in
    /// the project) and returns true.
    bool mayStopTraining(const QString& then);
    /// Both questions, before the project is replaced or the window closes.
    bool mayReplaceProject(const QString& then);
    void showProject();
    void log(const QString& text);
    void showError(const QString& what, const QString& reason);
    void updateTitle();

    ProjectDocument* m_document = nullptr;
    QTabWidget* m_tabs = nullptr;
    NetworkCanvas* m_canvas = nullptr;
    LayerHealthMonitor* m_health = nullptr;
    QWidget* m_networkTab = nullptr;
    QLabel* m_runningNotice = nullptr;
    DatasetPanel* m_data = nullptr;
    TrainingPage* m_training = nullptr;
    InsidePage* m_inside = nullptr;
    QPlainTextEdit* m_log = nullptr;
    ArtController* m_art = nullptr;
    /// The art tabs made so far, by kind ("dream", "style").
    std::map<QString, ArtStudio*> m_studios;
    LayerPalettePanel* m_palette = nullptr;
    PropertyEditor* m_properties = nullptr;
    ModelSummaryView* m_summary = nullptr;
    NetworkChecksView* m_checks = nullptr;
    RecentFiles* m_recent = nullptr;
    QMenu* m_recentMenu = nullptr;
    Autosave* m_autosave = nullptr;
};

}  // namespace loom
