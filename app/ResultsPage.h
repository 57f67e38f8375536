#pragma once

#include <loom/Tensor.h>

#include <QWidget>

class QLabel;

Q_MOC_INCLUDE("TrainingController.h")

namespace loom {

class ConfusionMatrixView;
class DrawingPad;
class ExplanationJob;
class ExplanationView;
class MisclassifiedGallery;
class PredictView;
class TrainingController;
struct Explanation;
struct Prediction;

/// ResultsPage: the Results tab. After a classification run, the confusion matrix on the
/// held-out data with per-class accuracy and the misclassified samples; and, any time the
/// model is trained, its top-5 answer for an image the user opens or drops, for a misclassified
/// sample the user clicks, or for a digit drawn on the pad (for models with a 28x28 grey input,
/// answered while the digit is drawn), with the saliency, occlusion and Grad-CAM maps of that
/// answer side by side.
class ResultsPage : public QWidget {
    Q_OBJECT

public:
    explicit ResultsPage(TrainingController& controller, QWidget* parent = nullptr);

    DrawingPad* drawingPad() const { return m_pad; }
    ExplanationView* explanationView() const { return m_explanation; }

public slots:
    /// Shows the model's answer for a held-out sample [1, ...input] and why.
    void showHeldOutSample(const loom::Tensor& sample);

signals:
    /// A picture and the model's answer for it are shown (opened, dropped, drawn or chosen).
    void predictionShown(const loom::Prediction& prediction);

private:
    void showResults();
    void predict(const QString& path);
    void predictDrawing();
    void show(const Prediction& prediction, bool explain);
    void showExplanation(const Explanation& explanation);

    TrainingController& m_controller;
    QLabel* m_heading;
    ConfusionMatrixView* m_matrix;
    MisclassifiedGallery* m_mistakes;
    PredictView* m_predict;
    DrawingPad* m_pad;
    ExplanationView* m_explanation;
    ExplanationJob* m_job;
};

}  // namespace loom
