// inspect, explain and stats: a trained network seen from inside, as the window's Inside tab
// and Results tab show it.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"

#include <loom/ArtImage.h>
#include <loom/Backend.h>
#include <loom/Error.h>
#include <loom/Explanations.h>
#include <loom/LayerHealth.h>
#include <loom/MapPictures.h>
#include <loom/Platform.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace loom::cli {

namespace {

constexpr int64_t kMaxTiles = 64;
/// Small pictures and maps are enlarged to about this many pixels a side, to be seen.
constexpr int64_t kShownSide = 224;

int64_t zoomFor(int64_t side) {
    return std::max<int64_t>(1, kShownSide / std::max<int64_t>(side, 1));
}

/// The trained model, its preprocessing and the image as one sample, for inspect and explain.
struct Subject {
    ModelFile model;
    SamplePreprocessing preprocessing;
    Tensor sample;  ///< [1, ...input]
};

Subject readSubject(const Arguments& args, const char* command, const char* usage) {
    if (args.positionals().size() != 2) {
        throw ConfigError(std::string("usage: loom-cli ") + command + " " + usage);
    }
    Subject s{readModelFile(args.positionals()[0], args), {}, {}};
    prepareWeights(s.model, args, true, command);
    s.preprocessing = samplePreprocessing(s.model, args);
    s.sample = s.preprocessing.read(args.positionals()[1]);
    return s;
}

/// The sample as the pixels (0..255) the model saw: [C, H, W], its normalisation undone.
Tensor seenPixels(const Tensor& sample, const SamplePreprocessing& preprocessing) {
    Tensor pixels = sample.reshape(preprocessing.picture).clone();
    const Normalization& n = preprocessing.normalization;
    float* p = pixels.data<float>();
    const int64_t plane = preprocessing.picture[1] * preprocessing.picture[2];
    for (int64_t i = 0; i < pixels.numel(); ++i) {
        const auto c = size_t(i / plane);
        p[i] = n.kind == Normalization::Kind::Scale ? float(p[i] / n.scale)
               : n.kind == Normalization::Kind::MeanStd
                   ? float(p[i] * n.stddev.at(c) + n.mean.at(c))
                   : p[i];
    }
    return pixels;
}

std::string requiredValue(const Arguments& args, const char* name, const char* what) {
    const std::optional<std::string> value = args.value(name);
    if (!value) {
        throw ConfigError(std::string("pass --") + name + " " + what);
    }
    return *value;
}

Tensor explanation(Explainer& explainer, const Subject& s, const std::string& method,
                   int64_t classIndex, const Arguments& args) {
    if (method == "saliency") {
        SaliencyOptions options;
        options.smoothGradSamples = int(args.integer("smoothgrad").value_or(0));
        return explainer.saliency(s.sample, classIndex, options);
    }
    if (method == "occlusion") {
        OcclusionOptions options;
        options.patch = args.integer("patch").value_or(options.patch);
        options.stride = args.integer("stride").value_or(options.stride);
        return explainer.occlusion(s.sample, classIndex, options);
    }
    if (method == "gradcam") {
        const std::string layer = args.value("layer", defaultGradCamLayer(s.model.graph));
        if (layer.empty()) {
            throw ConfigError(
                "Grad-CAM needs a layer with feature maps, and this network has "
                "none; try --method saliency");
        }
        return explainer.gradCam(s.sample, classIndex, layer);
    }
    throw ConfigError("unknown --method '" + method +
                      "'; use saliency, occlusion, gradcam or class");
}

/// A statistic as the table shows it: "-" where it does not apply.
std::string shown(double v, bool percent = false) {
    if (std::isnan(v)) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, percent ? "%.0f%%" : "%.4g", percent ? 100 * v : v);
    return text;
}

void printLayerRow(const LayerStatistics& l) {
    std::printf("%-20s %10s %10s %7s %7s %7s %11s %11s %10s %6lld\n", l.layer.c_str(),
                shown(l.activationMean).c_str(), shown(l.activationStd).c_str(),
                shown(l.zeroFraction, true).c_str(), shown(l.deadFraction, true).c_str(),
                shown(l.saturatedFraction, true).c_str(), shown(l.weightNorm).c_str(),
                shown(l.gradientNorm).c_str(), shown(l.updateRatio).c_str(),
                static_cast<long long>(l.nonFinite));
}

}  // namespace

