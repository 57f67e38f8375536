// Network checks: each warning fires on the network that has the problem and not on the one
// without it, and applying its fix to the graph or the settings makes it go away.

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/ModelFile.h>
#include <loom/NetworkChecks.h>

#include <QtTest>

#include <filesystem>

using namespace loom;

namespace {

const DataFacts kFashionMnist{true, 10, Shape{1, 28, 28}, false};

std::string example(const std::string& name) {
    return qEnvironmentVariable("LOOM_SOURCE_DIR").toStdString() + "/examples/" + name;
}

/// Input(inputShape) -> Dense(units, activation), validated.
Graph inputDense(const nlohmann::json& inputShape, int units, const std::string& activation) {
    Graph graph;
    graph.add("Input", "input", {{"shape", inputShape}});
    graph.add("Dense", "dense", {{"units", units}, {"activation", activation}}, {"input"});
    graph.validate();
    return graph;
}

NetworkCheckInputs withLoss(const std::string& loss, std::optional<DataFacts> data = {}) {
    NetworkCheckInputs inputs;
    inputs.training.loss = loss;
    inputs.data = std::move(data);
    return inputs;
}

QString describe(const std::vector<NetworkWarning>& warnings) {
    QStringList lines;
    for (const NetworkWarning& warning : warnings) {
        lines << QString::fromStdString(warning.layer + ": " + warning.message);
    }
    return lines.join('\n');
}

bool mentions(const NetworkWarning& warning, const char* words) {
    return warning.message.find(words) != std::string::npos;
}

/// Applies the warning's fix to the graph and the settings and checks again.
std::vector<NetworkWarning> afterFix(const NetworkWarning& warning, Graph& graph,
                                     NetworkCheckInputs& inputs) {
    applyFix(*warning.fix, graph, inputs.training);
    graph.validate();
    return checkNetwork(graph, inputs);
}

}  // namespace

class TestNetworkChecks : public QObject {
    Q_OBJECT

private slots:
    void w1SoftmaxOnFashionMnistHasNoWarning();
    void tutorialNetworksHaveNoWarning_data();
    void tutorialNetworksHaveNoWarning();
    void classificationLossWithoutProbabilities_data();
    void classificationLossWithoutProbabilities();
    void outputWithoutActivationSettingSaysWhatToAdd();
    void sigmoidWithCategoricalCrossEntropy();
    void probabilityOutputsThatFitTheirLoss_data();
    void probabilityOutputsThatFitTheirLoss();
    void softmaxWithSquaredErrorOnClassLabels();
    void outputUnitsDifferFromClassCount();
    void unitsFixReachesTheDenseBeforeAnActivation();
    void outputWithoutDenseGetsNoUnitsFix();
    void unitsThatFitTheClasses();
    void inputTheSamplesCannotBeReshapedTo();
    void inputTheSamplesFit();
    void memoryEstimateCountsWeightsStateAndOutputs();
    void trainingBeyondFreeMemory();
    void invalidOutputIsLeftToValidation();
    void dataFactsOfLoadedData();
    void describesFixes();
    void freeMemoryOfTheCpu();
};

void TestNetworkChecks::w1SoftmaxOnFashionMnistHasNoWarning() {
    ModelFile model = readModelFile(example("w1_softmax.json"));
    if (!std::filesystem::exists(kDefaultFashionMnistFolder)) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    const LoadedData data = loadData("", model.data, Shape{});
    NetworkCheckInputs inputs;
    inputs.training = model.training;
    inputs.data = dataFactsOf(data, model.data);
    QCOMPARE(inputs.data->classCount, int64_t{10});
    inputs.parameterCounts = {{"dense", 7850}};
    inputs.memory = freeMemoryFor("cpu");
    QVERIFY(inputs.memory);
    model.graph.validate();
    const std::vector<NetworkWarning> warnings = checkNetwork(model.graph, inputs);
    QVERIFY2(warnings.empty(), qPrintable(describe(warnings)));
}

