// Experiments: a plan's grid and random sample, --vary and the "experiment" section, every
// kind of setting applied to a project, and the runner: one run recorded per trial, the best
// marked with its weights kept, a stop in the middle of a trial honoured within one batch,
// and the runs' values kept in a saved project.

#include "support/Expect.h"

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/Initializer.h>
#include <loom/ModelFile.h>
#include <loom/Project.h>
#include <loom/Trainer.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <set>

using namespace loom;
using loom::testing::messageOf;

namespace {

// Two Gaussian blobs in the plane, around (-1, -1) and (1, 1): they overlap a little, so the
// optimizers end at different accuracies.
Dataset blobs(int perClass, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> samples, labels;
    for (int i = 0; i < 2 * perClass; ++i) {
        const int label = i % 2;
        const double centre = label == 0 ? -1.0 : 1.0;
        samples.push_back(static_cast<float>(rng.normal(centre, 0.8)));
        samples.push_back(static_cast<float>(rng.normal(centre, 0.8)));
        labels.push_back(static_cast<float>(label));
    }
    Dataset d;
    d.samples = Tensor::fromVector(Shape{2 * perClass, 2}, samples);
    d.targets = Tensor::fromVector(Shape{2 * perClass}, labels);
    d.classNames = {"south-west", "north-east"};
    d.source = "blobs";
    return d;
}

LoadedData blobData() {
    LoadedData data;
    data.train = blobs(300, 1);
    data.validation = blobs(100, 2);
    data.test = blobs(100, 3);
    return data;
}

Project blobProject() {
    Project p;
    p.graph.add("Input", "in", {{"shape", {2}}});
    p.graph.add("Dense", "hidden", {{"units", 8}, {"activation", "relu"}}, {"in"});
    p.graph.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"hidden"});
    p.training = TrainingConfig::fromJson(
        {{"optimizer", {{"type", "sgd"}, {"params", {{"learning_rate", 0.05}, {"momentum", 0.9}}}}},
         {"epochs", 3},
         {"batch_size", 16},
         {"seed", 3}});
    return p;
}

ExperimentPlan optimizerPlan() {
    return {{{"optimizer", {"sgd", "rmsprop", "adagrad"}}}, 0, 1};
}

std::vector<std::string> namesOf(const std::vector<ExperimentTrial>& trials) {
    std::vector<std::string> names;
    for (const ExperimentTrial& t : trials) {
        names.push_back(t.name);
    }
    return names;
}

// Asks for a stop once the given trial has reported `batches` batches, as a Stop button
// pressed in the middle of it would; counts the batches each trial reported.
class StopDuringTrial : public ProgressSink {
public:
    StopDuringTrial(RunControl& control, int trial, int batches)
        : m_control(control), m_trial(trial), m_batches(batches) {}
    void report(const ProgressEvent& event) override {
        if (const auto* started = std::get_if<TrialStarted>(&event)) {
            startedTrials.push_back(started->trial);
            batchesOf.push_back(0);
        } else if (std::holds_alternative<BatchProgress>(event)) {
            ++batchesOf.back();
            if (startedTrials.back() == m_trial && batchesOf.back() == m_batches) {
                m_control.requestStop();
            }
        }
    }
    std::vector<int> startedTrials;
    std::vector<int> batchesOf;

private:
    RunControl& m_control;
    int m_trial, m_batches;
};

}  // namespace

class TestExperiment : public QObject {
    Q_OBJECT

private slots:
    void gridRunsEveryCombinationLastAxisFastest();
    void randomSampleIsSeededAndFromTheGrid();
    void varyReadsJsonValuesAndBareNames();
    void varyRefusesWhatItCannotRead_data();
    void varyRefusesWhatItCannotRead();
    void experimentSectionIsReadAndKeptByModelFiles();
    void optimizerResetsItsParametersButKeepsTheLearningRate();
    void trainingSettingsByNameAliasAndPath();
    void layerParameterRebuildsTheNetwork();
    void unknownSettingsNameWhatMayBeVaried_data();
    void unknownSettingsNameWhatMayBeVaried();
    void threeTrialsRecordThreeRunsAndKeepTheBest();
    void stopDuringTheSecondTrialEndsWithinABatch();
    void runsKeepTheirValuesThroughAProjectFile();
};

