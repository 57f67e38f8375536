#pragma once

#include <QDateTime>
#include <QObject>
#include <QString>
#include <QTimer>

#include <vector>

namespace loom {

class ProjectDocument;

/// Autosave: while the document has unsaved edits, writes a copy of it to a recovery file
/// every interval, so a crash loses at most one interval of work. The copy goes when the
/// document is saved, reopened or closed cleanly; copies still there at the next start are
/// what a crashed session left, offered for recovery (see leftovers()).
class Autosave : public QObject {
    Q_OBJECT

public:
    /// A recovery copy left behind: where it is, the file it was a copy of (empty for a
    /// project never saved) and when it was written.
    struct Leftover {
        QString recoveryPath;
        QString originalPath;
        QDateTime savedAt;
    };

    Autosave(ProjectDocument& document, const QString& recoveryFolder, int intervalMs,
             QObject* parent = nullptr);
    ~Autosave() override;

    /// The recovery copies in recoveryFolder, newest first.
    static std::vector<Leftover> leftovers(const QString& recoveryFolder);
    /// Deletes a leftover copy and what is written beside it.
    static void removeLeftover(const Leftover& leftover);
    /// The user's recovery folder (under the application's data location).
    static QString defaultFolder();

    /// Writes the copy now when there are unsaved edits; false (and failed()) when it cannot.
    bool saveNow();
    /// Removes this session's copy.
    void discard();
    const QString& recoveryPath() const { return m_recoveryPath; }

signals:
    void saved(const QString& recoveryPath);
    void failed(const QString& message);

private:
    ProjectDocument& m_document;
    QString m_folder;
    QString m_recoveryPath;
    QTimer m_timer;
};

}  // namespace loom
