#pragma once

#include <loom/TrainingConfig.h>

#include <QString>
#include <QWidget>

#include <functional>
#include <vector>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QVBoxLayout;

namespace loom {

class ParamForm;

/// HyperparameterPanel: the model's training settings, shown by the property editor when no
/// layer is selected: optimizer and its hyperparameters (generated from the optimizer's
/// declaration), loss, metrics, batch size, epochs, learning-rate schedule, early stopping,
/// seed and the device (the CPU or each GPU with its memory). It edits nothing itself: each
/// change is reported as the whole new configuration, and the document applies it as one undo
/// step and calls setTraining back.
class HyperparameterPanel : public QWidget {
    Q_OBJECT

public:
    explicit HyperparameterPanel(QWidget* parent = nullptr);

    void setTraining(const TrainingConfig& training);
    const TrainingConfig& training() const { return m_training; }
    /// The optimizer's generated hyperparameter form.
    ParamForm* optimizerForm() const { return m_optimizerForm; }

signals:
    /// `setting` names what changed ("batch size"), for the undo history.
    void trainingEdited(const TrainingConfig& training, const QString& setting);

private:
    using Change = std::function<void(TrainingConfig&)>;

    QFormLayout* addSection(QVBoxLayout* layout, const QString& title);
    void createOptimizerSection(QVBoxLayout* layout);
    void createTrainingSection(QVBoxLayout* layout);
    void createScheduleSection(QVBoxLayout* layout);
    void createEarlyStoppingSection(QVBoxLayout* layout);
    void createDeviceSection(QVBoxLayout* layout);
    void addInteger(QFormLayout* form, const QString& setting, int min, int max,
                    std::function<int64_t(const TrainingConfig&)> get,
                    std::function<void(TrainingConfig&, int64_t)> set);
    void addReal(QFormLayout* form, const QString& setting, double min, double max,
                 std::function<double(const TrainingConfig&)> get,
                 std::function<void(TrainingConfig&, double)> set);
    QCheckBox* addFlag(QFormLayout* form, const QString& setting,
                       std::function<bool(const TrainingConfig&)> get,
                       std::function<void(TrainingConfig&, bool)> set);
    QComboBox* addChoice(QFormLayout* form, const QString& setting, const QStringList& choices,
                         std::function<std::string(const TrainingConfig&)> get,
                         std::function<void(TrainingConfig&, const std::string&)> set);
    void edit(const QString& setting, const Change& change);
    void rebuildOptimizerForm();
    void changeOptimizer(const std::string& type);

    TrainingConfig m_training;
    /// Each shows its setting of m_training again, without reporting an edit.
    std::vector<std::function<void()>> m_refreshers;
    QFormLayout* m_optimizerLayout = nullptr;
    ParamForm* m_optimizerForm = nullptr;
    std::string m_formOptimizer;
};

}  // namespace loom
