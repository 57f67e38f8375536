// loom-fuzz-seeds OUTDIR: writes the fuzzers' starting corpora with Loom's own writers, so the
// seeds are the files Loom really writes and follow the format wherever it changes.
//   OUTDIR/project/  .loom projects (bare, and with weights, optimizer state, runs and art)
//                    and a saveWeights file: the corpus of FuzzProjectFile
//   OUTDIR/keras/    Keras HDF5 exports (Sequential and functional, with training config and
//                    optimizer weights): part of the corpus of FuzzKerasHdf5
// scripts/fuzz.sh adds the Keras 1/2/3 layouts and .keras archives that
// tests/fixtures/keras_fixtures.py writes. The models are tiny: a small seed mutates faster.

#include "FuzzReaders.h"

#include <loom/Dataset.h>
#include <loom/KerasHdf5.h>
#include <loom/Trainer.h>

#include <cstdio>
#include <filesystem>
#include <string>

using namespace loom;
using loom::fuzz::fuzzModel;

namespace {

/// A graph with a branch, so that the functional form of Keras export is seeded too.
Graph branchedModel() {
    Graph g;
    g.add("Input", "input", {{"shape", {4}}});
    g.add("Dense", "left", {{"units", 3}, {"activation", "relu"}}, {"input"});
    g.add("Dense", "right", {{"units", 3}, {"activation", "tanh"}}, {"input"});
    g.add("Add", "sum", {}, {"left", "right"});
    g.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {"sum"});
    g.build(2);
    return g;
}

/// Eight constant samples for fuzzModel(), enough for one epoch to give the optimizer state.
Dataset tinyData() {
    Dataset d;
    d.samples = Tensor::full(Shape{8, 1, 6, 6}, 0.5);
    d.targets = Tensor::zeros(Shape{8});
    d.classNames = {"a", "b", "c"};
    return d;
}

TrainingConfig adam() {
    TrainingConfig c;
    c.optimizer = "adam";
    c.optimizerParams = {{"learning_rate", 0.01}};
    c.batchSize = 4;
    c.epochs = 1;
    c.seed = 3;
    return c;
}

void writeProjects(const std::string& dir) {
    Project bare;
    bare.graph = fuzzModel();
    saveProject(bare, dir + "/bare.loom");

    Project full;
    full.graph = fuzzModel();
    full.training = adam();
    full.data = {{"source", "idx"}, {"validation_split", 0.25}};
    full.art = {{"dream", {{"layers", {{"conv", 1.0}}}, {"octaves", 2}}}};
    full.artImages["dream"] = Tensor::full(Shape{3, 2, 2}, 0.25);
    Trainer trainer(full.graph, full.training);
    TrainingHistory history = trainer.fit(tinyData(), nullptr);
    std::vector<BatchProgress> batches{{1, 1, 1, 2, 1, 1.1, 0.25, 0.01, 100.0, 0.5},
                                       {1, 1, 2, 2, 2, 1.0, 0.5, 0.01, 120.0, 0.0}};
    full.runs.push_back(makeRunRecord(full, history, batches, "2026-01-01T00:00:00Z"));
    captureTrainingState(trainer, full);
    saveProject(full, dir + "/full.loom");

    Graph weights = fuzzModel();
    saveWeights(weights, dir + "/weights.h5");
}

void writeKeras(const std::string& dir) {
    Graph model = fuzzModel();
    exportKerasHdf5(model, dir + "/sequential.h5");
    TrainingConfig config = adam();
    Trainer trainer(model, config);
    trainer.fit(tinyData(), nullptr);
    exportKerasHdf5(model, dir + "/sequential_trained.h5", &config, &trainer.optimizer());
    Graph branched = branchedModel();
    exportKerasHdf5(branched, dir + "/functional.h5", &config);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    const std::string out = argv[1];
    try {
        std::filesystem::create_directories(out + "/project");
        std::filesystem::create_directories(out + "/keras");
        writeProjects(out + "/project");
        writeKeras(out + "/keras");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom-fuzz-seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
