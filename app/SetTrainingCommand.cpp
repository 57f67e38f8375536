#include "SetTrainingCommand.h"

#include "ProjectDocument.h"

namespace loom {

namespace {

/// Distinct from the network commands' ids (NetworkCommands.cpp), for QUndoStack's merging.
constexpr int kSetTrainingCommandId = 2001;

}  // namespace

SetTrainingCommand::SetTrainingCommand(ProjectDocument& document, TrainingConfig before,
                                       TrainingConfig after, const QString& setting)
    : QUndoCommand(QObject::tr("Set %1").arg(setting)),
      m_document(document),
      m_before(std::move(before)),
      m_after(std::move(after)),
      m_setting(setting) {}

void SetTrainingCommand::redo() {
    m_document.applyTraining(m_after);
}

void SetTrainingCommand::undo() {
    m_document.applyTraining(m_before);
}

int SetTrainingCommand::id() const {
    return kSetTrainingCommandId;
}

bool SetTrainingCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const SetTrainingCommand*>(other);
    if (next->m_setting != m_setting) {
        return false;
    }
    m_after = next->m_after;
    return true;
}

}  // namespace loom