void TestExperiment::gridRunsEveryCombinationLastAxisFastest() {
    ExperimentPlan plan{{{"optimizer", {"sgd", "adam"}}, {"lr", {0.1, 0.01, 0.001}}}, 0, 1};
    QCOMPARE(plan.gridSize(), size_t{6});
    const std::vector<ExperimentTrial> trials = plan.trials();
    const std::vector<std::string> expected{"sgd, lr 0.1",  "sgd, lr 0.01",  "sgd, lr 0.001",
                                            "adam, lr 0.1", "adam, lr 0.01", "adam, lr 0.001"};
    QCOMPARE(namesOf(trials), expected);
    QCOMPARE(trials[4].values, nlohmann::json({{"optimizer", "adam"}, {"lr", 0.01}}));
    const nlohmann::json momentum = nlohmann::json::parse(
        R"({"type": "sgd", "params": {"learning_rate": 0.1, "momentum": 0.9}})");
    QCOMPARE(ExperimentPlan({{{"optimizer", {momentum}}}, 0, 1}).trials().at(0).name,
             std::string("sgd lr 0.1 momentum 0.9"));
    ExperimentPlan huge;
    for (int axis = 0; axis < 7; ++axis) {
        huge.axes.push_back({"s" + std::to_string(axis), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}});
    }
    QVERIFY(messageOf<ConfigError>([&] { huge.trials(); }).contains("random"));
}

void TestExperiment::randomSampleIsSeededAndFromTheGrid() {
    ExperimentPlan plan{{{"batch", {16, 32, 64, 128}}, {"lr", {0.1, 0.01, 0.001}}}, 5, 7};
    const std::vector<std::string> grid = namesOf(ExperimentPlan{plan.axes, 0, 7}.trials());
    const std::vector<std::string> sample = namesOf(plan.trials());
    QCOMPARE(sample.size(), size_t{5});
    QCOMPARE(namesOf(plan.trials()), sample);  // the same seed draws the same trials
    size_t from = 0;
    for (const std::string& name : sample) {  // distinct, from the grid, in its order
        auto at = std::find(grid.begin() + static_cast<std::ptrdiff_t>(from), grid.end(), name);
        QVERIFY2(at != grid.end(), name.c_str());
        from = static_cast<size_t>(at - grid.begin()) + 1;
    }
    std::set<std::vector<std::string>> samples;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
        samples.insert(namesOf(ExperimentPlan{plan.axes, 5, seed}.trials()));
    }
    QVERIFY(samples.size() > 1);
    QCOMPARE(namesOf(ExperimentPlan{plan.axes, 50, 7}.trials()), grid);
}

void TestExperiment::varyReadsJsonValuesAndBareNames() {
    ExperimentAxis lr = parseVary("lr=0.1, 1e-3");
    QCOMPARE(lr.setting, std::string("lr"));
    QCOMPARE(lr.values, (std::vector<nlohmann::json>{0.1, 0.001}));
    QCOMPARE(parseVary("optimizer=sgd,rmsprop,adagrad").values,
             (std::vector<nlohmann::json>{"sgd", "rmsprop", "adagrad"}));
    QCOMPARE(parseVary("shuffle=true,false").values, (std::vector<nlohmann::json>{true, false}));
    QCOMPARE(parseVary("conv.kernel_size=[3,3],[5,5]").values,
             (std::vector<nlohmann::json>{{3, 3}, {5, 5}}));
    QCOMPARE(parseVary("loss=\"a,b\",c").values, (std::vector<nlohmann::json>{"a,b", "c"}));
    QCOMPARE(parseVary("optimizer={\"type\":\"sgd\",\"params\":{\"learning_rate\":0.1}}")
                 .values.at(0)
                 .at("type"),
             nlohmann::json("sgd"));
}

void TestExperiment::varyRefusesWhatItCannotRead_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("says");
    QTest::newRow("no values") << "lr"
                               << "KEY=v1,v2";
    QTest::newRow("no setting") << "=0.1"
                                << "KEY=v1,v2";
    QTest::newRow("nothing after =") << "lr="
                                     << "empty";
    QTest::newRow("empty value") << "lr=0.1,,0.2"
                                 << "empty";
    QTest::newRow("a value twice") << "lr=0.1,0.1"
                                   << "twice";
    QTest::newRow("broken JSON") << "kernel=[3,3"
                                 << "kernel";
}

void TestExperiment::varyRefusesWhatItCannotRead() {
    QFETCH(QString, text);
    QFETCH(QString, says);
    const QString message = messageOf<ConfigError>([&] { parseVary(text.toStdString()); });
    QVERIFY2(message.contains(says), qPrintable(message));
}

