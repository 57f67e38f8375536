#pragma once

#include <QMainWindow>
#include <QString>

class QPlainTextEdit;

namespace loom {

class LayerPalette;

/// MainWindow: Loom's window. For now it shows the layer palette in a dock on the left and, in
/// the middle, the model summary of the project opened from the command line or File > Open.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

    /// Reads a graph JSON file, builds the graph and shows its summary. On any error the
    /// previous project stays, a message box says what went wrong, and it returns false.
    bool openProject(const QString& path);

private:
    void createMenus();
    void chooseProject();
    void showError(const QString& what, const QString& reason);

    LayerPalette* m_palette = nullptr;
    QPlainTextEdit* m_summary = nullptr;
    QString m_projectPath;
};

}  // namespace loom
