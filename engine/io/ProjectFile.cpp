// The .loom project file. Layout (HDF5):
//   /                      attributes loom_format = "loom-project", loom_format_version,
//   loom_version
// Every dataset is chunked with a Fletcher-32 checksum; JSON is stored as UTF-8 bytes (uint8).
//   /graph                 the graph as JSON (layers, parameters, wiring, canvas positions)
//   /training /data        JSON: the training configuration; the data set and preprocessing
//   /position              JSON: where training stands (TrainingPosition)
//   /weights/<layer>/<w>   float32, when the model has been built
//   /optimizer/<layer>/<w>/<slot>   float32, with attributes type and iterations
//   /runs/run_NNNN/        meta (JSON), batches [n,10] and epochs [n,9] float64 (see kColumns),
//                          statistics/ (io/RunStatisticsFile.h)
//   /art/settings          JSON; /art/images/<name> float32 [3,H,W]
//   /experiment            JSON: the experiment set up (ExperimentPlan), when there is one

#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/Json.h>
#include <loom/Platform.h>
#include <loom/Project.h>
#include <loom/RunSnapshot.h>
#include <loom/WeightsFile.h>

#include "io/GraphWeights.h"
#include "io/Hdf5File.h"
#include "io/RunStatisticsFile.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>

namespace loom {

namespace {

constexpr const char* kFormatName = "loom-project";

const std::vector<std::string> kBatchColumns{"epoch",      "epochs",        "batch",
                                             "batches",    "step",          "loss",
                                             "accuracy",   "learning_rate", "samples_per_second",
                                             "eta_seconds"};
const std::vector<std::string> kEpochColumns{"epoch",         "epochs",   "loss",
                                             "accuracy",      "val_loss", "val_accuracy",
                                             "learning_rate", "seconds",  "samples_per_second"};

std::vector<double> batchRow(const BatchProgress& b) {
    return {double(b.epoch), double(b.epochs), double(b.batch), double(b.batches),  double(b.step),
            b.loss,          b.accuracy,       b.learningRate,  b.samplesPerSecond, b.etaSeconds};
}

BatchProgress batchFromRow(const double* r) {
    return {int(r[0]), int(r[1]), int64_t(r[2]), int64_t(r[3]), int64_t(r[4]),
            r[5],      r[6],      r[7],          r[8],          r[9]};
}

std::vector<double> epochRow(const EpochProgress& e) {
    return {double(e.epoch),      double(e.epochs), e.loss,    e.accuracy,        e.validationLoss,
            e.validationAccuracy, e.learningRate,   e.seconds, e.samplesPerSecond};
}

EpochProgress epochFromRow(const double* r) {
    return {int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8]};
}

template <typename Record, typename ToRow>
Tensor table(const std::vector<Record>& records, size_t columns, const ToRow& toRow) {
    Tensor t = Tensor::empty(Shape{int64_t(records.size()), int64_t(columns)}, DType::F64);
    double* out = t.data<double>();
    for (const Record& r : records) {
        for (double v : toRow(r)) {
            *out++ = v;
        }
    }
    return t;
}

// Counts stored as doubles must be integers in range before they become ints: the first two
// columns of both tables (epoch, epochs) become int, the others int64_t. Converting a double
// outside the target type's range is undefined behaviour, not an error to catch.
bool plausibleCounts(const double* row, std::initializer_list<int> columns) {
    for (int c : columns) {
        const double limit = c < 2 ? double(std::numeric_limits<int>::max()) : 9.0e15;
        if (!(row[c] >= 0 && row[c] <= limit && row[c] == std::floor(row[c]))) {
            return false;
        }
    }
    return true;
}

const char* reasonName(RunFinished::Reason reason) {
    switch (reason) {
        case RunFinished::Reason::Completed:
            return "completed";
        case RunFinished::Reason::Stopped:
            return "stopped";
        case RunFinished::Reason::EarlyStopped:
            return "early_stopped";
        case RunFinished::Reason::NonFinite:
            return "non_finite";
        case RunFinished::Reason::Failed:
            return "failed";
    }
    return "completed";
}

RunFinished::Reason reasonFromName(const std::string& name) {
    for (auto r : {RunFinished::Reason::Completed, RunFinished::Reason::Stopped,
                   RunFinished::Reason::EarlyStopped, RunFinished::Reason::NonFinite,
                   RunFinished::Reason::Failed}) {
        if (name == reasonName(r)) {
            return r;
        }
    }
    throw IoError("unknown run outcome '" + name + "'");
}

nlohmann::json datasetJson(const h5::File& file, const std::string& dataset) {
    return parseJson(file.readString(dataset), file.path() + ": '" + dataset + "'");
}

void writeRun(h5::File& file, const std::string& group, const RunRecord& run) {
    nlohmann::json meta{{"name", run.name},
                        {"started_at", run.startedAt},
                        {"finished_at", run.finishedAt},
                        {"training", run.training},
                        {"finished",
                         {{"reason", reasonName(run.finished.reason)},
                          {"message", run.finished.message},
                          {"layer", run.finished.layer}}}};
    if (!run.experiment.empty()) {
        meta["experiment"] = run.experiment;
    }
    file.writeBytes(h5::join(group, "meta"), meta.dump());
    file.writeTensor(h5::join(group, "batches"), table(run.batches, kBatchColumns.size(), batchRow),
                     DType::F64);
    file.writeStringListAttribute(h5::join(group, "batches"), "columns", kBatchColumns);
    file.writeTensor(h5::join(group, "epochs"), table(run.epochs, kEpochColumns.size(), epochRow),
                     DType::F64);
    file.writeStringListAttribute(h5::join(group, "epochs"), "columns", kEpochColumns);
    writeRunStatistics(file, group, run.statistics);
}

template <typename Record, typename FromRow>
std::vector<Record> readTable(const h5::File& file, const std::string& dataset, size_t columns,
                              std::initializer_list<int> countColumns, const FromRow& fromRow) {
    Shape shape = file.datasetShape(dataset);
    if (shape.rank() != 2 || shape[1] != int64_t(columns)) {
        throw IoError(file.path() + ": '" + dataset + "' has shape " + shape.str() +
                      ", expected [n, " + std::to_string(columns) + "]");
    }
    Tensor t = file.readTensor(dataset, DType::F64);
    std::vector<Record> records;
    records.reserve(size_t(shape[0]));
    for (int64_t i = 0; i < shape[0]; ++i) {
        const double* row = t.data<double>() + i * int64_t(columns);
        if (!plausibleCounts(row, countColumns)) {
            throw IoError(file.path() + ": '" + dataset + "' row " + std::to_string(i) +
                          " holds an impossible count");
        }
        records.push_back(fromRow(row));
    }
    return records;
}

RunRecord readRun(const h5::File& file, const std::string& group) {
    nlohmann::json meta = datasetJson(file, h5::join(group, "meta"));
    RunRecord run;
    run.name = meta.at("name").get<std::string>();
    run.startedAt = meta.value("started_at", "");
    run.finishedAt = meta.value("finished_at", "");
    run.training = meta.value("training", nlohmann::json::object());
    const nlohmann::json& finished = meta.at("finished");
    run.finished = RunFinished{reasonFromName(finished.at("reason").get<std::string>()),
                               finished.value("message", ""), finished.value("layer", "")};
    run.experiment = meta.value("experiment", nlohmann::json::object());
    if (!run.experiment.is_object()) {
        throw IoError(file.path() + ": '" + group + "' has an experiment that is not an object");
    }
    run.batches = readTable<BatchProgress>(file, h5::join(group, "batches"), kBatchColumns.size(),
                                           {0, 1, 2, 3, 4}, batchFromRow);
    run.epochs = readTable<EpochProgress>(file, h5::join(group, "epochs"), kEpochColumns.size(),
                                          {0, 1}, epochFromRow);
    run.statistics = readRunStatistics(file, group);
    return run;
}

void writeOptimizer(h5::File& file, const OptimizerState& state) {
    file.createGroup("/optimizer");
    file.writeStringAttribute("/optimizer", "type", state.type);
    file.writeIntegerAttribute("/optimizer", "iterations", state.iterations);
    for (const auto& [key, tensor] : state.tensors) {
        file.writeTensor(h5::join("/optimizer", key), tensor);
    }
}

// Slots are three levels deep: layer / weight / slot.
OptimizerState readOptimizer(const h5::File& file) {
    OptimizerState state;
    state.type = file.stringAttribute("/optimizer", "type");
    state.iterations = file.integerAttribute("/optimizer", "iterations");
    for (const std::string& layer : file.children("/optimizer")) {
        const std::string layerGroup = h5::join("/optimizer", layer);
        for (const std::string& weight : file.children(layerGroup)) {
            const std::string weightGroup = h5::join(layerGroup, weight);
            for (const std::string& slot : file.children(weightGroup)) {
                state.tensors[layer + "/" + weight + "/" + slot] =
                    file.readTensor(h5::join(weightGroup, slot));
            }
        }
    }
    return state;
}

// A slot must have its parameter's shape; a mismatch would otherwise surface mid-training.
void checkSlotsMatchWeights(const OptimizerState& state, Graph& graph, const std::string& path) {
    std::map<std::string, Shape> shapes;
    for (const auto& [name, p] : graph.parameters()) {
        shapes[name] = p->value.shape();
    }
    for (const auto& [key, tensor] : state.tensors) {
        auto it = shapes.find(key.substr(0, key.rfind('/')));
        if (it == shapes.end() || it->second != tensor.shape()) {
            throw IoError(path + ": optimizer state '" + key +
                          "' does not match any weight of "
                          "the model");
        }
    }
}

void writeProjectTo(const Project& project, const std::string& path) {
    h5::File file = h5::File::create(path);
    file.enableChecksums();
    file.writeStringAttribute("/", "loom_format", kFormatName);
    file.writeIntegerAttribute("/", "loom_format_version", kProjectFormatVersion);
    file.writeStringAttribute("/", "loom_version", LOOM_VERSION);
    file.writeBytes("/graph", project.graph.toJson().dump());
    file.writeBytes("/training", project.training.toJson().dump());
    file.writeBytes("/data", project.data.dump());
    file.writeBytes("/position", project.position.toJson().dump());
    file.writeBytes("/art/settings", project.art.dump());
    if (!project.experiment.empty()) {
        file.writeBytes("/experiment", project.experiment.dump());
    }
    for (const auto& [name, image] : project.artImages) {
        file.writeTensor(h5::join("/art/images", name), image);
    }
    if (project.hasWeights) {
        file.createGroup("/weights");
        writeGraphWeights(project.graph, file, "/weights");
    }
    if (project.optimizer) {
        writeOptimizer(file, *project.optimizer);
    }
    file.createGroup("/runs");
    for (size_t i = 0; i < project.runs.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "run_%04zu", i + 1);
        writeRun(file, h5::join("/runs", name), project.runs[i]);
    }
    file.flush();
}

