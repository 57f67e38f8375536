#pragma once

#include "ExplanationView.h"
#include "TrainingController.h"
#include "WorkerJob.h"

#include <QImage>
#include <QList>
#include <QObject>
#include <QString>

namespace loom {

/// Why a trained model gave its answer for one sample: the maps ExplanationView shows.
struct Explanation {
    QString error;  ///< empty when it worked
    QImage picture;
    QString subject;
    QList<ExplanationMap> maps;
};

/// Explains one prediction on a worker thread (<loom/Explanations.h>: SmoothGrad saliency,
/// occlusion and, for a network with convolutions, Grad-CAM on its last one), on its own copy of
/// the network, and delivers the result on the GUI thread. A new request waits for the one in
/// progress (on a small model a few milliseconds) and replaces it.
class ExplanationJob : public QObject {
    Q_OBJECT

public:
    explicit ExplanationJob(QObject* parent = nullptr);
    ~ExplanationJob() override;

    /// prediction: what TrainingController::predictImage / predictDrawing answered.
    void start(TrainedModel model, const Prediction& prediction);

    /// Computes the explanation on the calling thread.
    static Explanation explain(TrainedModel& model, const Prediction& prediction);

signals:
    void finished(const loom::Explanation& explanation);

private:
    WorkerJob m_worker;
};

}  // namespace loom