void TestNetworkChecks::tutorialNetworksHaveNoWarning_data() {
    QTest::addColumn<QString>("file");
    for (const char* file :
         {"w1_softmax.json", "w2_mlp.json", "w2_mlp_fashion.json", "w3_nolearn_cnn.json",
          "w3_nolearn_cnn_regression.json", "w4_cnn.json"}) {
        QTest::newRow(file) << QString::fromLatin1(file);
    }
}

void TestNetworkChecks::tutorialNetworksHaveNoWarning() {
    QFETCH(QString, file);
    ModelFile model = readModelFile(example(file.toStdString()));
    QVERIFY(model.graph.validate().empty());
    NetworkCheckInputs inputs;
    inputs.training = model.training;
    if (model.data.value("source", "") == "fashion-mnist") {
        inputs.data = kFashionMnist;
    }
    const std::vector<NetworkWarning> warnings = checkNetwork(model.graph, inputs);
    QVERIFY2(warnings.empty(), qPrintable(describe(warnings)));
}

void TestNetworkChecks::classificationLossWithoutProbabilities_data() {
    QTest::addColumn<QString>("loss");
    QTest::addColumn<QString>("activation");
    QTest::addColumn<int>("units");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("saying");
    QTest::newRow("categorical, none") << "categorical_crossentropy"
                                       << "linear" << 10 << "softmax"
                                       << "has no softmax";
    QTest::newRow("sparse, none") << "sparse_categorical_crossentropy"
                                  << "linear" << 10 << "softmax"
                                  << "has no softmax";
    QTest::newRow("categorical, relu") << "categorical_crossentropy"
                                       << "relu" << 10 << "softmax"
                                       << "ends in relu, not softmax";
    QTest::newRow("binary, none") << "binary_crossentropy"
                                  << "linear" << 1 << "sigmoid"
                                  << "has no sigmoid";
    QTest::newRow("binary, tanh") << "binary_crossentropy"
                                  << "tanh" << 1 << "sigmoid"
                                  << "ends in tanh, not sigmoid";
}

void TestNetworkChecks::classificationLossWithoutProbabilities() {
    QFETCH(QString, loss);
    QFETCH(QString, activation);
    QFETCH(int, units);
    QFETCH(QString, expected);
    QFETCH(QString, saying);
    // The person's network: Input(784) -> Dense with no softmax, cross-entropy kept.
    Graph graph = inputDense({784}, units, activation.toStdString());
    NetworkCheckInputs inputs = withLoss(loss.toStdString());
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, inputs);
    QCOMPARE(warnings.size(), size_t{1});
    const NetworkWarning& warning = warnings.front();
    QCOMPARE(warning.layer, std::string("dense"));
    QVERIFY2(mentions(warning, saying.toUtf8().constData()), warning.message.c_str());
    QVERIFY2(mentions(warning, "accuracy stays at chance"), warning.message.c_str());
    QVERIFY(warning.fix);
    QVERIFY(*warning.fix ==
            NetworkFix(SetLayerParameter{"dense", "activation", expected.toStdString()}));
    const std::vector<NetworkWarning> fixed = afterFix(warning, graph, inputs);
    QVERIFY2(fixed.empty(), qPrintable(describe(fixed)));
}

void TestNetworkChecks::outputWithoutActivationSettingSaysWhatToAdd() {
    Graph graph = inputDense({784}, 10, "linear");
    graph.add("Dropout", "dropout", {}, {"dense"});
    graph.validate();
    const std::vector<NetworkWarning> warnings =
        checkNetwork(graph, withLoss("categorical_crossentropy"));
    QCOMPARE(warnings.size(), size_t{1});
    QCOMPARE(warnings[0].layer, std::string("dropout"));
    QVERIFY2(mentions(warnings[0], "add an Activation layer set to softmax after it"),
             warnings[0].message.c_str());
    QVERIFY(!warnings[0].fix);
}

void TestNetworkChecks::sigmoidWithCategoricalCrossEntropy() {
    Graph graph = inputDense({784}, 10, "sigmoid");
    NetworkCheckInputs inputs = withLoss("categorical_crossentropy", kFashionMnist);
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, inputs);
    QCOMPARE(warnings.size(), size_t{1});
    QVERIFY2(mentions(warnings[0], "ends in sigmoid, but the loss (categorical cross-entropy)"),
             warnings[0].message.c_str());
    QVERIFY(*warnings[0].fix == NetworkFix(SetLayerParameter{"dense", "activation", "softmax"}));
    const std::vector<NetworkWarning> fixed = afterFix(warnings[0], graph, inputs);
    QVERIFY2(fixed.empty(), qPrintable(describe(fixed)));
}

