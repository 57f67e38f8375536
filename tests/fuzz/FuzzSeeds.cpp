// loom-fuzz-seeds OUTDIR: writes the fuzzers' starting corpora with Loom's own writers, so the
// seeds are the files Loom really writes and follow the format wherever it changes.
//   OUTDIR/project/    .loom projects (bare, and with weights, optimizer state, runs and art)
//                      and a saveWeights file: the corpus of FuzzProjectFile
//   OUTDIR/keras/      Keras HDF5 exports (Sequential and functional, with training config and
//                      optimizer weights): part of the corpus of FuzzKerasHdf5
//   OUTDIR/json/       the examples' models, fuzzModel() trained and a branched one, as JSON
//   OUTDIR/kerasjson/  the same models' Keras topologies (a TF.js export's model_config)
//   OUTDIR/tfjs/       TF.js exports, each model.json + kShardSeparator + its shard
//   OUTDIR/onnx/       ONNX exports
//   OUTDIR/idx/        an IDX pair of images and labels, plain and gzip-compressed
//   OUTDIR/csv/        CSV data sets: string and number labels, quotes, NaN cells
//   OUTDIR/image/      small PNG, JPEG, BMP, PNM, TIFF and WebP images written with OpenCV, one
//                      JPEG above fuzzImageLimits() (decoded reduced)
// scripts/fuzz.sh adds the Keras 1/2/3 layouts and .keras archives that
// tests/fixtures/keras_fixtures.py writes, and ONNX's node test models. The models are tiny: a
// small seed mutates faster.

#include "FuzzReaders.h"

#include <loom/Dataset.h>
#include <loom/KerasHdf5.h>
#include <loom/OnnxExport.h>
#include <loom/Trainer.h>

#include <zlib.h>

#ifdef LOOM_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

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

/// A graph per example model (examples/*.json, not the art configurations), read as the CLI
/// reads it: the JSON seeds' graphs with their training and data sections.
std::vector<std::pair<std::string, Project>> examples() {
    std::vector<std::pair<std::string, Project>> models;
    for (const auto& entry : std::filesystem::directory_iterator(LOOM_EXAMPLES_DIR)) {
        const std::filesystem::path& file = entry.path();
        if (file.extension() == ".json" && file.stem().extension() != ".art") {
            models.emplace_back(file.stem().string(), readModelFile(file.string()));
        }
    }
    return models;
}

/// The small models of the weights formats: fuzzModel() trained with adam, and branchedModel().
std::vector<std::pair<std::string, Project>> smallModels() {
    Project trained;
    trained.graph = fuzzModel();
    trained.training = adam();
    Trainer(trained.graph, trained.training).fit(tinyData(), nullptr);
    std::vector<std::pair<std::string, Project>> models;
    models.emplace_back("small", std::move(trained));
    models.emplace_back("branched", Project{});
    models.back().second.graph = branchedModel();
    return models;
}

std::vector<std::pair<std::string, Project>> everyModel() {
    std::vector<std::pair<std::string, Project>> models = examples();
    for (auto& model : smallModels()) {
        models.push_back(std::move(model));
    }
    return models;
}

void writeJson(const std::string& dir) {
    for (auto& [name, model] : everyModel()) {
        writeModelFile(model, dir + "/" + name + ".json");
    }
}

/// The model's TF.js export, written in `scratch`: its model.json parsed, and the whole export
/// as one TF.js fuzz input.
std::pair<nlohmann::json, std::string> tfjsExport(Project& model, const std::string& scratch) {
    if (!model.graph.isBuilt()) {
        model.graph.build(model.training.seed);
    }
    std::filesystem::create_directories(scratch);
    exportTfjsModel(model.graph, scratch + "/model.json", &model.training);
    const std::string text = fuzz::readBytes(scratch + "/model.json");
    return {parseJson(text, "model.json"), text + std::string(fuzz::kShardSeparator) +
                                               fuzz::readBytes(scratch + "/group1-shard1of1.bin")};
}

void writeKerasJson(const std::string& dir, const std::string& scratch) {
    for (auto& [name, model] : everyModel()) {
        const nlohmann::json modelJson = tfjsExport(model, scratch).first;
        fuzz::writeBytes(dir + "/" + name + ".json",
                         modelJson.at("modelTopology").at("model_config").dump());
    }
}

void writeTfjsAndOnnx(const std::string& tfjsDir, const std::string& onnxDir,
                      const std::string& scratch) {
    for (auto& [name, model] : smallModels()) {
        fuzz::writeBytes(tfjsDir + "/" + name + ".tfjs", tfjsExport(model, scratch).second);
        exportOnnx(model.graph, onnxDir + "/" + name + ".onnx");
    }
}