void checkFormat(const h5::File& file) {
    if (!file.hasAttribute("/", "loom_format") ||
        file.stringAttribute("/", "loom_format") != kFormatName) {
        throw IoError(file.path() + ": not a Loom project (an HDF5 file without Loom's header)");
    }
    int64_t version = file.integerAttribute("/", "loom_format_version");
    if (version > kProjectFormatVersion) {
        std::string writer = file.hasAttribute("/", "loom_version")
                                 ? " (Loom " + file.stringAttribute("/", "loom_version") + ")"
                                 : "";
        throw IoError(file.path() + ": written by a newer Loom" + writer + " in project format " +
                      std::to_string(version) + "; this Loom reads up to format " +
                      std::to_string(kProjectFormatVersion) + ". Update Loom to open it");
    }
    if (version < 1) {
        throw IoError(file.path() + ": invalid project format version " + std::to_string(version));
    }
}

Project readProjectFrom(const h5::File& file) {
    checkFormat(file);
    Project project;
    project.graph = Graph::fromJson(datasetJson(file, "/graph"));
    project.training = TrainingConfig::fromJson(datasetJson(file, "/training"));
    project.data = datasetJson(file, "/data");
    project.position = TrainingPosition::fromJson(datasetJson(file, "/position"));
    if (file.exists("/art/settings")) {
        project.art = datasetJson(file, "/art/settings");
    }
    if (file.exists("/experiment")) {
        project.experiment = ExperimentPlan::fromJson(datasetJson(file, "/experiment")).toJson();
    }
    if (file.isGroup("/art/images")) {
        for (const std::string& name : file.children("/art/images")) {
            project.artImages[name] = file.readTensor(h5::join("/art/images", name));
        }
    }
    if (file.isGroup("/weights")) {
        // The model may not claim more weights than the file has bytes for.
        auto bytes = std::filesystem::file_size(file.path());
        project.graph.build(project.training.seed, DType::F32, int64_t(bytes / sizeof(float)));
        readGraphWeights(project.graph, file, "/weights");
        project.hasWeights = true;
    }
    if (file.isGroup("/optimizer")) {
        project.optimizer = readOptimizer(file);
        checkSlotsMatchWeights(*project.optimizer, project.graph, file.path());
    }
    if (file.isGroup("/runs")) {
        for (const std::string& run : file.children("/runs")) {
            project.runs.push_back(readRun(file, h5::join("/runs", run)));
        }
    }
    return project;
}

}  // namespace

