// What the File menu stands on: the recent-files list and autosave with recovery after a crash.

#include "Autosave.h"
#include "ProjectDocument.h"
#include "RecentFiles.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace loom;

class TestFileMenu : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString touch(const QString& name) {
        QFile file(m_dir.filePath(name));
        file.open(QIODevice::WriteOnly);
        return file.fileName();
    }

    QString example(const char* name) {
        return qEnvironmentVariable("LOOM_SOURCE_DIR") + "/examples/" + name;
    }

private slots:
    void recentFilesNewestFirstAndBounded() {
        const QString settings = m_dir.filePath("settings.ini");
        {
            RecentFiles recent(settings);
            QSignalSpy changed(&recent, &RecentFiles::changed);
            for (int i = 0; i < RecentFiles::kMaximum + 3; ++i) {
                recent.add(touch(QString("p%1.loom").arg(i)));
            }
            recent.add(m_dir.filePath("p5.loom"));
            QCOMPARE(changed.count(), RecentFiles::kMaximum + 4);
        }
        RecentFiles reread(settings);  // kept across restarts
        QStringList files = reread.files();
        QCOMPARE(files.size(), RecentFiles::kMaximum);
        QCOMPARE(files.first(), m_dir.filePath("p5.loom"));
        QCOMPARE(files.count(m_dir.filePath("p5.loom")), 1);
        QCOMPARE(files.at(1), m_dir.filePath("p12.loom"));
        QFile::remove(m_dir.filePath("p12.loom"));
        QVERIFY(!reread.files().contains(m_dir.filePath("p12.loom")));
    }

    void autosaveKeepsUnsavedEditsUntilSaved() {
        const QString folder = m_dir.filePath("recovery");
        ProjectDocument document;
        document.open(example("w1_softmax.json"));
        const QString project = m_dir.filePath("w1.loom");
        document.save(project);
        Autosave autosave(document, folder, 3600 * 1000);
        QVERIFY(autosave.saveNow());  // nothing to save yet
        QVERIFY(Autosave::leftovers(folder).empty());

        TrainingConfig training = document.project().training;
        training.batchSize = 77;
        document.setTraining(training, "batch size");
        QVERIFY(autosave.saveNow());
        std::vector<Autosave::Leftover> left = Autosave::leftovers(folder);
        QCOMPARE(left.size(), size_t(1));
        QCOMPARE(left[0].originalPath, project);
        QVERIFY(left[0].savedAt.secsTo(QDateTime::currentDateTimeUtc()) < 60);

        // What a crashed session leaves is a whole project with the unsaved edit.
        ProjectDocument recovered;
        recovered.open(left[0].recoveryPath);
        QCOMPARE(recovered.project().training.batchSize, int64_t(77));

        document.save(project);
        QVERIFY(Autosave::leftovers(folder).empty());
    }
};

QTEST_MAIN(TestFileMenu)
#include "TestFileMenu.moc"
