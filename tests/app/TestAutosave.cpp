// Autosave, what File's recovery after a crash stands on: a copy of the unsaved edits that goes
// when the document is saved or closed cleanly, and stays, whole, when the session crashes.

#include "Autosave.h"
#include "ProjectDocument.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace loom;

class TestAutosave : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QString example(const char* name) {
        return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
    }

    /// Changes the document's batch size, one undoable edit.
    static void editBatchSize(ProjectDocument& document, int64_t batchSize) {
        TrainingConfig training = document.project().training;
        training.batchSize = batchSize;
        document.setTraining(training, "batch size");
    }

private slots:
    void keepsUnsavedEditsUntilSaved() {
        const QString folder = m_dir.filePath("recovery");
        ProjectDocument document;
        document.open(example("w1_softmax.json"));
        const QString project = m_dir.filePath("w1.loom");
        document.save(project);
        Autosave autosave(document, folder, 3600 * 1000);
        QSignalSpy saved(&autosave, &Autosave::saved);
        QVERIFY(autosave.saveNow());  // nothing to save yet
        QVERIFY(Autosave::leftovers(folder).empty());
        QCOMPARE(saved.count(), 0);

        editBatchSize(document, 77);
        QVERIFY(autosave.saveNow());
        QCOMPARE(saved.count(), 1);
        QCOMPARE(saved[0][0].toString(), autosave.recoveryPath());
        std::vector<Autosave::Leftover> left = Autosave::leftovers(folder);
        QCOMPARE(left.size(), size_t(1));
        QCOMPARE(left[0].recoveryPath, autosave.recoveryPath());
        QCOMPARE(left[0].originalPath, project);
        QVERIFY(left[0].savedAt.secsTo(QDateTime::currentDateTimeUtc()) < 60);

        // What a crashed session leaves is a whole project with the unsaved edit.
        ProjectDocument recovered;
        recovered.open(left[0].recoveryPath);
        QCOMPARE(recovered.project().training.batchSize, int64_t(77));

        document.save(project);
        QVERIFY(Autosave::leftovers(folder).empty());
    }

    void aCleanCloseLeavesNoCopy() {
        const QString folder = m_dir.filePath("closed");
        ProjectDocument document;
        document.open(example("w1_softmax.json"));
        {
            Autosave autosave(document, folder, 3600 * 1000);
            editBatchSize(document, 33);
            QVERIFY(autosave.saveNow());
            QCOMPARE(Autosave::leftovers(folder).size(), size_t(1));
            // A project never saved: the copy names no original.
            QVERIFY(Autosave::leftovers(folder)[0].originalPath.isEmpty());
        }
        QVERIFY(Autosave::leftovers(folder).empty());
        QVERIFY(QDir(folder).entryList(QDir::Files).isEmpty());  // the note beside it too
    }

    void removeLeftoverDeletesTheCopyAndItsNote() {
        const QString folder = m_dir.filePath("removed");
        ProjectDocument document;
        document.open(example("w1_softmax.json"));
        Autosave autosave(document, folder, 3600 * 1000);
        editBatchSize(document, 12);
        QVERIFY(autosave.saveNow());
        QCOMPARE(QDir(folder).entryList(QDir::Files).size(), 2);
        Autosave::removeLeftover(Autosave::leftovers(folder).at(0));
        QVERIFY(QDir(folder).entryList(QDir::Files).isEmpty());
    }

    void reportsAFolderItCannotCreate() {
        const QString blocker = m_dir.filePath("a-file");
        QFile file(blocker);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        ProjectDocument document;
        document.open(example("w1_softmax.json"));
        Autosave autosave(document, blocker + "/recovery", 3600 * 1000);
        QSignalSpy failed(&autosave, &Autosave::failed);
        editBatchSize(document, 5);
        QVERIFY(!autosave.saveNow());
        QCOMPARE(failed.count(), 1);
        const QString message = failed[0][0].toString();
        QVERIFY2(message.startsWith("Autosave failed") && message.contains(blocker),
                 qPrintable(message));
    }
};

QTEST_MAIN(TestAutosave)
#include "TestAutosave.moc"
