// The session API the window and loom-cli share: an evaluation source is read whole, never
// split; an image file becomes exactly the sample training made of it; outputs become class
// probabilities by one rule; evaluation counts what a model gets right and wrong.

#include "support/Expect.h"

#include <loom/ArtImage.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Evaluation.h>
#include <loom/Graph.h>
#include <loom/ImageFolder.h>
#include <loom/Prediction.h>
#include <loom/Project.h>
#include <loom/RunSnapshot.h>
#include <loom/Trainer.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>

using namespace loom;
using loom::testing::messageOf;

namespace {

constexpr int kSide = 6;
constexpr int kPerClass = 1000;

// A small picture whose pixels differ from image to image and channel to channel (so that
// per-channel statistics matter); dark pictures stay below 110, light ones above 140.
void writePicture(const std::string& path, int index, bool light) {
    std::vector<float> pixels;
    for (int c = 0; c < 3; ++c) {
        for (int p = 0; p < kSide * kSide; ++p) {
            const int noise = (index * 37 + p * 11 + c * 53) % 100;
            pixels.push_back(static_cast<float>((light ? 150 : 0) + noise + 5 * c));
        }
    }
    writeRgbImage(Tensor::fromVector(Shape{3, kSide, kSide}, pixels), path);
}

// dark/0000.png .. light/0999.png: sorted, as the folder reader orders them, dark come first.
std::string picturePath(const std::string& folder, bool light, int index) {
    char name[32];
    std::snprintf(name, sizeof name, "/%s/%04d.png", light ? "light" : "dark", index);
    return folder + name;
}

void writeFolder(const std::string& folder, int perClass) {
    for (bool light : {false, true}) {
        std::filesystem::create_directories(folder + (light ? "/light" : "/dark"));
        for (int i = 0; i < perClass; ++i) {
            writePicture(picturePath(folder, light, i), i, light);
        }
    }
}

nlohmann::json folderSection(const std::string& folder) {
    return {{"source", "folder:" + folder},
            {"normalization", "mean_std"},
            {"size", {kSide, kSide}},
            {"validation_split", 0.1},
            {"test_split", 0.1}};
}

// Two classes read from the picture: a Dense softmax on the flattened input.
Graph pictureClassifier(const Shape& input) {
    Graph g;
    g.add("Input", "in", {{"shape", input.dims()}});
    std::string last = "in";
    if (input.rank() == 3) {
        last = g.add("Flatten", "flat", {}, {"in"});
    }
    g.add("Dense", "out", {{"units", 2}, {"activation", "softmax"}}, {last});
    g.build(7);
    return g;
}

std::vector<float> values(const Tensor& t) {
    return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

}  // namespace

class TestSession : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void evaluationReadsAWholeFolderNeverSplit();
    void folderWithTestSubfolderIsEvaluatedOnIt();
    void imageFileBecomesTheTrainingSample_data();
    void imageFileBecomesTheTrainingSample();
    void flatInputsReadTheirPicture();
    void softmaxOutputsPassThroughAndLogitsAreSoftmaxed();
    void evaluationCountsRightAndWrong();
    void aRunEndingOnAnEmptiedNetworkLeavesNoWeights();

private:
    QTemporaryDir m_dir;
    std::string m_folder;
};

void TestSession::initTestCase() {
    if (!imageFilesAvailable()) {
        QSKIP("this build has no OpenCV: image files are unavailable");
    }
    QVERIFY(m_dir.isValid());
    m_folder = m_dir.filePath("pictures").toStdString();
    writeFolder(m_folder, kPerClass);
}

void TestSession::evaluationReadsAWholeFolderNeverSplit() {
    const nlohmann::json section = folderSection(m_folder);
    const Shape input{3, kSide, kSide};
    const LoadedData training = loadData("", section, input);
    QCOMPARE(training.test->size(), int64_t{200});
    QCOMPARE(training.validation->size(), int64_t{180});

    const EvaluationData evaluation =
        loadEvaluationData("folder:" + m_folder, section, input, training.normalization);
    QCOMPARE(evaluation.data.size(), int64_t{2 * kPerClass});
    QCOMPARE(evaluation.data.source, "folder:" + m_folder);
    QCOMPARE(evaluation.data.classNames, (std::vector<std::string>{"dark", "light"}));
    QCOMPARE(evaluation.data.classCounts(), (std::vector<int64_t>{kPerClass, kPerClass}));

    Graph model = pictureClassifier(input);
    Trainer trainer(model, TrainingConfig{});
    const ModelEvaluation result = evaluateModel(trainer, evaluation.data);
    QCOMPARE(result.samples, int64_t{2 * kPerClass});
    QCOMPARE(result.metrics->count(), int64_t{2 * kPerClass});
}

