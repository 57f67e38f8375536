#include "RunsTable.h"

#include <loom/Project.h>

#include <QTest>

using namespace loom;

/// The runs table: a row per run, with its settings shown as the person typed them.
class TestRunsTable : public QObject {
    Q_OBJECT

private slots:
    void showsSettingsAsTyped();
};

void TestRunsTable::showsSettingsAsTyped() {
    TrainingConfig config;
    config.optimizer = "sgd";
    // float32 values widened to double, as a run record read back from a project holds them.
    config.optimizerParams = {
        {"learning_rate", double(0.01f)}, {"momentum", double(0.9f)}, {"nesterov", true}};
    RunRecord run;
    run.name = "Run 1";
    run.training = config.toJson();
    RunsTable table;
    table.addRun(run);
    QCOMPARE(table.rowCount(), 1);
    QCOMPARE(table.item(0, RunsTable::LearningRate)->text(), QStringLiteral("0.01"));
    QCOMPARE(table.item(0, RunsTable::Optimizer)->text(),
             QStringLiteral("sgd (momentum 0.9, nesterov true)"));
    QCOMPARE(table.item(0, RunsTable::BatchSize)->text(), QStringLiteral("32"));

    // Data-parallel workers: each one's batch, times the workers.
    config.device = "cpu";
    config.workers = 2;
    run.training = config.toJson();
    table.addRun(run);
    QCOMPARE(table.item(1, RunsTable::BatchSize)->text(), QStringLiteral("32 × 2"));
}

QTEST_MAIN(TestRunsTable)
#include "TestRunsTable.moc"
