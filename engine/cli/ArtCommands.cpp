// dream and style: deep dream and style transfer on the user's pictures.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"

#include <loom/ArtImage.h>
#include <loom/DeepDream.h>
#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Platform.h>
#include <loom/StyleTransfer.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace loom::cli {

namespace {

/// One line rewritten in place per step on a terminal (at most ten a second), a line per
/// step in a log.
class ArtProgressLine : public ProgressSink {
public:
    void report(const ProgressEvent& event) override {
        if (const auto* p = std::get_if<ImageProgress>(&event)) {
            const auto now = std::chrono::steady_clock::now();
            if (m_terminal && p->step != p->steps &&
                now - m_last < std::chrono::milliseconds(100)) {
                return;
            }
            m_last = now;
            std::fprintf(
                stdout, "%s%s%sstep %lld/%lld  loss %.5g  %.1f s%s", m_terminal ? "\r\033[K" : "",
                p->stage.c_str(), p->stage.empty() ? "" : "  ", static_cast<long long>(p->step),
                static_cast<long long>(p->steps), p->loss, p->seconds, m_terminal ? "" : "\n");
        } else if (const auto* f = std::get_if<RunFinished>(&event)) {
            std::fprintf(stdout, "%s%s\n", m_terminal ? "\r\033[K" : "", f->message.c_str());
        }
        std::fflush(stdout);
    }

private:
    bool m_terminal = isTerminal(stdout);
    std::chrono::steady_clock::time_point m_last{};
};

// --model: a model file in any format Loom reads, or the name of a fetched network.
Graph loadArtModel(const Arguments& args) {
    return readNetwork(args.value("model", "inception_v3"), args);
}

Backend& artBackend(const Arguments& args) {
    setCpuThreads(static_cast<int>(args.integer("threads").value_or(0)));
    Backend& backend = backendFor(parseDevice(args.value("device", "auto")));
    std::printf("device: %s\n", backend.name().c_str());
    return backend;
}

nlohmann::json runInfo(const Arguments& args, const Backend& backend) {
    return {{"model", args.value("model", "inception_v3")},
            {"device", backend.name()},
            {"inputs", args.positionals()}};
}

std::string requiredOut(const Arguments& args, const char* usage) {
    auto out = args.value("out");
    if (!out) {
        throw ConfigError(std::string("--out is missing; usage: ") + usage);
    }
    return *out;
}

template <typename T>
void setIfGiven(T& target, std::optional<T> value) {
    if (value) {
        target = *value;
    }
}

LbfgsOptions lbfgsOptions(const Arguments& args) {
    LbfgsOptions options;
    options.history = static_cast<int>(args.integer("history").value_or(options.history));
    const std::string search = args.value("line-search", "strong-wolfe");
    if (search != "strong-wolfe" && search != "backtracking") {
        throw ConfigError("--line-search is strong-wolfe or backtracking, not '" + search + "'");
    }
    options.lineSearch =
        search == "strong-wolfe" ? LineSearch::StrongWolfe : LineSearch::Backtracking;
    return options;
}

// --size H (the width keeps the content's aspect) or HxW.
void parseSize(const std::string& text, StyleSettings& settings) {
    const size_t x = text.find('x');
    char* end = nullptr;
    settings.height = std::strtoll(text.c_str(), &end, 10);
    if (x != std::string::npos) {
        settings.width = std::strtoll(text.c_str() + x + 1, &end, 10);
    }
    if (*end != '\0' || settings.height < 1 || (x != std::string::npos && settings.width < 1)) {
        throw ConfigError("--size is a height (e.g. 400) or HEIGHTxWIDTH (e.g. 400x600), not '" +
                          text + "'");
    }
}

StyleSettings styleSettings(const Arguments& args) {
    StyleSettings s;
    setIfGiven(s.contentWeight, args.number("content-weight"));
    setIfGiven(s.styleWeight, args.number("style-weight"));
    setIfGiven(s.tvWeight, args.number("tv-weight"));
    setIfGiven(s.adamGreyLevels, args.number("adam-step"));
    s.iterations = static_cast<int>(args.integer("iterations").value_or(s.iterations));
    s.seed = static_cast<uint64_t>(args.integer("seed").value_or(1));
    s.contentLayer = args.value("content-layer", "");
    if (auto layers = args.value("style-layers")) {
        s.styleLayers = parseLayerWeights(*layers);
    }
    if (auto size = args.value("size")) {
        parseSize(*size, s);
    }
    const std::string init = args.value("init", "content");
    if (init != "content" && init != "noise") {
        throw ConfigError("--init is content or noise, not '" + init + "'");
    }
    s.start = init == "content" ? StyleStart::Content : StyleStart::Noise;
    const std::string optimizer = args.value("optimizer", "lbfgs");
    if (optimizer != "lbfgs" && optimizer != "adam") {
        throw ConfigError("--optimizer is lbfgs or adam, not '" + optimizer + "'");
    }
    s.optimizer = optimizer == "lbfgs" ? PixelOptimizerKind::Lbfgs : PixelOptimizerKind::Adam;
    s.lbfgs = lbfgsOptions(args);
    return s;
}

DreamSettings dreamSettings(const Arguments& args) {
    DreamSettings s;
    if (auto layers = args.value("layers")) {
        s.layers = parseLayerWeights(*layers);
    }
    s.octaves = static_cast<int>(args.integer("octaves").value_or(s.octaves));
    setIfGiven(s.octaveScale, args.number("scale"));
    setIfGiven(s.step, args.number("step"));
    s.iterations = static_cast<int>(args.integer("iterations").value_or(s.iterations));
    setIfGiven(s.maxLoss, args.number("max-loss"));
    s.jitter = static_cast<int>(args.integer("jitter").value_or(s.jitter));
    s.seed = static_cast<uint64_t>(args.integer("seed").value_or(1));
    return s;
}

}  // namespace