void TestExperiment::experimentSectionIsReadAndKeptByModelFiles() {
    const nlohmann::json section = {
        {"vary", {{"optimizer", {"sgd", "adagrad"}}, {"lr", {0.1, 0.01}}}},
        {"random", 3},
        {"seed", 9}};
    ExperimentPlan plan = ExperimentPlan::fromJson(section);
    QCOMPARE(plan.axes.size(), size_t{2});
    QCOMPARE(plan.axes[0].setting, std::string("lr"));  // a JSON object's keys are sorted
    QCOMPARE(plan.randomTrials, size_t{3});
    QCOMPARE(plan.seed, uint64_t{9});
    QCOMPARE(ExperimentPlan::fromJson(plan.toJson()).toJson(), plan.toJson());
    QVERIFY(messageOf<ConfigError>([] {
                ExperimentPlan::fromJson({{"vary", {{"lr", 0.1}}}});
            }).contains("must be a list"));
    QVERIFY(messageOf<ConfigError>([] {
                ExperimentPlan::fromJson({{"vary", {{"lr", {0.1}}}}, {"trials", 3}});
            }).contains("unknown key 'trials'"));
    QVERIFY(messageOf<ConfigError>([] {
                ExperimentPlan::fromJson({{"vary", nlohmann::json::object()}});
            }).contains("--vary"));

    QTemporaryDir dir;
    nlohmann::json model = blobProject().graph.toJson();
    model["experiment"] = section;
    const std::string path = dir.filePath("model.json").toStdString();
    std::ofstream(path) << model.dump();
    ModelFile read = readModelFile(path);
    QCOMPARE(read.experiment, plan.toJson());
    const std::string copy = dir.filePath("copy.json").toStdString();
    writeModelFile(read, copy);
    QCOMPARE(readModelFile(copy).experiment, plan.toJson());
    model["experiment"] = {{"vary", {{"lr", "fast"}}}};
    std::ofstream(path) << model.dump();
    const QString message = messageOf<IoError>([&] { readModelFile(path); });
    QVERIFY2(message.contains("model.json") && message.contains("'lr' must be a list"),
             qPrintable(message));
}

void TestExperiment::optimizerResetsItsParametersButKeepsTheLearningRate() {
    Project p = blobProject();
    applySetting(p, "optimizer", "rmsprop");
    QCOMPARE(p.training.optimizer, std::string("rmsprop"));
    QCOMPARE(p.training.optimizerParams, nlohmann::json({{"learning_rate", 0.05}}));
    applySetting(p, "optimizer", {{"type", "sgd"}, {"params", {{"momentum", 0.5}}}});
    QCOMPARE(p.training.optimizer, std::string("sgd"));
    QCOMPARE(p.training.optimizerParams, nlohmann::json({{"momentum", 0.5}}));
    // Varied together, the learning rate survives the optimizer's change whatever the order.
    const Project trial = trialProject(blobProject(), {"", {{"lr", 0.2}, {"optimizer", "adam"}}});
    QCOMPARE(trial.training.optimizer, std::string("adam"));
    QCOMPARE(trial.training.optimizerParams, nlohmann::json({{"learning_rate", 0.2}}));
}

void TestExperiment::trainingSettingsByNameAliasAndPath() {
    Project p = blobProject();
    applySetting(p, "lr", 0.2);
    QCOMPARE(p.training.optimizerParams.at("learning_rate"), nlohmann::json(0.2));
    applySetting(p, "learning_rate", 0.3);
    QCOMPARE(p.training.optimizerParams.at("learning_rate"), nlohmann::json(0.3));
    QCOMPARE(p.training.optimizerParams.at("momentum"), nlohmann::json(0.9));
    applySetting(p, "batch", 64);
    QCOMPARE(p.training.batchSize, int64_t{64});
    applySetting(p, "batch_size", 8);
    QCOMPARE(p.training.batchSize, int64_t{8});
    applySetting(p, "epochs", 7);
    applySetting(p, "seed", 11);
    QCOMPARE(p.training.epochs, 7);
    QCOMPARE(p.training.seed, uint64_t{11});
    applySetting(p, "optimizer.params.momentum", 0.5);
    QCOMPARE(p.training.optimizerParams.at("momentum"), nlohmann::json(0.5));
    applySetting(p, "optimizer.params.nesterov", true);
    QCOMPARE(p.training.optimizerParams.at("nesterov"), nlohmann::json(true));
    applySetting(p, "schedule.type", "cosine");
    QCOMPARE(p.training.schedule.type, std::string("cosine"));
    applySetting(p, "shuffle", false);
    QVERIFY(!p.training.shuffle);
}

