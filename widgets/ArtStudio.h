#pragma once
/// ArtStudio: what the Dream and Style tabs share: the network choice, a settings panel that is
/// locked while a job runs, the result preview, Run / Stop / Save and a progress bar with the
/// step and the time left. A studio only asks for work (dreamRequested, styleRequested) and
/// shows what comes back; the application runs it (ArtController) and calls the slots.

#include "ArtJob.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace loom {

class ArtModelChoice;
class ImagePreview;

class ArtStudio : public QWidget {
    Q_OBJECT

public:
    ArtModelChoice* modelChoice() const { return m_modelChoice; }
    /// The latest picture (after a run, the result so far); null before the first step.
    QImage result() const;
    /// Writes the result as PNG (or JPEG by the name); false when there is none or it failed.
    bool saveResult(const QString& path) const;
    bool isRunning() const { return m_running; }

    /// The studio's settings and pictures' paths, for the project; applySettings restores them
    /// (unknown or missing keys keep their current values).
    virtual nlohmann::json settingsJson() const = 0;
    virtual void applySettings(const nlohmann::json& json) = 0;

public slots:
    /// Asks for a run with the current settings (what Run does); shows why when it cannot.
    virtual void run() = 0;
    void setRunning(bool running);
    void showStep(const loom::ArtStep& step);
    /// The job ended with `result` (null: keep the last step's); `message` says how.
    void showFinished(const QImage& result, const QString& message);
    void showFailure(const QString& message);

signals:
    void stopRequested();

protected:
    explicit ArtStudio(const QString& resultCaption, QWidget* parent = nullptr);

    /// The settings column: the network choice first, then what the subclass adds.
    QVBoxLayout* settingsLayout() const { return m_settingsLayout; }
    /// The pictures area (sources and result), laid out by the subclass.
    ImagePreview* resultPreview() const { return m_result; }
    void setPicturesArea(QLayout* pictures);
    /// A preview for a source picture that opens on double click and takes drops; the picture,
    /// read with Qt, lands in the preview and its path in the preview's "path" property.
    ImagePreview* makeSourcePreview(const QString& caption);
    bool openSource(ImagePreview* preview, const QString& path);
    /// A button in the settings column that opens a picture into `preview`.
    void addOpenButton(const QString& text, ImagePreview* preview);
    static QString sourcePath(const ImagePreview* preview);
    /// Called after each step is shown, for what only one studio draws (the loss chart).
    virtual void stepShown(const ArtStep& step);
    /// Called when another network was loaded.
    virtual void modelLoaded() = 0;
    /// The suggested file name for Save.
    virtual QString resultName() const = 0;

private:
    void saveWithDialog();

    ArtModelChoice* m_modelChoice;
    QWidget* m_settingsPanel;
    QVBoxLayout* m_settingsLayout;
    QVBoxLayout* m_mainColumn;
    ImagePreview* m_result;
    QPushButton* m_runButton;
    QPushButton* m_stopButton;
    QPushButton* m_saveButton;
    QProgressBar* m_progress;
    QLabel* m_status;
    bool m_running = false;
};

}  // namespace loom
