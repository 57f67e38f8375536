#pragma once

#include <loom/Project.h>

#include <QObject>
#include <QString>

#include <memory>

class QUndoStack;

namespace loom {

class NetworkModel;

/// ProjectDocument: the project being edited — graph with canvas positions, training
/// settings, data reference, runs and weights (loom::Project) — with the undo stack every edit
/// goes on. The network is edited through network() (one undo command per edit, see
/// NetworkCommands.h), the training settings through setTraining. Opening replaces the whole
/// project and clears the history; a file that cannot be read leaves the document as it was.
class ProjectDocument : public QObject {
    Q_OBJECT

public:
    explicit ProjectDocument(QObject* parent = nullptr);
    ~ProjectDocument() override;

    const Project& project() const { return m_project; }
    /// For the training controller, which adds runs and weights; edits of the network or the
    /// settings must go through network() and setTraining so that they can be undone.
    Project& project() { return m_project; }
    NetworkModel& network() const { return *m_network; }
    QUndoStack& undoStack() const { return *m_undoStack; }
    const QString& path() const { return m_path; }
    /// True when there are edits since the last open or save.
    bool isModified() const;

    /// Opens a project file (.loom) or a graph JSON file (examples/*.json, with optional
    /// "training" and "data" sections). Throws loom::Error (or nlohmann's parse error) saying
    /// what is wrong; the document is then unchanged. Graphs without canvas positions are
    /// laid out tidily.
    void open(const QString& path);
    /// Saves as a .loom project (atomically); throws IoError. Marks the document unmodified.
    /// Weights are saved only while they still fit the network; after an edit that changed
    /// what they were made for, the runs are saved without them.
    void save(const QString& path);

    /// One undo step that sets the training settings; `setting` names what changed ("batch
    /// size") for the Edit menu, and successive changes of one setting merge.
    void setTraining(const TrainingConfig& training, const QString& setting);
    /// Applied by SetTrainingCommand.
    void applyTraining(const TrainingConfig& training);

signals:
    void trainingChanged();
    /// A different project was opened: every view shows it afresh.
    void projectReplaced();
    void modifiedChanged(bool modified);

private:
    void replaceProject(Project project, const QString& path);

    Project m_project;
    QString m_path;
    QUndoStack* m_undoStack;
    std::unique_ptr<NetworkModel> m_network;
};

}  // namespace loom
