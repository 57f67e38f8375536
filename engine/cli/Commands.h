#pragma once
// loom-cli's commands; each returns the process exit code.

namespace loom::cli {

int runSummary(int argc, char** argv);
int runTrain(int argc, char** argv);
int runExperiment(int argc, char** argv);
int runEvaluate(int argc, char** argv);
int runPredict(int argc, char** argv);
int runBench(int argc, char** argv);
int runDevices(int argc, char** argv);
int runConvert(int argc, char** argv);
int runDream(int argc, char** argv);
int runStyle(int argc, char** argv);
int runBenchArt(int argc, char** argv);
int runInspect(int argc, char** argv);
int runExplain(int argc, char** argv);
int runStats(int argc, char** argv);
int runTransfer(int argc, char** argv);
int runFineTune(int argc, char** argv);

}  // namespace loom::cli
