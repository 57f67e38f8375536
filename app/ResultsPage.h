#pragma once

#include <QWidget>

class QLabel;

namespace loom {

class ConfusionMatrixView;
class MisclassifiedGallery;
class PredictView;
class TrainingController;

/// ResultsPage: the Results tab. After a classification run, the confusion matrix on the
/// held-out data with per-class accuracy and the misclassified samples; and, any time the
/// model is trained, its top-5 answer for an image the user opens or drops.
class ResultsPage : public QWidget {
    Q_OBJECT

public:
    explicit ResultsPage(TrainingController& controller, QWidget* parent = nullptr);

private:
    void showResults();
    void predict(const QString& path);

    TrainingController& m_controller;
    QLabel* m_heading;
    ConfusionMatrixView* m_matrix;
    MisclassifiedGallery* m_mistakes;
    PredictView* m_predict;
};

}  // namespace loom
