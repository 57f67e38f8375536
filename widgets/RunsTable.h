#pragma once

#include <loom/Project.h>

#include <QTableWidget>

#include <vector>

namespace loom {

/// RunsTable: a project's training runs, one row each, in the order of Project::runs: name
/// (with the run's chart colour and a check box that shows or hides it on the chart),
/// optimizer and its other hyperparameters, learning rate, batch size, epochs, the final
/// training and validation loss and accuracy, and when it started. Comparing SGD, RMSprop and
/// Adagrad is reading three rows.
class RunsTable : public QTableWidget {
    Q_OBJECT

public:
    enum Column {
        Name,
        Optimizer,
        LearningRate,
        BatchSize,
        Epochs,
        Loss,
        Accuracy,
        ValidationLoss,
        ValidationAccuracy,
        Started,
        ColumnCount
    };

    explicit RunsTable(QWidget* parent = nullptr);

    void setRuns(const std::vector<RunRecord>& runs);
    void addRun(const RunRecord& run);
    bool isRunShown(int run) const;

signals:
    /// The check box of row `run` changed.
    void runVisibilityChanged(int run, bool visible);
    /// A row was selected (its run's index), -1 when none is.
    void runSelected(int run);

private:
    void fillRow(int row, const RunRecord& run);
    void setCell(int row, int column, const QString& text, const QString& toolTip = {});
};

}  // namespace loom
