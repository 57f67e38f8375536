#pragma once

#include "TrainingController.h"

#include <QWidget>

class QPushButton;

namespace loom {

class ProjectDocument;
class RunsTable;
class TrainingChart;
class TrainingController;
class TrainingProgress;

/// TrainingPage: the Training tab. Train, Train from scratch, Pause and Stop drive one
/// TrainingController on the document's project; the progress bar, the live chart and the
/// table of the project's runs (earlier runs overlaid, toggled from the table) show what it
/// reports. Experiment... runs several settings one after another (TrainingController::
/// runExperiment), each trial a run of its own; Keep best makes the starred one the project's.
class TrainingPage : public QWidget {
    Q_OBJECT

public:
    explicit TrainingPage(ProjectDocument& document, QWidget* parent = nullptr);

    TrainingController& controller() const { return *m_controller; }
    TrainingChart* chart() const { return m_chart; }
    RunsTable* runsTable() const { return m_runs; }

    /// Shows the project's recorded runs afresh (after a project was opened).
    void showProjectRuns();
    /// Opens the experiment dialog and runs what it sets up (the Experiment... button).
    void chooseExperiment();
    /// Starts an experiment and keeps its plan as the project's (what the dialog's Run does).
    bool startExperiment(const ExperimentPlan& plan);
    /// Makes the last experiment's best run the project's (the Keep best button).
    void keepBestTrial();

signals:
    /// Train or Train from scratch was pressed; the window checks the network, then trains.
    void trainRequested(TrainingController::Start start);

private:
    QWidget* createButtons();
    void connectController();
    void updateButtons();

    ProjectDocument& m_document;
    TrainingController* m_controller;
    TrainingProgress* m_progress;
    TrainingChart* m_chart;
    RunsTable* m_runs;
    QPushButton* m_train = nullptr;
    QPushButton* m_trainFromScratch = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_experiment = nullptr;
    QPushButton* m_keepBest = nullptr;
};

}  // namespace loom