void TestExperiment::layerParameterRebuildsTheNetwork() {
    Project base = blobProject();
    base.graph.build(3);
    base.hasWeights = true;
    Project p = trialProject(base, {"hidden.units 16", {{"hidden.units", 16}}});
    QVERIFY(!p.graph.isBuilt());
    QCOMPARE(p.graph.node("hidden").layer->params().getInt("units"), int64_t{16});
    p.graph.build(p.training.seed);
    QCOMPARE(p.graph.node("out").layer->parameters().at(0).value.shape(), (Shape{16, 2}));
    QCOMPARE(base.graph.node("hidden").layer->params().getInt("units"), int64_t{8});
    applySetting(base, "hidden.activation", "tanh");  // on a project: its weights are gone
    QVERIFY(!base.hasWeights && !base.graph.isBuilt());
    QCOMPARE(base.graph.node("hidden").layer->params().getString("activation"),
             std::string("tanh"));
}

void TestExperiment::unknownSettingsNameWhatMayBeVaried_data() {
    QTest::addColumn<QString>("setting");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QStringList>("says");
    QTest::newRow("unknown") << "speed"
                             << "1"
                             << QStringList{"unknown setting 'speed'", "lr", "hidden", "out"};
    QTest::newRow("unknown layer") << "hiden.units"
                                   << "4" << QStringList{"unknown setting 'hiden.units'", "hidden"};
    QTest::newRow("unknown parameter") << "hidden.unit"
                                       << "4" << QStringList{"no parameter 'unit'", "units"};
    QTest::newRow("input layer") << "in.shape"
                                 << "[3]" << QStringList{"Input"};
    QTest::newRow("out of range") << "hidden.units"
                                  << "-3" << QStringList{"hidden.units -3"};
    QTest::newRow("unknown optimizer")
        << "optimizer"
        << "\"nadamax\"" << QStringList{"unknown optimizer 'nadamax'"};
    QTest::newRow("optimizer parameter") << "optimizer.params.momentun"
                                         << "0.5" << QStringList{"momentun"};
    QTest::newRow("learning rate as text") << "lr"
                                           << "\"fast\"" << QStringList{"lr \"fast\""};
    QTest::newRow("into a number") << "seed.x"
                                   << "1" << QStringList{"training.seed"};
    QTest::newRow("batch of none") << "batch"
                                   << "0" << QStringList{"batch_size"};
}

void TestExperiment::unknownSettingsNameWhatMayBeVaried() {
    QFETCH(QString, setting);
    QFETCH(QString, value);
    QFETCH(QStringList, says);
    Project p = blobProject();
    const QString message = messageOf<ConfigError>([&] {
        applySetting(p, setting.toStdString(), nlohmann::json::parse(value.toStdString()));
    });
    for (const QString& words : says) {
        QVERIFY2(message.contains(words), qPrintable(message));
    }
}

void TestExperiment::threeTrialsRecordThreeRunsAndKeepTheBest() {
    Project base = blobProject();
    base.runs.push_back(RunRecord{});
    base.runs.back().name = "sgd";  // an earlier run of that name: the trial's gets " (2)"
    const LoadedData data = blobData();
    ProgressQueue events;
    ExperimentResult result = runExperiment(base, optimizerPlan(), data, &events);
    QCOMPARE(result.trials.size(), size_t{3});
    QCOMPARE(result.runs.size(), size_t{3});
    const std::vector<std::string> names{"sgd (2)", "rmsprop", "adagrad"};
    for (size_t i = 0; i < 3; ++i) {
        const RunRecord& run = result.runs[i];
        QCOMPARE(run.name, names[i]);
        QCOMPARE(run.experiment.at("name"), nlohmann::json("Experiment 1"));
        QCOMPARE(run.experiment.at("trial"), nlohmann::json(i + 1));
        QCOMPARE(run.experiment.at("values"),
                 nlohmann::json({{"optimizer", optimizerPlan().axes[0].values[i]}}));
        QCOMPARE(run.training.at("optimizer").at("type"), optimizerPlan().axes[0].values[i]);
        QCOMPARE(run.epochs.size(), size_t{3});
        QCOMPARE(run.batches.size(), size_t{3 * 38});
        QCOMPARE(result.trials[i].finished.reason, RunFinished::Reason::Completed);
        QCOMPARE(result.trials[i].epochs, 3);
        QVERIFY(result.trials[i].validationAccuracy > 0.7);
        QVERIFY(result.trials[i].testAccuracy > 0.7);
    }
    // The best: the highest validation accuracy; of equal ones, the lowest validation loss.
    QCOMPARE(result.metric, ExperimentMetric::ValidationAccuracy);
    size_t best = 0;
    for (size_t i = 1; i < 3; ++i) {
        const TrialEnded &trial = result.trials[i], &leader = result.trials[best];
        if (trial.validationAccuracy > leader.validationAccuracy ||
            (trial.validationAccuracy == leader.validationAccuracy &&
             trial.validationLoss < leader.validationLoss)) {
            best = i;
        }
    }
    QCOMPARE(result.best, std::optional<size_t>(best));
    // Its weights are the ones that scored it.
    QVERIFY(result.bestWeights.has_value());
    Graph kept = result.bestWeights->graph.copy();
    Trainer judge(kept, TrainingConfig::fromJson(result.runs[best].training));
    QCOMPARE(judge.evaluate(*data.validation).metrics->accuracy(),
             result.trials[best].validationAccuracy);
    // Each trial's events come between its TrialStarted and its TrialEnded.
    int current = -1, ended = -1, batches = 0;
    for (const ProgressEvent& event : events.drain()) {
        if (const auto* started = std::get_if<TrialStarted>(&event)) {
            QCOMPARE(started->trial, ended + 1);
            QCOMPARE(started->trials, 3);
            current = started->trial;
        } else if (const auto* finished = std::get_if<TrialEnded>(&event)) {
            QCOMPARE(finished->trial, current);
            QCOMPARE(finished->name, optimizerPlan().trials()[size_t(current)].name);
            ended = current;
        } else if (std::holds_alternative<BatchProgress>(event)) {
            QVERIFY(current > ended);
            ++batches;
        }
    }
    QCOMPARE(ended, 2);
    QCOMPARE(batches, 3 * 3 * 38);
    // Adopted, the best trial is the project's: its optimizer and its weights.
    QVERIFY(adoptBestTrial(base, result));
    QVERIFY(base.hasWeights);
    QCOMPARE(nlohmann::json(base.training.optimizer), optimizerPlan().axes[0].values[best]);
    Trainer adopted(base.graph, base.training);
    QCOMPARE(adopted.evaluate(*data.validation).metrics->accuracy(),
             result.trials[best].validationAccuracy);
}

