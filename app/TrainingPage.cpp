#include "TrainingPage.h"

#include "ExperimentDialog.h"
#include "ProjectDocument.h"
#include "RunsTable.h"
#include "TrainingChart.h"
#include "TrainingController.h"
#include "TrainingProgress.h"

#include <QHBoxLayout>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace loom {

TrainingPage::TrainingPage(ProjectDocument& document, QWidget* parent)
    : QWidget(parent),
      m_document(document),
      m_controller(new TrainingController(document.project(), this)),
      m_progress(new TrainingProgress(this)),
      m_chart(new TrainingChart(this)),
      m_runs(new RunsTable(this)) {
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_chart);
    split->addWidget(m_runs);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(createButtons());
    layout->addWidget(m_progress);
    layout->addWidget(split, 1);
    connectController();
    connect(m_runs, &RunsTable::runVisibilityChanged, m_chart, &TrainingChart::setRunVisible);
    updateButtons();
}

QWidget* TrainingPage::createButtons() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    m_train = new QPushButton(tr("&Train"), bar);
    m_train->setObjectName(QStringLiteral("trainButton"));
    m_train->setToolTip(
        tr("Train for the set number of epochs, continuing from the current "
           "weights (F5)"));
    m_trainFromScratch = new QPushButton(tr("Train from &scratch"), bar);
    m_trainFromScratch->setToolTip(tr("Fresh, seeded weights and optimizer, then train"));
    m_pause = new QPushButton(tr("&Pause"), bar);
    m_pause->setObjectName(QStringLiteral("pauseButton"));
    m_pause->setCheckable(true);
    m_stop = new QPushButton(tr("S&top"), bar);
    m_experiment = new QPushButton(tr("E&xperiment..."), bar);
    m_experiment->setObjectName(QStringLiteral("experimentButton"));
    m_experiment->setToolTip(
        tr("Train once per combination of settings (optimizers, learning rates, layer sizes) "
           "and compare the runs"));
    m_keepBest = new QPushButton(tr("Keep &best"), bar);
    m_keepBest->setObjectName(QStringLiteral("keepBestButton"));
    m_keepBest->setToolTip(
        tr("Make the starred run of the last experiment the project's: its settings and "
           "trained weights"));
    for (QPushButton* button :
         {m_train, m_trainFromScratch, m_pause, m_stop, m_experiment, m_keepBest}) {
        row->addWidget(button);
    }
    connect(m_experiment, &QPushButton::clicked, this, &TrainingPage::chooseExperiment);
    connect(m_keepBest, &QPushButton::clicked, this, &TrainingPage::keepBestTrial);
    row->addStretch(1);
    connect(m_train, &QPushButton::clicked, this,
            [this] { emit trainRequested(TrainingController::Start::Continue); });
    connect(m_trainFromScratch, &QPushButton::clicked, this,
            [this] { emit trainRequested(TrainingController::Start::FromScratch); });
    connect(m_pause, &QPushButton::toggled, m_controller, &TrainingController::setPaused);
    connect(m_stop, &QPushButton::clicked, m_controller, &TrainingController::stop);
    return bar;
}

void TrainingPage::connectController() {
    TrainingController* c = m_controller;
    connect(c, &TrainingController::runStarted, this, [this](int, const QString& name) {
        m_chart->addRun(name);
        m_progress->reset();
    });
    connect(c, &TrainingController::batchesReported, m_chart, &TrainingChart::addBatches);
    connect(c, &TrainingController::batchesReported, m_progress,
            [this](int, const std::vector<BatchProgress>& batches) {
                m_progress->showBatch(batches.back());
            });
    connect(c, &TrainingController::epochReported, m_chart, &TrainingChart::addEpoch);
    connect(c, &TrainingController::preparationReported, m_progress,
            [this](int, const PreparationProgress& p) { m_progress->showPreparation(p); });
    connect(c, &TrainingController::deviceStatusChanged, m_progress,
            &TrainingProgress::setDeviceStatus);
    connect(c, &TrainingController::runRecorded, this, [this](int, const RunRecord& record) {
        m_runs->addRun(record);
        m_progress->showFinished(tr("Finished: %1").arg(QString::fromStdString(record.name)));
        // Runs and weights are not undoable edits, but they are unsaved work.
        m_document.markChangedOutsideUndo();
    });
    connect(c, &TrainingController::runDiscarded, this,
            [this] { m_chart->setRuns(m_document.project().runs); });
    connect(c, &TrainingController::trainingFailed, m_progress,
            [this](const QString& message) { m_progress->showFinished(message); });
    connect(c, &TrainingController::stateChanged, this, &TrainingPage::updateButtons);
    connect(c, &TrainingController::experimentFinished, this, [this] {
        m_runs->markBest(m_controller->bestTrialRun().value_or(-1));
        updateButtons();
    });
}

void TrainingPage::chooseExperiment() {
    ExperimentDialog dialog(m_document.project().experiment, this);
    if (dialog.exec() == QDialog::Accepted) {
        startExperiment(dialog.plan());
    }
}

bool TrainingPage::startExperiment(const ExperimentPlan& plan) {
    if (!m_controller->runExperiment(plan)) {
        return false;
    }
    m_document.project().experiment = plan.toJson();
    m_document.markChangedOutsideUndo();
    return true;
}

void TrainingPage::keepBestTrial() {
    const std::optional<int> best = m_controller->bestTrialRun();
    if (best && m_controller->keepBestTrial()) {
        m_document.networkAndTrainingReplaced();
        m_progress->showFinished(
            tr("Kept %1").arg(QString::fromStdString(m_document.project().runs.at(*best).name)));
    }
    updateButtons();
}

void TrainingPage::updateButtons() {
    using State = TrainingController::State;
    const State state = m_controller->state();
    m_train->setEnabled(state == State::Idle);
    m_trainFromScratch->setEnabled(state == State::Idle);
    m_pause->setEnabled(state == State::Running || state == State::Paused);
    m_stop->setEnabled(state == State::Running || state == State::Paused);
    m_experiment->setEnabled(state == State::Idle);
    m_keepBest->setEnabled(state == State::Idle && m_controller->bestTrialRun().has_value());
    if (state == State::Idle) {
        m_pause->setChecked(false);
    }
}

void TrainingPage::showProjectRuns() {
    m_chart->setRuns(m_document.project().runs);
    m_runs->setRuns(m_document.project().runs);
    updateButtons();
    m_progress->reset();
}

}  // namespace loom
