#pragma once

#include <loom/TrainingConfig.h>

#include <QString>
#include <QUndoCommand>

namespace loom {

class ProjectDocument;

/// Changes the model's training settings (optimizer, its hyperparameters, loss, batch size,
/// epochs, schedule, seed, device). Successive edits of the same setting (a spin box stepped
/// several times) merge into one undo step.
class SetTrainingCommand : public QUndoCommand {
public:
    SetTrainingCommand(ProjectDocument& document, TrainingConfig before, TrainingConfig after,
                       const QString& setting);
    void redo() override;
    void undo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    ProjectDocument& m_document;
    TrainingConfig m_before, m_after;
    QString m_setting;
};

}  // namespace loom
