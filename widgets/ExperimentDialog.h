#pragma once
/// ExperimentDialog (Training > Experiment...): the settings an experiment varies, one row each
/// (a setting and its values, comma-separated as loom-cli's --vary takes them), every
/// combination or a random sample of them, and how many trials that makes. The rows start as
/// the project's last experiment, or the three-optimizer comparison.

#include <loom/Experiment.h>

#include <QDialog>

#include <vector>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QVBoxLayout;

namespace loom {

class ExperimentDialog : public QDialog {
    Q_OBJECT

public:
    /// `experiment`: the project's experiment section (ExperimentPlan::toJson), or empty.
    explicit ExperimentDialog(const nlohmann::json& experiment, QWidget* parent = nullptr);

    /// The plan the rows make; valid while summary() reports no problem.
    const ExperimentPlan& plan() const { return m_plan; }
    /// Sets row `row` (added when it is the next one): what a person types.
    void setRow(int row, const QString& setting, const QString& values);
    int rowCount() const { return static_cast<int>(m_rows.size()); }
    QSpinBox* randomTrials() const { return m_random; }
    /// "3 trials", or what is wrong with the rows.
    QLabel* summary() const { return m_summary; }

private:
    struct Row {
        QWidget* widget;
        QComboBox* setting;
        QLineEdit* values;
    };
    void addRow(const QString& setting, const QString& values);
    void removeRow(QWidget* row);
    void updatePlan();

    QVBoxLayout* m_rowsLayout = nullptr;
    std::vector<Row> m_rows;
    QSpinBox* m_random = nullptr;
    QLabel* m_summary = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
    ExperimentPlan m_plan;
};

}  // namespace loom
