#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace loom {

class TileGrid;
class TrainingController;
class WorkerJob;

/// ClassPictures: what each class looks like to the trained network: for every class, the
/// input that its score rises most for, grown by gradient ascent from faint noise
/// (Explainer::visualiseClass, deep dream's step aimed at one output unit), kept within the
/// range of the held-out data. Worked out on a worker thread, a class at a time, with progress.
class ClassPictures : public QWidget {
    Q_OBJECT

public:
    ClassPictures(TrainingController& controller, QWidget* parent = nullptr);

    /// Starts working them out; false (with the reason shown) when the model is not trained.
    bool start();
    /// Stops and forgets the pictures (another project is open).
    void clear();
    bool isRunning() const;
    int shownCount() const;

private:
    TrainingController& m_controller;
    QPushButton* m_start;
    QProgressBar* m_progress;
    QLabel* m_message;
    TileGrid* m_pictures;
    WorkerJob* m_job;
};

}  // namespace loom
