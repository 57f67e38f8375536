#include "ResultsPage.h"

#include "ConfusionMatrixView.h"
#include "MisclassifiedGallery.h"
#include "PredictView.h"
#include "TrainingController.h"

#include <QGridLayout>
#include <QLabel>

namespace loom {

ResultsPage::ResultsPage(TrainingController& controller, QWidget* parent)
    : QWidget(parent),
      m_controller(controller),
      m_heading(new QLabel(tr("Train a classifier to see how it does on held-out data."), this)),
      m_matrix(new ConfusionMatrixView(this)),
      m_mistakes(new MisclassifiedGallery(this)),
      m_predict(new PredictView(this)) {
    auto* grid = new QGridLayout(this);
    grid->addWidget(m_heading, 0, 0, 1, 2);
    grid->addWidget(m_matrix, 1, 0, 2, 1);
    grid->addWidget(m_mistakes, 1, 1);
    grid->addWidget(m_predict, 2, 1);
    grid->setColumnStretch(0, 3);
    grid->setColumnStretch(1, 2);
    connect(&controller, &TrainingController::resultsReady, this, &ResultsPage::showResults);
    connect(m_predict, &PredictView::imageChosen, this, &ResultsPage::predict);
}

void ResultsPage::showResults() {
    const std::optional<TrainingResults>& results = m_controller.results();
    if (!results) {
        return;
    }
    m_heading->setText(tr("On the %1 set: accuracy %2 %")
                           .arg(results->heldOutName)
                           .arg(results->accuracy * 100.0, 0, 'f', 2));
    m_matrix->setMatrix(results->classNames, results->confusion);
    m_mistakes->setMistakes(results->mistakes, results->classNames);
}

void ResultsPage::predict(const QString& path) {
    const Prediction prediction = m_controller.predictImage(path);
    if (prediction.error.isEmpty()) {
        m_predict->setPrediction(prediction.image, prediction.top);
    } else {
        m_predict->setError(prediction.error);
    }
}

}  // namespace loom
