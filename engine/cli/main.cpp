// loom-cli: Loom's engine from the command line.

#include "cli/Commands.h"

#include <loom/Error.h>

#include <cstdio>
#include <cstring>
#include <exception>

namespace {

const char* const kUsage = R"(usage: loom-cli COMMAND [ARGS]

  summary MODEL                    the model's layers, output shapes and parameter counts
  train MODEL [options]            train on the model's data (or --data) and report progress
      --data SPEC                  fashion-mnist[:DIR] | idx:IMAGES,LABELS | folder:DIR | csv:FILE
      --epochs N --batch N --optimizer NAME --lr X --seed N
      --validation-split F         hold out this fraction of the training data
      --weights FILE               start from these weights
      --save FILE                  write the trained weights (HDF5) here; FILE.loom: the whole
                                   project (weights, optimizer state, run history)
      --checkpoint FILE            save (as --save) at the end of every epoch
      --threads N                  CPU threads (default: one per core)
      --device auto|cpu|cuda|cuda:N
                                   where to train (default: the model's "device", auto: the
                                   first GPU when one is usable, else the CPU)
  evaluate MODEL --weights FILE [--data SPEC] [--device D]
                                   loss, accuracy, top-k, per-class accuracy, confusion matrix
  predict MODEL --weights FILE IMAGE... [--top K]
                                   the top classes of each image, with probabilities
  bench [MODEL...] [--batch N] [--steps N | --samples N] [--repeat N] [--threads N]
        [--device D]               training speed on synthetic data: the median of --repeat
                                   timed epochs of --samples samples (default 200 batches)
  devices                          the CPU and the GPUs Loom can use
  convert IN OUT                   between model formats, chosen by the file names
                                   (.loom, .json, Keras .h5/.keras, TF.js model.json, .onnx)
  help                             this text

MODEL is a JSON graph with "training" and "data" sections (see examples/), a .loom project
(training continues where it stopped), a Keras .h5 / .keras model, a TF.js model.json or an
ONNX model.
)";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char* command = argv[1];
    try {
        if (std::strcmp(command, "summary") == 0)
            return loom::cli::runSummary(argc, argv);
        if (std::strcmp(command, "train") == 0)
            return loom::cli::runTrain(argc, argv);
        if (std::strcmp(command, "evaluate") == 0)
            return loom::cli::runEvaluate(argc, argv);
        if (std::strcmp(command, "predict") == 0)
            return loom::cli::runPredict(argc, argv);
        if (std::strcmp(command, "bench") == 0)
            return loom::cli::runBench(argc, argv);
        if (std::strcmp(command, "devices") == 0)
            return loom::cli::runDevices(argc, argv);
        if (std::strcmp(command, "convert") == 0)
            return loom::cli::runConvert(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom-cli %s: error: %s\n", command, e.what());
        return 1;
    }
    std::fprintf(stderr, "loom-cli: unknown command '%s'\n\n%s", command, kUsage);
    return 2;
}