int runDream(int argc, char** argv) {
    const char* usage = "loom-cli dream IMAGE --out OUT.png [--layers mixed2:0.2,...] [options]";
    Arguments args(argc, argv, 2,
                   {"out", "layers", "octaves", "scale", "step", "iterations", "max-loss", "jitter",
                    "seed", "model", "device", "threads"},
                   {});
    if (args.positionals().size() != 1) {
        throw ConfigError(std::string("usage: ") + usage);
    }
    const std::string out = requiredOut(args, usage);
    DreamSettings settings = dreamSettings(args);
    const Tensor picture = readRgbImage(args.positionals()[0]);
    Graph model = loadArtModel(args);
    Backend& backend = artBackend(args);
    ArtProgressLine progress;
    const Tensor dreamt = deepDream(model, backend, picture, settings, &progress);
    nlohmann::json json = settings.toJson();
    json.update(runInfo(args, backend));
    saveArtImage(dreamt, out, json);
    std::printf("wrote %s\n", out.c_str());
    return 0;
}

int runStyle(int argc, char** argv) {
    const char* usage = "loom-cli style CONTENT STYLE --out OUT.png [options]";
    Arguments args(argc, argv, 2,
                   {"out", "size", "iterations", "optimizer", "content-weight", "style-weight",
                    "tv-weight", "init", "seed", "content-layer", "style-layers", "history",
                    "line-search", "adam-step", "model", "device", "threads"},
                   {});
    if (args.positionals().size() != 2) {
        throw ConfigError(std::string("usage: ") + usage);
    }
    const std::string out = requiredOut(args, usage);
    StyleSettings settings = styleSettings(args);
    const Tensor content = readRgbImage(args.positionals()[0]);
    const Tensor style = readRgbImage(args.positionals()[1]);
    Graph model = loadArtModel(args);
    Backend& backend = artBackend(args);
    ArtProgressLine progress;
    const Tensor painted = styleTransfer(model, backend, content, style, settings, &progress);
    nlohmann::json json = settings.toJson();
    json.update(runInfo(args, backend));
    saveArtImage(painted, out, json);
    std::printf("wrote %s\n", out.c_str());
    return 0;
}

}  // namespace loom::cli
