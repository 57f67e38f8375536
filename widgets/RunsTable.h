#pragma once

#include <loom/Project.h>

#include <QTableWidget>

#include <vector>

namespace loom {

/// RunsTable: a project's training runs, one row each, in the order of Project::runs: name
/// (with the run's chart colour and a check box that shows or hides it on the chart),
/// optimizer and its other hyperparameters, learning rate, batch size, epochs, the final
/// training and validation loss and accuracy, and when it started. Comparing SGD, RMSprop and
/// Adagrad is reading three rows; a click on a column's header sorts by it.
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
    /// Marks the run that did best in an experiment with a star; -1 clears the mark.
    void markBest(int run);
    /// The row showing run `run` (rows sort by any column); -1 when there is none.
    int rowOf(int run) const;

signals:
    /// The check box of row `run` changed.
    void runVisibilityChanged(int run, bool visible);
    /// A row was selected (its run's index), -1 when none is.
    void runSelected(int run);

private:
    void fillRow(int row, const RunRecord& run);
    void setCell(int row, int column, const QString& text, const QString& toolTip = {});
    /// A cell that sorts by `value` (a run without one sorts by its text, "–").
    void setNumberCell(int row, int column, double value, const QString& text);
};

}  // namespace loom
