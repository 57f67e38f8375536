#pragma once

#include <QUndoCommand>

#include <functional>
#include <utility>

namespace loom {

/// Changes one of the project's settings sections (the training settings, the data section)
/// as one undo step, through `apply`, which stores the value and tells the views. Successive
/// edits of the same setting (a spin box stepped several times) merge into one step.
template <typename Value>
class SetSettingCommand : public QUndoCommand {
public:
    using Apply = std::function<void(const Value&)>;

    /// id: one per kind of section, distinct from the network commands' (NetworkCommands.cpp),
    /// for QUndoStack's merging.
    SetSettingCommand(int id, Apply apply, Value before, Value after, const QString& setting)
        : QUndoCommand(QObject::tr("Set %1").arg(setting)),
          m_id(id),
          m_apply(std::move(apply)),
          m_before(std::move(before)),
          m_after(std::move(after)),
          m_setting(setting) {}

    void redo() override { m_apply(m_after); }
    void undo() override { m_apply(m_before); }
    int id() const override { return m_id; }
    bool mergeWith(const QUndoCommand* other) override {
        const auto* next = static_cast<const SetSettingCommand*>(other);
        if (next->m_setting != m_setting) {
            return false;
        }
        m_after = next->m_after;
        return true;
    }

private:
    int m_id;
    Apply m_apply;
    Value m_before, m_after;
    QString m_setting;
};

}  // namespace loom