void TestNetworkChecks::probabilityOutputsThatFitTheirLoss_data() {
    QTest::addColumn<QString>("loss");
    QTest::addColumn<QString>("activation");
    QTest::addColumn<int>("units");
    QTest::newRow("categorical, softmax") << "categorical_crossentropy"
                                          << "softmax" << 10;
    QTest::newRow("sparse, softmax") << "sparse_categorical_crossentropy"
                                     << "softmax" << 10;
    QTest::newRow("binary, sigmoid") << "binary_crossentropy"
                                     << "sigmoid" << 1;
    QTest::newRow("binary, two softmax units") << "binary_crossentropy"
                                               << "softmax" << 2;
    QTest::newRow("squared error, linear") << "mean_squared_error"
                                           << "linear" << 1;
    QTest::newRow("a loss Loom lacks") << "hinge"
                                       << "linear" << 10;
}

void TestNetworkChecks::probabilityOutputsThatFitTheirLoss() {
    QFETCH(QString, loss);
    QFETCH(QString, activation);
    QFETCH(int, units);
    const Graph graph = inputDense({784}, units, activation.toStdString());
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, withLoss(loss.toStdString()));
    QVERIFY2(warnings.empty(), qPrintable(describe(warnings)));
}

void TestNetworkChecks::softmaxWithSquaredErrorOnClassLabels() {
    Graph graph = inputDense({784}, 10, "softmax");
    NetworkCheckInputs inputs = withLoss("mse", kFashionMnist);
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, inputs);
    QCOMPARE(warnings.size(), size_t{1});
    QVERIFY2(mentions(warnings[0], "ends in softmax") &&
                 mentions(warnings[0], "Change the loss to categorical cross-entropy"),
             warnings[0].message.c_str());
    QVERIFY(*warnings[0].fix == NetworkFix(SetTrainingLoss{"categorical_crossentropy"}));
    const std::vector<NetworkWarning> fixed = afterFix(warnings[0], graph, inputs);
    QVERIFY2(fixed.empty(), qPrintable(describe(fixed)));
    QCOMPARE(inputs.training.loss, std::string("categorical_crossentropy"));

    // Numbers to predict: softmax is odd there, but squared error is what regression uses.
    const DataFacts regression{false, 0, Shape{784}, false};
    QVERIFY(checkNetwork(graph, withLoss("mean_squared_error", regression)).empty());
}

void TestNetworkChecks::outputUnitsDifferFromClassCount() {
    Graph graph = inputDense({784}, 5, "softmax");
    NetworkCheckInputs inputs = withLoss("categorical_crossentropy", kFashionMnist);
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, inputs);
    QCOMPARE(warnings.size(), size_t{1});
    QCOMPARE(warnings[0].layer, std::string("dense"));
    QVERIFY2(mentions(warnings[0], "has 5 units, but the data in the Data tab have 10 classes"),
             warnings[0].message.c_str());
    QVERIFY(*warnings[0].fix == NetworkFix(SetLayerParameter{"dense", "units", 10}));
    const std::vector<NetworkWarning> fixed = afterFix(warnings[0], graph, inputs);
    QVERIFY2(fixed.empty(), qPrintable(describe(fixed)));
}

void TestNetworkChecks::unitsFixReachesTheDenseBeforeAnActivation() {
    Graph graph = inputDense({784}, 5, "linear");
    graph.add("Activation", "activation", {{"activation", "softmax"}}, {"dense"});
    graph.validate();
    NetworkCheckInputs inputs = withLoss("categorical_crossentropy", kFashionMnist);
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, inputs);
    QCOMPARE(warnings.size(), size_t{1});
    QVERIFY2(mentions(warnings[0], "output (layer 'activation') has 5 values"),
             warnings[0].message.c_str());
    QVERIFY(*warnings[0].fix == NetworkFix(SetLayerParameter{"dense", "units", 10}));
    const std::vector<NetworkWarning> fixed = afterFix(warnings[0], graph, inputs);
    QVERIFY2(fixed.empty(), qPrintable(describe(fixed)));
}