void TestSession::folderWithTestSubfolderIsEvaluatedOnIt() {
    const std::string folder = m_dir.filePath("split").toStdString();
    writeFolder(folder + "/train", 3);
    writeFolder(folder + "/test", 2);
    const nlohmann::json section = folderSection(folder + "/train");
    const EvaluationData evaluation = loadEvaluationData(
        "folder:" + folder, section, Shape{3, kSide, kSide}, Normalization::divideBy(255));
    QCOMPARE(evaluation.data.size(), int64_t{4});
    QCOMPARE(evaluation.data.classNames, (std::vector<std::string>{"dark", "light"}));
    QCOMPARE(evaluation.data.source, "folder:" + folder + "/test");
}

void TestSession::imageFileBecomesTheTrainingSample_data() {
    QTest::addColumn<bool>("flat");
    QTest::newRow("picture input") << false;
    QTest::newRow("flat input") << true;
}

void TestSession::imageFileBecomesTheTrainingSample() {
    QFETCH(bool, flat);
    const Shape input = flat ? Shape{3 * kSide * kSide} : Shape{3, kSide, kSide};
    const nlohmann::json section = folderSection(m_folder);
    const LoadedData training = loadData("", section, input);
    QCOMPARE(training.normalization.kind, Normalization::Kind::MeanStd);
    const Normalization recomputed = trainingNormalization("", section, input);
    QCOMPARE(recomputed.mean, training.normalization.mean);
    QCOMPARE(recomputed.stddev, training.normalization.stddev);
    const EvaluationData all = loadEvaluationData("", section, input, training.normalization);

    const SamplePreprocessing preprocessing =
        SamplePreprocessing::forModel(section, input, training.normalization);
    Graph model = pictureClassifier(input);
    Trainer trainer(model, TrainingConfig{});
    for (const auto& [light, index] : {std::pair{false, 17}, std::pair{true, 612}}) {
        const std::string path = picturePath(m_folder, light, index);
        const int64_t row = (light ? kPerClass : 0) + index;
        const Tensor fromData = all.data.samples.slice(row, row + 1);
        const Tensor fromFile = preprocessing.read(path);
        QCOMPARE(fromFile.shape(), input.withBatch(1));
        QCOMPARE(values(fromFile), values(fromData));

        const Tensor expected = classProbabilities(trainer.predict(fromData));
        const ImagePrediction prediction = predictImage(trainer, preprocessing, path, 2);
        QCOMPARE(prediction.top.size(), size_t{2});
        for (const ClassProbability& c : prediction.top) {
            QCOMPARE(c.probability, static_cast<double>(expected.data<float>()[c.classIndex]));
        }
        QVERIFY(prediction.top[0].probability >= prediction.top[1].probability);
    }
}

void TestSession::flatInputsReadTheirPicture() {
    const nlohmann::json fashion = {{"source", "fashion-mnist"}};
    QCOMPARE(SamplePreprocessing::forModel(fashion, Shape{784}, {}).picture, (Shape{1, 28, 28}));
    QCOMPARE(SamplePreprocessing::forModel(fashion, Shape{3072}, {}).picture, (Shape{3, 32, 32}));
    const nlohmann::json greyFolder = {{"size", {20, 10}}, {"grayscale", true}};
    QCOMPARE(SamplePreprocessing::forModel(greyFolder, Shape{200}, {}).picture, (Shape{1, 20, 10}));
    QCOMPARE(SamplePreprocessing::forModel(greyFolder, Shape{3, 8, 8}, {}).picture,
             (Shape{3, 8, 8}));
    const QString message =
        messageOf<DataError>([&] { SamplePreprocessing::forModel(fashion, Shape{10}, {}); });
    QVERIFY2(message.contains("not a picture"), qPrintable(message));
}

void TestSession::softmaxOutputsPassThroughAndLogitsAreSoftmaxed() {
    const Tensor softmaxed =
        Tensor::fromVector(Shape{2, 3}, std::vector<float>{0.2f, 0.3f, 0.5f, 1.0f, 0.0f, 0.0f});
    QCOMPARE(values(classProbabilities(softmaxed)), values(softmaxed));

    const Tensor logits =
        Tensor::fromVector(Shape{2, 3}, std::vector<float>{1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f});
    const std::vector<float> p = values(classProbabilities(logits));
    const double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    const std::vector<double> expected{
        std::exp(1.0) / sum, std::exp(2.0) / sum, std::exp(3.0) / sum, 1 / 3.0, 1 / 3.0, 1 / 3.0};
    for (size_t i = 0; i < expected.size(); ++i) {
        QVERIFY2(std::abs(p[i] - expected[i]) < 1e-6, qPrintable(QString::number(i)));
    }

    // One row of logits makes the whole output logits: every row is softmaxed.
    const Tensor mixed =
        Tensor::fromVector(Shape{2, 3}, std::vector<float>{0.2f, 0.3f, 0.5f, 2.0f, -1.0f, 0.0f});
    QVERIFY(std::abs(classProbabilities(mixed).data<float>()[2] - 0.5f) > 0.05f);

    const std::vector<ClassProbability> top = topClasses(softmaxed, 0, 5);
    QCOMPARE(top.size(), size_t{3});
    QCOMPARE(top[0].classIndex, int64_t{2});
    QCOMPARE(top[1].classIndex, int64_t{1});
    QCOMPARE(top[2].classIndex, int64_t{0});
    QCOMPARE(top[0].probability, 0.5);
    QCOMPARE(topClasses(softmaxed, 1, 1).front().classIndex, int64_t{0});
}

