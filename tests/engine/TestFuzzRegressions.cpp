// Inputs the fuzzers (tests/fuzz, scripts/fuzz.sh) found to crash a reader, make it allocate
// without bound or throw something other than a clean error, each minimised and kept in
// tests/fixtures/fuzz/ as <reader>-<what>.<ext>. Every one must now be refused with the
// reader's IoError (DataError for the data readers) that names the file, through the same
// reader call the fuzzer made (FuzzReaders.h).

#include "../fuzz/FuzzReaders.h"

#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace loom;

namespace {

std::filesystem::path fixtureFolder() {
    QString source = qEnvironmentVariable("LOOM_SOURCE_DIR");
    if (source.isEmpty()) {
        source = QFileInfo(QStringLiteral(__FILE__)).absoluteDir().filePath("../..");
    }
    return std::filesystem::path(source.toStdString()) / "tests/fixtures/fuzz";
}

/// The reader a regression input was found with, from its name's prefix; -1 when unknown.
int readerOf(const std::string& fileName) {
    const std::string prefix = fileName.substr(0, fileName.find('-'));
    for (fuzz::Reader reader : fuzz::kReaders) {
        if (prefix == fuzz::prefixOf(reader)) {
            return static_cast<int>(reader);
        }
    }
    return -1;
}

QString knownPrefixes() {
    QStringList prefixes;
    for (fuzz::Reader reader : fuzz::kReaders) {
        prefixes << QString(fuzz::prefixOf(reader)) + '-';
    }
    return prefixes.join(", ");
}

/// What the reader throws for the file: its message when it is the reader's clean refusal,
/// else "no exception" or "wrong exception type: ...".
QString refusalMessage(fuzz::Reader reader, const std::string& path) {
    try {
        fuzz::readWith(reader, path);
    } catch (const std::exception& e) {
        return fuzz::isRefusal(reader, e) ? QString::fromStdString(e.what())
                                          : "wrong exception type: " + QString(e.what());
    }
    return "no exception";
}

}  // namespace

class TestFuzzRegressions : public QObject {
    Q_OBJECT

private slots:
    void refusedCleanly_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("reader");
        std::vector<std::filesystem::path> files;
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(fixtureFolder(), error)) {
            if (entry.is_regular_file() && entry.path().filename() != "README.md") {
                files.push_back(entry.path());
            }
        }
        if (files.empty()) {  // a missing or emptied folder fails below instead of passing
            QTest::newRow("no inputs") << QString::fromStdString(fixtureFolder().string()) << -1;
        }
        std::sort(files.begin(), files.end());
        for (const std::filesystem::path& file : files) {
            const std::string name = file.filename().string();
            QTest::newRow(name.c_str()) << QString::fromStdString(file.string()) << readerOf(name);
        }
    }

    void refusedCleanly() {
        QFETCH(QString, file);
        QFETCH(int, reader);
        QVERIFY2(reader >= 0, qPrintable(file +
                                         ": the name does not start with a reader's "
                                         "prefix (" +
                                         knownPrefixes() + ")"));
        const auto fuzzReader = static_cast<fuzz::Reader>(reader);
        if (fuzzReader == fuzz::Reader::Image && !imageFilesAvailable()) {
            QSKIP("this build reads no image files (no OpenCV)");
        }
        const std::string path = file.toStdString();
        const QString message = refusalMessage(fuzzReader, path);
        QVERIFY2(message != "no exception" && !message.startsWith("wrong exception"),
                 qPrintable(file + ": " + message));
        const QString named = QString::fromStdString(fuzz::namedFile(fuzzReader, path));
        QVERIFY2(message.contains(named), qPrintable(message + " does not name " + named));
        qInfo("%s", qPrintable(message.mid(message.indexOf(named) + named.size())));
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "TestFuzzRegressions.moc"