void TestNetworkChecks::outputWithoutDenseGetsNoUnitsFix() {
    Graph graph;
    graph.add("Input", "input", {{"shape", {1, 28, 28}}});
    graph.add("Conv2D", "conv2d", {{"filters", 4}, {"activation", "softmax"}}, {"input"});
    graph.add("GlobalAveragePool2D", "pool", {}, {"conv2d"});
    graph.validate();
    const std::vector<NetworkWarning> warnings =
        checkNetwork(graph, withLoss("mean_squared_error", kFashionMnist));
    QCOMPARE(warnings.size(), size_t{1});
    QCOMPARE(warnings[0].layer, std::string("pool"));
    QVERIFY2(mentions(warnings[0], "(layer 'pool') has 4 values") &&
                 mentions(warnings[0], "End the network in a Dense layer with 10 units"),
             warnings[0].message.c_str());
    QVERIFY(!warnings[0].fix);
}

void TestNetworkChecks::unitsThatFitTheClasses() {
    // One sigmoid unit says yes or no for two classes, as the Trainer allows.
    const DataFacts twoClasses{true, 2, Shape{784}, false};
    QVERIFY(
        checkNetwork(inputDense({784}, 1, "sigmoid"), withLoss("binary_crossentropy", twoClasses))
            .empty());
    // Regression data have no classes to count.
    const DataFacts regression{false, 0, Shape{784}, false};
    QVERIFY(checkNetwork(inputDense({784}, 3, "linear"), withLoss("mean_squared_error", regression))
                .empty());
}

void TestNetworkChecks::inputTheSamplesCannotBeReshapedTo() {
    const Graph graph = inputDense({784}, 10, "softmax");
    const DataFacts colourImages{true, 10, Shape{3, 32, 32}, false};
    const std::vector<NetworkWarning> warnings =
        checkNetwork(graph, withLoss("categorical_crossentropy", colourImages));
    QCOMPARE(warnings.size(), size_t{1});
    QCOMPARE(warnings[0].layer, std::string("input"));
    QVERIFY2(mentions(warnings[0], "takes samples of shape (784,) (784 values)") &&
                 mentions(warnings[0], "have shape (3, 32, 32) (3072 values)"),
             warnings[0].message.c_str());
    QVERIFY(!warnings[0].fix);
}

void TestNetworkChecks::inputTheSamplesFit() {
    // 28x28 pictures are reshaped to a flat input of 784: only the layout differs.
    QVERIFY(checkNetwork(inputDense({784}, 10, "softmax"),
                         withLoss("categorical_crossentropy", kFashionMnist))
                .empty());
    // An image folder is decoded at the size of an image input, whatever its preview showed.
    Graph images;
    images.add("Input", "input", {{"shape", {3, 64, 64}}});
    images.add("Flatten", "flatten", {}, {"input"});
    images.add("Dense", "dense", {{"units", 2}, {"activation", "softmax"}}, {"flatten"});
    images.validate();
    const DataFacts folder{true, 2, Shape{3, 32, 32}, true};
    QVERIFY(checkNetwork(images, withLoss("categorical_crossentropy", folder)).empty());
    // Grey 28x28 garments are resized and made RGB for a pretrained base's picture input.
    Graph base;
    base.add("Input", "input", {{"shape", {3, 96, 96}}});
    base.add("GlobalAveragePool2D", "pool", {}, {"input"});
    base.add("Dense", "dense", {{"units", 10}, {"activation", "softmax"}}, {"pool"});
    base.validate();
    QVERIFY(checkNetwork(base, withLoss("categorical_crossentropy", kFashionMnist)).empty());
}

