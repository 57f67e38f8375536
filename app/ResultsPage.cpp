#include "ResultsPage.h"

#include "ConfusionMatrixView.h"
#include "DrawingPad.h"
#include "ExplanationJob.h"
#include "ExplanationView.h"
#include "MisclassifiedGallery.h"
#include "PredictView.h"
#include "TrainingController.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace loom {

ResultsPage::ResultsPage(TrainingController& controller, QWidget* parent)
    : QWidget(parent),
      m_controller(controller),
      m_heading(new QLabel(tr("Train a classifier to see how it does on held-out data."), this)),
      m_matrix(new ConfusionMatrixView(this)),
      m_mistakes(new MisclassifiedGallery(this)),
      m_predict(new PredictView(this)),
      m_pad(new DrawingPad(this)),
      m_explanation(new ExplanationView(this)),
      m_job(new ExplanationJob(this)) {
    auto* drawing = new QGroupBox(tr("Draw a digit"), this);
    auto* drawingLayout = new QVBoxLayout(drawing);
    drawingLayout->addWidget(m_pad, 1);
    auto* clear = new QPushButton(tr("&Clear"), drawing);
    drawingLayout->addWidget(clear);
    // Left: how the model does on held-out data. Right: one picture at a time, opened, dropped
    // or drawn, with its answer and why.
    auto* heldOut = new QWidget(this);
    auto* left = new QVBoxLayout(heldOut);
    left->setContentsMargins(0, 0, 0, 0);
    left->addWidget(m_heading);
    left->addWidget(m_matrix, 3);
    left->addWidget(m_mistakes, 2);
    auto* single = new QWidget(this);
    auto* right = new QVBoxLayout(single);
    right->setContentsMargins(0, 0, 0, 0);
    auto* inputs = new QHBoxLayout;
    inputs->addWidget(m_predict, 3);
    inputs->addWidget(drawing, 2);
    right->addLayout(inputs, 1);
    right->addWidget(m_explanation, 1);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(heldOut);
    splitter->addWidget(single);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
    connect(&controller, &TrainingController::resultsReady, this, &ResultsPage::showResults);
    connect(m_predict, &PredictView::imageChosen, this, &ResultsPage::predict);
    connect(clear, &QPushButton::clicked, m_pad, &DrawingPad::clear);
    connect(m_pad, &DrawingPad::drawn, this,
            [this] { show(m_controller.predictDrawing(m_pad->ink()), false); });
    connect(m_pad, &DrawingPad::strokeFinished, this, &ResultsPage::predictDrawing);
    connect(m_job, &ExplanationJob::finished, this, &ResultsPage::showExplanation);
    connect(m_mistakes, &MisclassifiedGallery::mistakeChosen, this,
            [this](const Mistake& m) { showHeldOutSample(m.sample); });
}

void ResultsPage::showHeldOutSample(const Tensor& sample) {
    show(m_controller.predictHeldOut(sample), true);
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
    show(m_controller.predictImage(path), true);
}

void ResultsPage::predictDrawing() {
    show(m_controller.predictDrawing(m_pad->ink()), true);
}

void ResultsPage::show(const Prediction& prediction, bool explain) {
    if (!prediction.error.isEmpty()) {
        m_predict->setError(prediction.error);
        m_explanation->setMessage(QString());
        return;
    }
    m_predict->setPrediction(prediction.image, prediction.top);
    emit predictionShown(prediction);
    if (explain) {
        if (std::optional<TrainedModel> model = m_controller.trainedModel()) {
            m_explanation->setMessage(tr("Working out where the model looks..."));
            m_job->start(std::move(*model), prediction);
        }
    }
}

void ResultsPage::showExplanation(const Explanation& explanation) {
    if (explanation.error.isEmpty()) {
        m_explanation->setExplanation(explanation.picture, explanation.subject, explanation.maps);
    } else {
        m_explanation->setMessage(tr("No explanation: %1").arg(explanation.error));
    }
}

}  // namespace loom
