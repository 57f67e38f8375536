#pragma once

#include <loom/Project.h>
#include <loom/RunSnapshot.h>

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

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

    /// Opens a project (.loom), a graph JSON file (examples/*.json, with optional "training"
    /// and "data" sections) or a model to import (Keras .h5/.keras, TF.js model.json, ONNX).
    /// Only a project keeps its path; anything else opens untitled, so saving asks where. Throws
    /// loom::Error saying what is wrong; the document is then unchanged. Graphs without canvas
    /// positions are laid out tidily.
    void open(const QString& path);
    /// An empty, untitled project (File > New).
    void clear();
    /// A project made in the window (File > New from Pretrained), untitled and unsaved: it
    /// holds weights nobody has saved yet, so closing asks.
    void startFrom(Project project, const QString& name);
    /// Saves as a .loom project (atomically); throws IoError. Marks the document unmodified.
    /// Weights are saved only while they still fit the network; after an edit that changed
    /// what they were made for, the runs are saved without them. During a training run the
    /// file also holds the run so far (see setRunInProgress).
    void save(const QString& path);
    /// The autosave copy: when the document has unsaved changes or a run is in progress,
    /// writes the project as save() does, without taking the path or marking it saved, and
    /// returns true; otherwise writes nothing and returns false.
    bool writeUnsavedCopy(const QString& path);
    /// Where saves find the training run in progress, if any: its record so far and the
    /// weights of its last finished epoch, written with the document.
    void setRunInProgress(std::function<std::optional<RunInProgress>()> source);
    /// Writes the network, its weights and training settings in the format the name asks for
    /// (.h5 Keras, .onnx, model.json TF.js, .json graph); a network never trained is written
    /// with the initial weights its first run would start from.
    void exportModel(const QString& path);
    /// The project's name for the title bar: the file's name without its extension.
    QString displayName() const;
    /// Where Save As first proposes: the project's file, else beside the file the document
    /// was opened from (an example, an imported model), under its name, as a project.
    QString suggestedSavePath() const;
    /// What the last import left out (an optimizer Loom lacks, say), for the log.
    const QStringList& importNotes() const { return m_importNotes; }

    /// One undo step that replaces the data section (source and preprocessing, as the Data tab
    /// edits it); successive changes merge.
    void setData(const nlohmann::json& data);
    /// Marks the document modified by a change that is not an undoable edit (a training run
    /// added runs and changed the weights).
    void markChangedOutsideUndo();
    /// The network and training settings were replaced outside the undo stack (an
    /// experiment's best trial kept): every view shows them afresh, the document is modified,
    /// and the edits before can no longer be undone.
    void networkAndTrainingReplaced();

    /// One undo step that sets the training settings; `setting` names what changed ("batch
    /// size") for the Edit menu, and successive changes of one setting merge.
    void setTraining(const TrainingConfig& training, const QString& setting);

signals:
    void trainingChanged();
    void dataChanged();
    /// A different project was opened: every view shows it afresh.
    void projectReplaced();
    void modifiedChanged(bool modified);

private:
    void replaceProject(Project project, const QString& path);
    void dropWeightsThatNoLongerFit();
    std::optional<RunInProgress> runInProgress() const;
    void write(const QString& path, const std::optional<RunInProgress>& run);

    Project m_project;
    QString m_path;
    QString m_displayName;
    QString m_sourceFolder;  ///< of the file opened, empty for a new document
    QStringList m_importNotes;
    QUndoStack* m_undoStack;
    std::unique_ptr<NetworkModel> m_network;
    std::function<std::optional<RunInProgress>()> m_runInProgress;
};

}  // namespace loom