void TestSession::evaluationCountsRightAndWrong() {
    // The model's output is the softmax of its input: each sample's largest value wins.
    Graph model;
    model.add("Input", "in", {{"shape", {3}}});
    model.add("Activation", "softmax", {{"activation", "softmax"}}, {"in"});
    model.build();
    Dataset data;
    data.samples = Tensor::fromVector(Shape{7, 3}, std::vector<float>{5, 0, 0,  //
                                                                      0, 5, 0,  //
                                                                      0, 0, 5,  //
                                                                      0, 5, 0,  //
                                                                      0, 0, 5,  //
                                                                      5, 0, 0,  //
                                                                      0, 0, 5});
    data.targets = Tensor::fromVector(Shape{7}, std::vector<float>{0, 0, 1, 1, 2, 2, 2});
    data.classNames = {"a", "b", "c"};
    Trainer trainer(model, TrainingConfig{});

    const ModelEvaluation result = evaluateModel(trainer, data, 2);
    QCOMPARE(result.samples, int64_t{7});
    QCOMPARE(result.metrics->confusion(), (std::vector<int64_t>{1, 1, 0, 0, 1, 1, 1, 0, 2}));
    const std::vector<double> perClass = result.metrics->perClassAccuracy();
    QCOMPARE(perClass.size(), size_t{3});
    QCOMPARE(perClass[0], 0.5);
    QCOMPARE(perClass[1], 0.5);
    QVERIFY(std::abs(perClass[2] - 2 / 3.0) < 1e-12);
    QVERIFY(std::abs(result.metrics->accuracy() - 4 / 7.0) < 1e-12);
    // Cross-entropy: -log(e^5 / (e^5 + 2)) when right, -log(1 / (e^5 + 2)) when wrong.
    const double confident = std::log(std::exp(5.0) + 2);
    QVERIFY2(std::abs(result.loss - (4 * (confident - 5) + 3 * confident) / 7) < 1e-4,
             qPrintable(QString::number(result.loss)));

    const double wrongProbability = std::exp(5.0) / (std::exp(5.0) + 2);
    QCOMPARE(result.misclassified.size(), size_t{2});
    QCOMPARE(result.misclassified[0].sample, int64_t{1});
    QCOMPARE(result.misclassified[0].trueClass, int64_t{0});
    QCOMPARE(result.misclassified[0].predictedClass, int64_t{1});
    QVERIFY(std::abs(result.misclassified[0].probability - wrongProbability) < 1e-6);
    QCOMPARE(result.misclassified[1].sample, int64_t{2});
    QCOMPARE(result.misclassified[1].predictedClass, int64_t{2});

    const ModelEvaluation all = evaluateModel(trainer, data, 10);
    QCOMPARE(all.misclassified.size(), size_t{3});
    QCOMPARE(all.misclassified[2].sample, int64_t{5});
    QCOMPARE(all.misclassified[2].trueClass, int64_t{2});
    QCOMPARE(all.misclassified[2].predictedClass, int64_t{0});
    QVERIFY(evaluateModel(trainer, data).misclassified.empty());
}

/// Every layer deleted while the run trained: the run's weights have nowhere to go, and the
/// project (saved by autosave a moment later) still loads.
void TestSession::aRunEndingOnAnEmptiedNetworkLeavesNoWeights() {
    Project project;
    project.graph.add("Input", "in", {{"shape", {4}}});
    project.graph.add("Dense", "out", {{"units", 2}}, {"in"});
    project.graph.build(1);
    TrainingCheckpoint trained{project.graph.copy(), std::nullopt, TrainingPosition{}};
    project.graph.remove("out");
    project.graph.remove("in");
    QCOMPARE(adoptRun(project, trained), size_t(0));
    QVERIFY(!project.hasWeights);
    QTemporaryDir dir;
    const std::string path = dir.filePath("emptied.loom").toStdString();
    saveProject(project, path);
    QVERIFY(loadProject(path).graph.nodes().empty());
}

QTEST_GUILESS_MAIN(TestSession)
#include "TestSession.moc"