void saveProject(const Project& project, const std::string& path) {
    writeAtomically(path,
                    [&](const std::string& temporary) { writeProjectTo(project, temporary); });
}

Project loadProject(const std::string& path) {
    h5::File file = h5::File::openForReading(path);
    try {
        return readProjectFrom(file);
    } catch (const IoError&) {
        throw;
    } catch (const Error& e) {
        throw IoError(path + ": " + e.what());
    } catch (const nlohmann::json::exception& e) {
        throw IoError(path + ": a JSON part is malformed (" + std::string(e.what()) + ")");
    }
}

OptimizerState captureOptimizerState(Trainer& trainer) {
    Optimizer& optimizer = trainer.optimizer();
    OptimizerState state{optimizer.type(), optimizer.iterations(), {}};
    for (const auto& [key, tensor] : optimizer.stateTensors()) {
        state.tensors[key] = tensor.toHost();
    }
    return state;
}

void captureTrainingState(Trainer& trainer, Project& project) {
    project.optimizer = captureOptimizerState(trainer);
    project.position = trainer.position();
    project.hasWeights = true;
}

void restoreTrainingState(const Project& project, Trainer& trainer) {
    trainer.setPosition(project.position);
    if (!project.optimizer) {
        return;
    }
    const OptimizerState& state = *project.optimizer;
    if (state.type != trainer.optimizer().type()) {
        return;  // the user chose another optimizer: it starts fresh, as in Keras
    }
    trainer.optimizer().restoreState(state.tensors, state.iterations);
}

std::string isoTimestampNow() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    const std::tm utc = utcCalendarTime(now);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

RunRecord makeRunRecord(const Project& project, const TrainingHistory& history,
                        std::vector<BatchProgress> batches, const std::string& startedAt) {
    RunRecord run;
    run.name = nextRunName(project.runs);
    run.startedAt = startedAt;
    run.finishedAt = isoTimestampNow();
    run.training = project.training.toJson();
    run.batches = std::move(batches);
    run.epochs = history.epochs;
    run.statistics = history.statistics;
    run.finished = history.finished;
    return run;
}

}  // namespace loom
