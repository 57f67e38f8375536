#pragma once
// What the libFuzzer targets (tests/fuzz/Fuzz*.cpp), their seed generator and the regression
// suite (tests/engine/TestFuzzRegressions.cpp) share: the readers a file is handed to and the
// small model the weights readers load into. Kept in one place so that a regression input is
// read exactly as the fuzzer read it when it found the bug. Qt-free.

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/KerasHdf5.h>
#include <loom/Project.h>
#include <loom/WeightsFile.h>

#include <string>

namespace loom::fuzz {

/// The readers of untrusted files that the fuzzers exercise.
enum class Reader {
    Project,       ///< loadProject (.loom)
    Weights,       ///< loadWeights into fuzzModel() (.h5 written by saveWeights)
    KerasHdf5,     ///< loadKerasHdf5 (model.save('x.h5'))
    KerasWeights,  ///< loadKerasWeightsInto fuzzModel() (save_weights('w.h5'))
    KerasZip,      ///< loadKerasZip (Keras 3 .keras)
};

/// The regression inputs' file-name prefixes (tests/fixtures/fuzz/<prefix>-<what>.<ext>).
inline const char* prefixOf(Reader reader) {
    switch (reader) {
        case Reader::Project:
            return "project";
        case Reader::Weights:
            return "weights";
        case Reader::KerasHdf5:
            return "keras";
        case Reader::KerasWeights:
            return "kerasweights";
        case Reader::KerasZip:
            return "zip";
    }
    return "";
}

/// A small model with every kind of weight the weights files hold (a conv kernel and bias, a
/// dense kernel after a flatten, batch-norm statistics). The seed generator saves it, so the
/// seeds' layer names and shapes are the ones the weights readers look for.
inline Graph fuzzModel() {
    Graph g;
    g.add("Input", "input", {{"shape", {1, 6, 6}}});
    g.add("Conv2D", "conv", {{"filters", 2}, {"kernel_size", {3, 3}}, {"activation", "relu"}},
          {"input"});
    g.add("BatchNormalization", "norm", {}, {"conv"});
    g.add("Flatten", "flatten", {}, {"norm"});
    g.add("Dense", "classes", {{"units", 3}, {"activation", "softmax"}}, {"flatten"});
    g.build(1);
    return g;
}

/// Hands the file at `path` to `reader`. A loom::Error is the clean rejection of a bad file and
/// passes through; anything else escaping is a bug.
inline void readWith(Reader reader, const std::string& path) {
    switch (reader) {
        case Reader::Project: {
            Project project = loadProject(path);
            return;
        }
        case Reader::Weights: {
            Graph model = fuzzModel();
            loadWeights(model, path);
            return;
        }
        case Reader::KerasHdf5: {
            KerasModel model = loadKerasHdf5(path);
            return;
        }
        case Reader::KerasWeights: {
            Graph model = fuzzModel();
            loadKerasWeightsInto(model, path);
            return;
        }
        case Reader::KerasZip: {
            KerasModel model = loadKerasZip(path);
            return;
        }
    }
}

}  // namespace loom::fuzz
