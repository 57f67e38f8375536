#pragma once

#include <loom/Progress.h>

#include <QWidget>

class QLabel;
class QProgressBar;

namespace loom {

/// TrainingProgress: how far a training run is (a bar over all its epochs), how fast it goes
/// (samples per second) and how long it has left, with a status line naming the device and the
/// memory in use. It shows what it is told; the training controller tells it.
class TrainingProgress : public QWidget {
    Q_OBJECT

public:
    explicit TrainingProgress(QWidget* parent = nullptr);

    /// Nothing running.
    void reset();
    void showBatch(const BatchProgress& batch);
    /// Work before the first batch (a frozen base's outputs computed once).
    void showPreparation(const PreparationProgress& preparation);
    /// The run ended: the bar stays where it stopped and the message replaces the speed.
    void showFinished(const QString& message);
    void setDeviceStatus(const QString& status);

    QString detailsText() const;
    int percent() const;

private:
    QProgressBar* m_bar = nullptr;
    QLabel* m_details = nullptr;
    QLabel* m_device = nullptr;
};

/// "42 s", "3:07", "1:02:03": a duration as a person reads it.
QString formatDuration(double seconds);

}  // namespace loom
