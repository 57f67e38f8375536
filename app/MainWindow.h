#pragma once

#include <QMainWindow>
#include <QString>

namespace loom {

class LayerPalettePanel;
class ModelSummaryView;
class NetworkCanvas;
class ProjectDocument;
class PropertyEditor;

/// MainWindow: Loom's window. The network canvas in the middle, the layer palette on the
/// left, the property editor on the right and the model summary below, all showing one
/// ProjectDocument; the Edit menu holds undo/redo and the canvas' editing actions.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

    /// Opens a project (.loom) or graph JSON file. On any error the previous project stays, a
    /// message box says what went wrong, and it returns false. A graph whose layers do not fit
    /// together opens, with the bad layers marked on the canvas.
    bool openProject(const QString& path);

    ProjectDocument& document() const { return *m_document; }
    NetworkCanvas* canvas() const { return m_canvas; }

private:
    void createDocks();
    void createMenus();
    void chooseProject();
    void showError(const QString& what, const QString& reason);
    void updateTitle();

    ProjectDocument* m_document = nullptr;
    NetworkCanvas* m_canvas = nullptr;
    LayerPalettePanel* m_palette = nullptr;
    PropertyEditor* m_properties = nullptr;
    ModelSummaryView* m_summary = nullptr;
};

}  // namespace loom