void TestNetworkChecks::memoryEstimateCountsWeightsStateAndOutputs() {
    Graph graph = inputDense({784}, 10, "softmax");
    TrainingConfig training;  // plain SGD: no optimizer state
    training.batchSize = 32;
    const std::map<std::string, int64_t> counts{{"dense", 7850}};
    TrainingMemory memory = estimateTrainingMemory(graph, training, counts);
    // 7,850 weights and their gradients, 4 bytes each.
    QCOMPARE(memory.weights, uint64_t{7850 * 2 * 4});
    // The input (784 values, no gradient) and the dense layer's output (10 values, its
    // pre-activation, and a gradient for each), for 32 samples.
    QCOMPARE(memory.activations, uint64_t{(784 + 10 * 4) * 32 * 4});
    QCOMPARE(memory.largestLayer, std::string("input"));

    training.optimizer = "adam";  // momentum and velocity for every weight
    QCOMPARE(estimateTrainingMemory(graph, training, counts).weights, uint64_t{7850 * 4 * 4});
    graph.layer("dense").setTrainable(false);  // no gradient, no state
    QCOMPARE(estimateTrainingMemory(graph, training, counts).weights, uint64_t{7850 * 4});
}

void TestNetworkChecks::trainingBeyondFreeMemory() {
    Graph graph = inputDense({784}, 10, "softmax");
    NetworkCheckInputs inputs = withLoss("categorical_crossentropy");
    inputs.training.batchSize = 32;
    inputs.parameterCounts = {{"dense", 7850}};
    const uint64_t need =
        estimateTrainingMemory(graph, inputs.training, inputs.parameterCounts).total();
    inputs.memory = DeviceMemory{"the CPU", need};
    QVERIFY(checkNetwork(graph, inputs).empty());

    inputs.memory->freeBytes = need - 1;
    const std::vector<NetworkWarning> warnings = checkNetwork(graph, inputs);
    QCOMPARE(warnings.size(), size_t{1});
    QVERIFY(warnings[0].layer.empty());
    QVERIFY2(mentions(warnings[0], "at batch size 32") && mentions(warnings[0], "the CPU has") &&
                 mentions(warnings[0], "Lower the batch size"),
             warnings[0].message.c_str());
    QVERIFY(!warnings[0].fix);
}

void TestNetworkChecks::invalidOutputIsLeftToValidation() {
    // A Dense on an image is invalid: its red mark says why, and no warning adds to it.
    Graph graph = inputDense({1, 28, 28}, 10, "linear");
    QVERIFY(!graph.validate().empty());
    QVERIFY(checkNetwork(graph, withLoss("categorical_crossentropy", kFashionMnist)).empty());
}

void TestNetworkChecks::dataFactsOfLoadedData() {
    LoadedData data;
    data.train.samples = Tensor::zeros(Shape{4, 3, 32, 32});
    data.train.targets = Tensor::zeros(Shape{4});
    data.train.classNames = {"cat", "dog"};
    DataFacts facts = dataFactsOf(data, {{"source", "folder:/photos"}});
    QVERIFY(facts.classification);
    QCOMPARE(facts.classCount, int64_t{2});
    QCOMPARE(facts.sampleShape, (Shape{3, 32, 32}));
    QVERIFY(facts.imagesFollowInput);

    data.train.classNames.clear();
    facts = dataFactsOf(data, {{"source", "csv:/table.csv"}});
    QVERIFY(!facts.classification);
    QCOMPARE(facts.classCount, int64_t{0});
    QVERIFY(!facts.imagesFollowInput);
}

void TestNetworkChecks::describesFixes() {
    QCOMPARE(describeFix(SetLayerParameter{"dense", "activation", "softmax"}),
             std::string("Set the activation of 'dense' to softmax"));
    QCOMPARE(describeFix(SetLayerParameter{"dense", "units", 10}),
             std::string("Set the units of 'dense' to 10"));
    QCOMPARE(describeFix(SetTrainingLoss{"categorical_crossentropy"}),
             std::string("Set the loss to categorical cross-entropy"));
}

void TestNetworkChecks::freeMemoryOfTheCpu() {
    const std::optional<DeviceMemory> cpu = freeMemoryFor("cpu");
    QVERIFY(cpu);
    QCOMPARE(cpu->device, std::string("the CPU"));
    QVERIFY(cpu->freeBytes > 0);
    QVERIFY(!freeMemoryFor("a toaster"));
}

QTEST_APPLESS_MAIN(TestNetworkChecks)
#include "TestNetworkChecks.moc"
