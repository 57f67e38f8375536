// The real pretrained networks: nsfwjs' InceptionV3 and MobileNetV2, written out as TF.js
// layers models by examples/fetch_pretrained.js, imported by Loom and run on scikit-image's
// photos and a grey image. Loom's class probabilities and the deep-dream statistics of one
// inner layer must match TF.js' own (tests/fixtures/tfjs_pretrained_reference.json, made by
// make_tfjs_reference.js beside it) to 1e-4. Both sides see bit-identical input: the test
// repeats nsfwjs' preprocessing exactly as TF.js' CPU kernels compute it and compares a hash of
// the input with the fixture's. Skips, naming the fetch command, when the models are missing.
//
// Environment: LOOM_PRETRAINED_DIR (default ${XDG_DATA_HOME:-~/.local/share}/loom/pretrained),
// LOOM_PHOTOS_DIR (default Debian python3-skimage's data folder), LOOM_SOURCE_DIR (set by
// ctest) for the fixture.

#include <loom/Error.h>
#include <loom/ImageFolder.h>
#include <loom/TfjsModel.h>

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace loom;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-4;

std::string environment(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

std::string pretrainedFolder() {
    std::string data = environment("XDG_DATA_HOME", environment("HOME", "") + "/.local/share");
    return environment("LOOM_PRETRAINED_DIR", data + "/loom/pretrained");
}

std::string photosFolder() {
    return environment("LOOM_PHOTOS_DIR", "/usr/lib/python3/dist-packages/skimage/data");
}

/// FNV-1a (64 bits) of the float32 bytes in TF.js' [1, H, W, 3] order, as the fixture has it.
std::string fnv1a(const std::vector<float>& nhwc) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    const auto* bytes = reinterpret_cast<const unsigned char*>(nhwc.data());
    for (size_t i = 0; i < nhwc.size() * sizeof(float); ++i) {
        hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
    }
    std::ostringstream hex;
    hex << std::hex;
    hex.width(16);
    hex.fill('0');
    hex << hash;
    return hex.str();
}

/// A PNG's width and height, from its IHDR chunk.
std::pair<int, int> pngSize(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char header[24] = {};
    in.read(reinterpret_cast<char*>(header), sizeof header);
    auto be32 = [&](int at) {
        return int(header[at]) << 24 | int(header[at + 1]) << 16 | int(header[at + 2]) << 8 |
               int(header[at + 3]);
    };
    return {be32(16), be32(20)};
}

/// nsfwjs' preprocessing of RGB bytes [3, H, W] into [1, size, size, 3]: x / 255, then
/// tf.image.resizeBilinear(alignCorners=true), written as TF.js' CPU kernels compute it (in
/// double, each result rounded to float32) so that the floats come out bit for bit the same.
std::vector<float> nsfwjsInput(const Tensor& rgb, int size) {
    const int64_t height = rgb.dim(1), width = rgb.dim(2);
    std::vector<float> source = rgb.toVector();  // planar
    for (float& v : source) {
        v = static_cast<float>(static_cast<double>(v) / 255.0);
    }
    const double rowRatio = double(height - 1) / (size - 1);
    const double colRatio = double(width - 1) / (size - 1);
    std::vector<float> out(static_cast<size_t>(size) * size * 3);
    for (int r = 0; r < size; ++r) {
        double row = rowRatio * r;
        int64_t top = std::max<int64_t>(0, int64_t(std::floor(row)));
        int64_t bottom = std::min<int64_t>(height - 1, int64_t(std::ceil(row)));
        double rowFrac = row - double(top);
        for (int c = 0; c < size; ++c) {
            double col = colRatio * c;
            int64_t left = std::max<int64_t>(0, int64_t(std::floor(col)));
            int64_t right = std::min<int64_t>(width - 1, int64_t(std::ceil(col)));
            double colFrac = col - double(left);
            for (int64_t d = 0; d < 3; ++d) {
                auto at = [&](int64_t y, int64_t x) {
                    return double(source[static_cast<size_t>((d * height + y) * width + x)]);
                };
                double topValue = at(top, left) + (at(top, right) - at(top, left)) * colFrac;
                double bottomValue =
                    at(bottom, left) + (at(bottom, right) - at(bottom, left)) * colFrac;
                out[(static_cast<size_t>(r) * size + c) * 3 + d] =
                    static_cast<float>(topValue + (bottomValue - topValue) * rowFrac);
            }
        }
    }
    return out;
}

/// [1, S, S, 3] -> Loom's [1, 3, S, S].
Tensor toNchw(const std::vector<float>& nhwc, int size) {
    std::vector<float> planar(nhwc.size());
    for (size_t i = 0; i < static_cast<size_t>(size) * size; ++i) {
        for (size_t d = 0; d < 3; ++d) {
            planar[d * size * size + i] = nhwc[i * 3 + d];
        }
    }
    return Tensor::fromVector(Shape{1, 3, size, size}, planar);
}

double relativeError(double got, double want) {
    return std::abs(got - want) / std::max(1e-12, std::abs(want));
}

}  // namespace

class TestPretrainedModels : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void matchesTfjs_data();
    void matchesTfjs();
    void inceptionOnGreyMatchesThePretrainedNotes();

private:
    Graph& model(const std::string& name);
    /// Runs a model on one fixture case; returns the probabilities and fills the tap's output.
    std::vector<float> predict(const std::string& name, const json& c, Tensor* tap);

    json m_reference;
    std::map<std::string, Graph> m_models;
};