int runInspect(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"weights", "data", "layer", "out", "threads"},
                   {kAllowNonFiniteWeights});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    Subject s =
        readSubject(args, "inspect", "MODEL [--weights W] IMAGE --layer NAME --out maps.png");
    const std::string layer = requiredValue(args, "layer", "NAME: the layer to look at");
    const std::string out = requiredValue(args, "out", "maps.png: where the feature maps go");
    Graph& graph = s.model.graph;
    Explainer explainer(graph, cpuBackend(),
                        s.preprocessing.modelInput.rank() == 3 ? Shape{} : s.preprocessing.picture);
    const Shape shape = graph.node(layer).outputShape;
    const Tensor output = explainer.outputsOf(s.sample, {layer}).at(layer).reshape(shape);
    const bool maps = shape.rank() == 3;
    writeRgbImage(featureMapGrid(output, kMaxTiles, zoomFor(maps ? shape[1] : 16)), out);
    const float* v = output.data<float>();
    const int64_t zeros = std::count(v, v + output.numel(), 0.0f);
    std::printf("%s (%s): output %s; %s written to %s; %.1f%% of the values are 0\n", layer.c_str(),
                graph.node(layer).layer->type().c_str(), shape.str().c_str(),
                maps ? (std::to_string(std::min(shape[0], kMaxTiles)) + " feature maps").c_str()
                     : "its values",
                out.c_str(), 100.0 * double(zeros) / double(output.numel()));
    return 0;
}

int runExplain(int argc, char** argv) {
    Arguments args(argc, argv, 2,
                   {"weights", "data", "method", "out", "class", "layer", "smoothgrad", "patch",
                    "stride", "threads"},
                   {kAllowNonFiniteWeights});
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    Subject s = readSubject(
        args, "explain",
        "MODEL [--weights W] IMAGE --method saliency|occlusion|gradcam|class --out overlay.png "
        "[--class K]");
    const std::string method = args.value("method", "saliency");
    const std::string out = requiredValue(args, "out", "overlay.png: where the picture goes");
    Explainer explainer(s.model.graph, cpuBackend(),
                        s.preprocessing.modelInput.rank() == 3 ? Shape{} : s.preprocessing.picture);
    const std::vector<std::string> names = classNames(s.model, args);
    const Tensor probabilities = explainer.probabilities(s.sample);
    const ClassProbability top = topClasses(probabilities, 0, 1).front();
    const int64_t classIndex = args.integer("class").value_or(top.classIndex);
    if (classIndex < 0 || classIndex >= int64_t(names.size())) {
        throw ConfigError("--class must be 0.." + std::to_string(names.size() - 1));
    }
    std::printf("the network says %s (%.1f%%)\n", names[size_t(top.classIndex)].c_str(),
                100.0 * top.probability);
    const int64_t side = s.preprocessing.picture[2];
    if (method == "class") {
        const Tensor picture = seenPixels(explainer.visualiseClass(classIndex), s.preprocessing);
        writeRgbImage(enlargedPicture(picture, zoomFor(side)), out);
        std::printf("what %s looks like to the network: %s\n", names[size_t(classIndex)].c_str(),
                    out.c_str());
        return 0;
    }
    const Tensor map = explanation(explainer, s, method, classIndex, args);
    writeRgbImage(heatmapOverlay(seenPixels(s.sample, s.preprocessing), map, zoomFor(side)), out);
    std::printf("%s of %s over the image: %s\n", method.c_str(), names[size_t(classIndex)].c_str(),
                out.c_str());
    return 0;
}

int runStats(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"run"}, {});
    if (args.positionals().size() != 1) {
        throw ConfigError("usage: loom-cli stats PROJECT.loom [--run N]");
    }
    const ModelFile project = readModelFile(args.positionals()[0], args);
    if (project.runs.empty()) {
        throw ConfigError(args.positionals()[0] + " has no runs: train it first (loom-cli train " +
                          "MODEL --save PROJECT.loom)");
    }
    const int64_t run = args.integer("run").value_or(int64_t(project.runs.size()));
    if (run < 1 || run > int64_t(project.runs.size())) {
        throw ConfigError("--run must be 1.." + std::to_string(project.runs.size()));
    }
    const RunRecord& record = project.runs[size_t(run - 1)];
    if (record.statistics.empty()) {
        throw ConfigError("run " + std::to_string(run) + " (" + record.name +
                          ") sampled no layer statistics: train with --stats");
    }
    const StatisticsSample& last = record.statistics.back();
    std::printf(
        "%s, run %lld (%s): layer statistics at step %lld (epoch %d), the last of %zu "
        "samples\n\n",
        args.positionals()[0].c_str(), static_cast<long long>(run), record.name.c_str(),
        static_cast<long long>(last.step), last.epoch, record.statistics.size());
    std::printf("%-20s %10s %10s %7s %7s %7s %11s %11s %10s %6s\n", "layer", "act mean", "act std",
                "zeros", "dead", "satur.", "|W|", "|dW/dL|", "update", "NaN");
    for (const LayerStatistics& l : last.layers) {
        printLayerRow(l);
    }
    const std::vector<LayerWarning> warnings = assessHealth(last);
    std::printf("\n%s\n", warnings.empty() ? "no layer looks unhealthy" : "warnings:");
    for (const LayerWarning& w : warnings) {
        std::printf("  %s: %s: %s; %s\n", w.layer.c_str(), problemName(w.problem), w.reason.c_str(),
                    w.advice.c_str());
    }
    return 0;
}

}  // namespace loom::cli
