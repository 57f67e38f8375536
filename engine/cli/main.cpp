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
                                   (both places are checked before training starts; Ctrl-C,
                                   SIGTERM and SIGHUP stop at the end of the batch and still
                                   save, exiting 130, 143 and 129)
      --threads N                  CPU threads (default: one per core)
      --device auto|cpu|cuda|cuda:N
                                   where to train (default: the model's "device", auto: the
                                   first GPU when one is usable, else the CPU)
      --stats | --no-stats         sample every layer's statistics (activations, weights,
                                   gradients, update ratios, histograms) during training, kept
                                   with the run in a saved .loom project (on unless the model
                                   says otherwise); --stats-every N: every N steps (0: about
                                   20 times an epoch)
      --workers N                  data-parallel: train as N local worker processes, each on
                                   --batch samples of every global batch, the cores split
                                   between them (default: the model's "workers")
      --rank R --world-size N --rendezvous file:DIR|redis:HOST:PORT
                                   be rank R of a job of N processes on any machines (or take
                                   the rank from mpirun or srun, the rendezvous from
                                   LOOM_RENDEZVOUS); --host NAME: the name peers reach this
                                   machine by; --collective-timeout S: stop when another rank
                                   is silent this long (60); --sync-batch-norm: batch
                                   normalisation over the global batch (default: the model's
                                   "sync_batch_norm"; off: each rank's own samples)
  experiment MODEL [options]       train the model once per combination of settings, one run
                                   after another, each from scratch, and compare them in a
                                   table sorted by the best metric (* marks the best)
      --vary KEY=V1,V2,...         a setting and the values it tries (repeatable): optimizer,
                                   lr, batch, epochs, seed, a training key or dotted path into
                                   one (optimizer.params.momentum), or LAYER.PARAM
                                   (dense.units); default: the model's "experiment" section
      --random N                   train a seeded sample of N combinations, not all of them
      --data SPEC --epochs N --batch N --optimizer NAME --lr X --seed N --threads N
      --device D                   as for train, for every trial
      --save FILE.loom             the project with every trial's run and the best trial's
                                   settings and weights (Ctrl-C, SIGTERM and SIGHUP stop within
                                   a batch, then the table is printed and the project saved)
  evaluate MODEL --weights FILE [--data SPEC] [--device D]
                                   loss, accuracy, top-k, per-class accuracy, confusion matrix
                                   on every sample of SPEC, never split (a folder's test/ when
                                   it has one, Fashion-MNIST's test files); without --data, on
                                   what training held out of the model's own data
  predict MODEL --weights FILE IMAGE... [--top K] [--data SPEC]
                                   the top classes of each image, with probabilities; images
                                   are preprocessed as the training data were (--data: those
                                   data, when the data section names none)
  bench [MODEL...] [--batch N] [--steps N | --samples N] [--repeat N] [--threads N]
        [--device D]               training speed on synthetic data: the median of --repeat
                                   timed epochs of --samples samples (default 200 batches)
  dream IMAGE --out OUT [options]  deep dream: make the network's layers see more in IMAGE
      --layers L:W,...             layers and weights (InceptionV3: mixed2:0.2,mixed3:0.5,
                                   mixed4:2,mixed5:1.5)
      --octaves N --scale X        3 octaves, each 1.4 times smaller
      --step X --iterations N      0.01 per normalised gradient, 20 steps per octave
      --max-loss X --jitter N      end an octave above 15 (0: never); random shift in pixels
  style CONTENT STYLE --out OUT [options]
                                   style transfer: CONTENT painted in the manner of STYLE
      --size H|HxW                 output size (default: CONTENT's); STYLE is resized to it
      --iterations N               100
      --optimizer lbfgs|adam       --history N --line-search strong-wolfe|backtracking;
                                   --adam-step GREY_LEVELS (2)
      --content-weight X --style-weight X --tv-weight X
                                   0.025, 1, 1
      --content-layer L --style-layers L:W,...
      --init content|noise         where the picture starts
    both: --model FILE|NAME (default: the fetched inception_v3; also mobilenet_v2, or any
          model file) --device auto|cpu|cuda|cuda:N --threads N; OUT is .png or .jpg, with
          the settings written beside it as .json
  bench-art [--style-size N] [--dream-size N] [--repeat N] [--device D] [--vgg16 JSON]
                                   ms per style-transfer loss+gradient through VGG16 (random
                                   weights, default 512x512) and per deep-dream step on
                                   InceptionV3 to mixed5 (600x600); see bench/art/
  inspect MODEL [--weights W] IMAGE --layer NAME --out maps.png
                                   a layer's outputs for IMAGE as a grid of feature maps
  explain MODEL [--weights W] IMAGE --method M --out overlay.png [--class K]
                                   why the network answers what it does for IMAGE, as a heat
                                   map over it: M is saliency (--smoothgrad N), occlusion
                                   (--patch N --stride N), gradcam (--layer L, default the last
                                   convolution) or class (what class K, by default the
                                   answer, looks like to the network); K: the class index
  stats PROJECT.loom [--run N]     every layer's last sampled statistics of a run (default:
                                   the last), with the health warnings the canvas shows
  transfer BASE --out NEW.loom [--data SPEC | --classes N] [--cut LAYER] [--size N|HxW]
           [--dropout X]           a new classifier on a pretrained network: BASE (mobilenet_v2,
                                   inception_v3 or a model file) up to LAYER (default: its last
                                   layer with feature maps), frozen, under a new head (global
                                   average pooling, dropout 0.2, a softmax Dense layer with the
                                   data's classes), at the input size N or HxW (default: the
                                   base's); training computes the frozen base's outputs once
  fine-tune PROJECT.loom --from LAYER [--factor X] [--out NEW.loom]
                                   unfreezes the base from LAYER on, its learning rate X times
                                   the optimizer's (default 0.1)
  devices                          the CPU and the GPUs Loom can use
  convert IN OUT                   between model formats, chosen by the file names
                                   (.loom, .json, Keras .h5/.keras, TF.js model.json, .onnx)
  help                             this text

MODEL is a JSON graph with "training" and "data" sections (see examples/), a .loom project
(training continues where it stopped), a Keras .h5 / .keras model, a TF.js model.json or an
ONNX model. A model or weights file holding NaN or infinite weights (a damaged file) is
refused; summary, evaluate, predict and convert load it with --allow-non-finite-weights, to
inspect it. evaluate fails (exit 1) when the loss comes out NaN or infinite.
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
        if (std::strcmp(command, "experiment") == 0)
            return loom::cli::runExperiment(argc, argv);
        if (std::strcmp(command, "evaluate") == 0)
            return loom::cli::runEvaluate(argc, argv);
        if (std::strcmp(command, "predict") == 0)
            return loom::cli::runPredict(argc, argv);
        if (std::strcmp(command, "bench") == 0)
            return loom::cli::runBench(argc, argv);
        if (std::strcmp(command, "inspect") == 0)
            return loom::cli::runInspect(argc, argv);
        if (std::strcmp(command, "explain") == 0)
            return loom::cli::runExplain(argc, argv);
        if (std::strcmp(command, "stats") == 0)
            return loom::cli::runStats(argc, argv);
        if (std::strcmp(command, "transfer") == 0)
            return loom::cli::runTransfer(argc, argv);
        if (std::strcmp(command, "fine-tune") == 0)
            return loom::cli::runFineTune(argc, argv);
        if (std::strcmp(command, "devices") == 0)
            return loom::cli::runDevices(argc, argv);
        if (std::strcmp(command, "convert") == 0)
            return loom::cli::runConvert(argc, argv);
        if (std::strcmp(command, "dream") == 0)
            return loom::cli::runDream(argc, argv);
        if (std::strcmp(command, "style") == 0)
            return loom::cli::runStyle(argc, argv);
        if (std::strcmp(command, "bench-art") == 0)
            return loom::cli::runBenchArt(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom-cli %s: error: %s\n", command, e.what());
        return 1;
    }
    std::fprintf(stderr, "loom-cli: unknown command '%s'\n\n%s", command, kUsage);
    return 2;
}
