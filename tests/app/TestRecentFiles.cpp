// RecentFiles, File > Open Recent's list: newest first, each file once, at most kMaximum, kept
// across restarts, and files that no longer exist dropped.

#include "RecentFiles.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace loom;

class TestRecentFiles : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString touch(const QString& name) {
        QFile file(m_dir.filePath(name));
        file.open(QIODevice::WriteOnly);
        return file.fileName();
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

    void clearEmptiesTheKeptList() {
        const QString settings = m_dir.filePath("cleared.ini");
        {
            RecentFiles recent(settings);
            recent.add(touch("a.loom"));
            recent.add(touch("b.loom"));
            QCOMPARE(recent.files(),
                     QStringList({m_dir.filePath("b.loom"), m_dir.filePath("a.loom")}));
            QSignalSpy changed(&recent, &RecentFiles::changed);
            recent.clear();
            QCOMPARE(changed.count(), 1);
            QVERIFY(recent.files().isEmpty());
        }
        QVERIFY(RecentFiles(settings).files().isEmpty());
    }
};

QTEST_MAIN(TestRecentFiles)
#include "TestRecentFiles.moc"