void TestPretrainedModels::initTestCase() {
    std::string path =
        environment("LOOM_SOURCE_DIR", "") + "/tests/fixtures/tfjs_pretrained_reference.json";
    std::ifstream in(path);
    QVERIFY2(in, ("cannot read " + path + " (is LOOM_SOURCE_DIR set?)").c_str());
    m_reference = json::parse(in);
}

Graph& TestPretrainedModels::model(const std::string& name) {
    auto found = m_models.find(name);
    if (found == m_models.end()) {
        found =
            m_models.emplace(name, loadTfjsModel(pretrainedFolder() + "/" + name + "/model.json"))
                .first;
    }
    return found->second;
}

std::vector<float> TestPretrainedModels::predict(const std::string& name, const json& c,
                                                 Tensor* tap) {
    const int size = m_reference[name]["size"];
    const std::string image = c["image"];
    std::vector<float> input;
    if (image == "grey") {
        input.assign(static_cast<size_t>(size) * size * 3, 0.5f);
    } else {
        std::string path = photosFolder() + "/" + image;
        auto [width, height] = pngSize(path);
        // At its own size the decode is not resized: the bytes of the PNG.
        input = nsfwjsInput(readImage(path, height, width, false), size);
    }
    if (fnv1a(input) != c["inputFnv1a"]) {
        QTest::qFail(("the preprocessed " + image + " differs from the input TF.js saw").c_str(),
                     __FILE__, __LINE__);
        return {};
    }
    Graph& graph = model(name);
    ExecutionContext ctx{cpuBackend()};
    std::vector<float> probabilities = graph.forward(ctx, {toNchw(input, size)})[0].toVector();
    *tap = graph.node(m_reference[name]["tap"]).output;
    return probabilities;
}

void TestPretrainedModels::matchesTfjs_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("index");
    for (const char* name : {"inception_v3", "mobilenet_v2"}) {
        const json& cases = m_reference[name]["cases"];
        for (size_t i = 0; i < cases.size(); ++i) {
            std::string image = cases[i]["image"];
            QTest::addRow("%s %s", name, image.c_str()) << QString(name) << int(i);
        }
    }
}

void TestPretrainedModels::matchesTfjs() {
    QFETCH(QString, model);
    QFETCH(int, index);
    const std::string name = model.toStdString();
    const std::string folder = pretrainedFolder();
    if (!fs::exists(folder + "/" + name + "/model.json")) {
        QSKIP(("no " + folder + "/" + name +
               "/model.json; fetch the models with: node examples/fetch_pretrained.js " + folder)
                  .c_str());
    }
    const json& c = m_reference[name]["cases"][static_cast<size_t>(index)];
    if (c["image"] != "grey" && !fs::exists(photosFolder() + "/" + c["image"].get<std::string>())) {
        QSKIP(("no scikit-image photos in " + photosFolder() +
               " (Debian python3-skimage, or set LOOM_PHOTOS_DIR)")
                  .c_str());
    }
    if (!imageFilesAvailable() && c["image"] != "grey") {
        QSKIP("this build reads no image files (no OpenCV)");
    }
    Tensor tap;
    std::vector<float> got = predict(name, c, &tap);
    if (QTest::currentTestFailed()) {
        return;
    }
    std::vector<double> want = c["probabilities"];
    QCOMPARE(got.size(), want.size());
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        worst = std::max(worst, std::abs(got[i] - want[i]));
    }
    std::vector<float> features = tap.toVector();
    double sum = 0, squares = 0;
    for (float v : features) {
        sum += v;
        squares += double(v) * v;
    }
    double mean = sum / features.size(), meanSquare = squares / features.size();
    double meanError = relativeError(mean, c["tapMean"]);
    double squareError = relativeError(meanSquare, c["tapMeanSquare"]);
    qInfo("%s %s: max |p - p_tfjs| = %.3g; %s mean rel. error %.3g, mean square %.3g", name.c_str(),
          c["image"].get<std::string>().c_str(), worst,
          m_reference[name]["tap"].get<std::string>().c_str(), meanError, squareError);
    QVERIFY2(worst <= kTolerance, qPrintable(QString("probabilities differ by %1").arg(worst)));
    QVERIFY2(meanError <= kTolerance && squareError <= kTolerance,
             qPrintable(QString("tap statistics differ: %1, %2").arg(meanError).arg(squareError)));
}

// The notes on these models (PRETRAINED.md) give TF.js' InceptionV3 on 0.5 grey to 4 decimals.
void TestPretrainedModels::inceptionOnGreyMatchesThePretrainedNotes() {
    const std::string folder = pretrainedFolder();
    if (!fs::exists(folder + "/inception_v3/model.json")) {
        QSKIP(
            ("no " + folder +
             "/inception_v3/model.json; fetch the models with: node examples/fetch_pretrained.js " +
             folder)
                .c_str());
    }
    const std::vector<float> notes{0.6123f, 0.0734f, 0.2987f, 0.0131f, 0.0026f};
    Tensor tap;
    const json& cases = m_reference["inception_v3"]["cases"];
    auto grey = std::find_if(cases.begin(), cases.end(),
                             [](const json& c) { return c["image"] == "grey"; });
    QVERIFY(grey != cases.end());
    std::vector<float> got = predict("inception_v3", *grey, &tap);
    QCOMPARE(got.size(), notes.size());
    for (size_t i = 0; i < notes.size(); ++i) {
        QVERIFY2(std::abs(got[i] - notes[i]) <= 5e-5 + 1e-6,
                 qPrintable(QString("class %1: %2 vs %3").arg(i).arg(got[i]).arg(notes[i])));
    }
}

QTEST_APPLESS_MAIN(TestPretrainedModels)
#include "TestPretrainedModels.moc"