void TestExperiment::stopDuringTheSecondTrialEndsWithinABatch() {
    const LoadedData data = blobData();
    RunControl control;
    StopDuringTrial stopper(control, 1, 5);
    ExperimentResult result =
        runExperiment(blobProject(), optimizerPlan(), data, &stopper, &control);
    QCOMPARE(stopper.startedTrials, (std::vector<int>{0, 1}));  // the third never starts
    QCOMPARE(stopper.batchesOf, (std::vector<int>{3 * 38, 5}));
    QCOMPARE(result.trials.size(), size_t{2});
    QCOMPARE(result.runs.size(), size_t{2});
    QCOMPARE(result.trials[0].finished.reason, RunFinished::Reason::Completed);
    QCOMPARE(result.trials[1].finished.reason, RunFinished::Reason::Stopped);
    QCOMPARE(result.runs[1].finished.reason, RunFinished::Reason::Stopped);
    QCOMPARE(result.runs[1].name, std::string("rmsprop"));
    QCOMPARE(result.runs[1].batches.size(), size_t{5});
    QCOMPARE(result.trials[1].epochs, 0);
    QVERIFY(std::isnan(result.trials[1].validationAccuracy));
    QVERIFY(std::isnan(result.trials[1].testAccuracy));
    QCOMPARE(result.best, std::optional<size_t>(0));  // a stopped trial does not compete
}

void TestExperiment::runsKeepTheirValuesThroughAProjectFile() {
    Project project = blobProject();
    ExperimentPlan plan{{{"lr", {0.1, 0.01}}, {"hidden.units", {4}}}, 0, 1};
    project.experiment = plan.toJson();
    ExperimentResult result = runExperiment(project, plan, blobData());
    project.runs = result.runs;
    QVERIFY(adoptBestTrial(project, result));
    QTemporaryDir dir;
    const std::string path = dir.filePath("experiment.loom").toStdString();
    saveProject(project, path);
    const Project loaded = loadProject(path);
    QCOMPARE(loaded.experiment, plan.toJson());
    QCOMPARE(loaded.runs.size(), size_t{2});
    for (size_t i = 0; i < 2; ++i) {
        QCOMPARE(loaded.runs[i].name, result.runs[i].name);
        QCOMPARE(loaded.runs[i].experiment, result.runs[i].experiment);
    }
    QCOMPARE(loaded.runs[1].name, std::string("lr 0.01, hidden.units 4"));
    QVERIFY(loaded.hasWeights);
    QCOMPARE(loaded.graph.node("hidden").layer->params().getInt("units"), int64_t{4});
    // The next experiment's runs are told apart from these.
    QCOMPARE(nextExperimentName(loaded.runs), std::string("Experiment 2"));
}

QTEST_GUILESS_MAIN(TestExperiment)
#include "TestExperiment.moc"
