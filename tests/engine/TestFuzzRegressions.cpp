// Inputs the fuzzers (tests/fuzz, scripts/fuzz.sh) found to crash a reader, make it allocate
// without bound or throw something other than a clean error, each minimised and kept in
// tests/fixtures/fuzz/ as <reader>-<what>.<ext>. Every one must now be refused with an IoError
// that names the file, through the same reader call the fuzzer made (FuzzReaders.h).

#include "../fuzz/FuzzReaders.h"
#include "support/Expect.h"

#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace loom;
using loom::testing::messageOf;

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
    for (fuzz::Reader reader :
         {fuzz::Reader::Project, fuzz::Reader::Weights, fuzz::Reader::KerasHdf5,
          fuzz::Reader::KerasWeights, fuzz::Reader::KerasZip}) {
        if (prefix == fuzz::prefixOf(reader)) {
            return static_cast<int>(reader);
        }
    }
    return -1;
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
        QVERIFY2(reader >= 0, qPrintable(file + ": the name does not start with a reader's "
                                                "prefix (project-, weights-, keras-, "
                                                "kerasweights-, zip-)"));
        const std::string path = file.toStdString();
        QString message =
            messageOf<IoError>([&] { fuzz::readWith(static_cast<fuzz::Reader>(reader), path); });
        QVERIFY2(message != "no exception" && !message.startsWith("wrong exception"),
                 qPrintable(file + ": " + message));
        QVERIFY2(message.contains(file), qPrintable(message + " does not name the file"));
        qInfo("%s", qPrintable(message.mid(file.size())));
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "TestFuzzRegressions.moc"