/// An IDX file of unsigned bytes with these dims, its values 0..9 (as labels, ten classes);
/// gzip-compressed through zlib when `gzip`.
void writeIdx(const std::string& path, const std::vector<unsigned char>& dims, bool gzip) {
    std::string bytes{'\0', '\0', '\x08', static_cast<char>(dims.size())};
    size_t count = 1;
    for (unsigned char d : dims) {
        bytes += std::string{'\0', '\0', '\0', static_cast<char>(d)};
        count *= d;
    }
    for (size_t i = 0; i < count; ++i) {
        bytes += static_cast<char>(i * 7 % 10);
    }
    if (!gzip) {
        fuzz::writeBytes(path, bytes);
        return;
    }
    gzFile file = gzopen(path.c_str(), "wb");
    const bool written =
        file != nullptr && gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) > 0;
    if (file == nullptr || gzclose(file) != Z_OK || !written) {
        throw IoError(path + ": cannot write");
    }
}

void writeIdxPair(const std::string& dir) {
    for (bool gzip : {false, true}) {
        const std::string suffix = gzip ? ".gz" : "";
        writeIdx(dir + "/images-idx3-ubyte" + suffix, {3, 4, 4}, gzip);
        writeIdx(dir + "/labels-idx1-ubyte" + suffix, {3}, gzip);
    }
}

/// No Loom writer makes CSV: these are what users bring (a header or none, string or number
/// labels, quoted fields, Windows line ends, NaN and infinite cells).
void writeCsv(const std::string& dir) {
    fuzz::writeBytes(dir + "/classes.csv",
                     "length,width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n"
                     "6.3,3.3,virginica\n");
    fuzz::writeBytes(dir + "/numbers.csv", "1,2,0\n3,4,1\n5,6,0\n");
    fuzz::writeBytes(dir + "/quoted.csv",
                     "\"price\",\"size, m2\",\"label\"\r\n\"1.5\",\"40\",\"cheap\"\r\n"
                     "\"2e3\",\"120\",\"dear\"\r\n");
    fuzz::writeBytes(dir + "/non_finite.csv", "x,y,label\nnan,1,a\n2,inf,b\n3,-4,a\n");
}

#ifdef LOOM_HAVE_OPENCV
/// A small colour gradient, so that the encoders have something to compress.
cv::Mat gradient(int height, int width) {
    cv::Mat image(height, width, CV_8UC3);
    image.forEach<cv::Vec3b>([&](cv::Vec3b& pixel, const int* at) {
        pixel = cv::Vec3b(static_cast<uchar>(at[0] * 255 / height),
                          static_cast<uchar>(at[1] * 255 / width), 128);
    });
    return image;
}

void writeImages(const std::string& dir) {
    const cv::Mat colour = gradient(5, 6);
    cv::Mat grey;
    cv::cvtColor(colour, grey, cv::COLOR_BGR2GRAY);
    for (const char* ext : {".png", ".jpg", ".bmp", ".ppm", ".tiff", ".webp"}) {
        if (cv::haveImageWriter(ext)) {
            cv::imwrite(dir + "/colour" + ext, colour);
        }
    }
    for (const char* ext : {".png", ".jpg", ".pgm"}) {
        if (cv::haveImageWriter(ext)) {
            cv::imwrite(dir + "/grey" + ext, grey);
        }
    }
    cv::Mat deep;
    grey.convertTo(deep, CV_16U, 257);
    cv::imwrite(dir + "/grey16.png", deep);
    const int side = 300;  // 90,000 pixels: above fuzzImageLimits(), read at half size
    cv::imwrite(dir + "/large.jpg", gradient(side, side), {cv::IMWRITE_JPEG_QUALITY, 50});
}
#endif

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    const std::string out = argv[1];
    try {
        for (const char* dir :
             {"project", "keras", "json", "kerasjson", "tfjs", "onnx", "idx", "csv", "image"}) {
            std::filesystem::create_directories(out + "/" + dir);
        }
        writeProjects(out + "/project");
        writeKeras(out + "/keras");
        writeJson(out + "/json");
        writeKerasJson(out + "/kerasjson", out + "/scratch");
        writeTfjsAndOnnx(out + "/tfjs", out + "/onnx", out + "/scratch");
        writeIdxPair(out + "/idx");
        writeCsv(out + "/csv");
#ifdef LOOM_HAVE_OPENCV
        writeImages(out + "/image");
#endif
        std::filesystem::remove_all(out + "/scratch");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom-fuzz-seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
