// The Inside tab on a small CNN trained for an epoch on Fashion-MNIST: the layer inspector shows
// a chosen layer's feature maps and statistics for a held-out sample or the Results tab's
// picture, every layer's distributions share one slider, the embedding projects a layer's
// outputs (PCA, then t-SNE) with a click leading to the sample, and each class gets a picture.

#include "ClassPictures.h"
#include "EmbeddingPanel.h"
#include "EmbeddingView.h"
#include "InsidePage.h"
#include "LayerDistributionsView.h"
#include "LayerInspector.h"
#include "TrainingController.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

using namespace loom;

Q_DECLARE_METATYPE(loom::RunRecord)

namespace {

/// conv (8 filters) -> pool -> flatten -> dense softmax: an epoch in seconds on one core.
Project smallCnn() {
    const nlohmann::json json = nlohmann::json::parse(R"({
      "format": "loom-graph", "version": 1, "name": "small_cnn",
      "layers": [
        {"name": "input", "type": "Input", "params": {"shape": [1, 28, 28]}},
        {"name": "conv", "type": "Conv2D",
         "params": {"filters": 8, "kernel_size": [3, 3], "activation": "relu"},
         "inputs": ["input"]},
        {"name": "pool", "type": "MaxPool2D", "params": {"pool_size": [2, 2]}, "inputs": ["conv"]},
        {"name": "flatten", "type": "Flatten", "inputs": ["pool"]},
        {"name": "dense", "type": "Dense", "params": {"units": 10, "activation": "softmax"},
         "inputs": ["flatten"]}
      ],
      "outputs": ["dense"]
    })");
    Project project;
    project.graph = Graph::fromJson(json);
    project.training = TrainingConfig::fromJson(nlohmann::json::parse(R"({
      "optimizer": {"type": "adam", "params": {"learning_rate": 0.001}},
      "loss": "categorical_crossentropy", "batch_size": 128, "epochs": 1, "seed": 12345
    })"));
    project.training.device = "cpu";
    project.data = {{"source", "fashion-mnist"}, {"normalization", "divide_255"}};
    return project;
}

}  // namespace

class TestInsidePage : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        qRegisterMetaType<RunRecord>();
        if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
            QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
        }
    }

    void looksInsideATrainedCnn() {
        Project project = smallCnn();
        TrainingController controller(project);
        InsidePage page(controller);
        page.resize(1200, 800);
        QSignalSpy recorded(&controller, &TrainingController::runRecorded);
        QVERIFY(controller.train());
        QVERIFY(recorded.wait(300000));
        QVERIFY2(!project.runs.back().statistics.empty(), "the run sampled no statistics");

        // The layers, in the order the network runs, without its input.
        QStringList layers;
        for (int i = 0; i < page.layerChoice()->count(); ++i) {
            layers << page.layerChoice()->itemText(i);
        }
        QCOMPARE(layers, (QStringList{"conv", "pool", "flatten", "dense"}));

        // The first convolution for held-out sample 1: eight 26x26 maps, and its statistics
        // as sampled during the run.
        page.chooseLayer(QStringLiteral("conv"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isInspecting() && page.inspector()->shownTiles() == 8,
                                 30000);
        QCOMPARE(page.inspector()->layerName(), QStringLiteral("conv"));
        QVERIFY(page.inspector()->currentSampleIndex() >= 0);
        QVERIFY(page.inspector()->statisticShown(QStringLiteral("dead units")) !=
                QStringLiteral("–"));

        // Every layer's distributions, one chart each.
        QVERIFY(page.distributions()->chartedLayers().contains(QStringLiteral("conv")));
        QCOMPARE(page.distributions()->sampleCount(), int(project.runs.back().statistics.size()));

        // The Results tab's picture replaces the held-out sample.
        const std::optional<Dataset> heldOut = controller.heldOutSamples(3);
        QVERIFY(heldOut.has_value());
        page.showPrediction(controller.predictHeldOut(heldOut->samples.slice(2, 3).clone()));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isInspecting(), 30000);
        QCOMPARE(page.inspector()->shownTiles(), 8);

        // A Data-tab sample comes in pixel values, normalised as the run's data were, and as
        // the data were laid out (here flat), not as the model takes it; one of another size
        // is refused with a reason.
        QCOMPARE(controller.normalizedLikeTraining(Tensor::full(Shape{1, 784}, 255.0)).at(5), 1.0);
        auto* title = page.inspector()->findChild<QLabel*>(QStringLiteral("inspectorTitle"));
        const Tensor flat = heldOut->samples.slice(0, 1).reshape(Shape{1, 784}).clone();
        page.inspectSample(flat, QImage(), QStringLiteral("training sample 7 (Sneaker)"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isInspecting(), 30000);
        QCOMPARE(page.inspector()->shownTiles(), 8);
        const auto shows = [&page](const QString& text) {
            const QList<QLabel*> labels = page.findChildren<QLabel*>();
            return std::any_of(labels.begin(), labels.end(),
                               [&](const QLabel* l) { return l->text().contains(text); });
        };
        QVERIFY(shows(QStringLiteral("What 'conv' makes of training sample 7 (Sneaker)")));
        page.inspectSample(Tensor::zeros(Shape{1, 3, 32, 32}), QImage(), QStringLiteral("x"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isInspecting(), 30000);
        QCOMPARE(page.inspector()->shownTiles(), 0);
        QVERIFY2(title->text().contains(QStringLiteral("the network takes (1, 28, 28)")),
                 qPrintable(title->text()));
    }

    void projectsALayerAndOpensAClickedSample() {
        Project project = smallCnn();
        TrainingController controller(project);
        InsidePage page(controller);
        QSignalSpy recorded(&controller, &TrainingController::runRecorded);
        QVERIFY(controller.train());
        QVERIFY(recorded.wait(300000));

        EmbeddingPanel& embedding = *page.embedding();
        QCOMPARE(embedding.layerChoice()->currentText(), QStringLiteral("flatten"));
        embedding.sampleCount()->setValue(300);
        QVERIFY(embedding.start(EmbeddingPanel::Method::Pca));
        QTRY_VERIFY_WITH_TIMEOUT(!embedding.isRunning(), 60000);
        QCOMPARE(embedding.view()->pointCount(), 300);
        QCOMPARE(embedding.view()->classCount(), 10);

        QVERIFY(embedding.start(EmbeddingPanel::Method::Tsne));
        QTRY_VERIFY_WITH_TIMEOUT(!embedding.isRunning(), 120000);
        QCOMPARE(embedding.view()->pointCount(), 300);
        QVERIFY2(embedding.view()->caption().contains(QStringLiteral("t-SNE")),
                 qPrintable(embedding.view()->caption()));

        // Another project while t-SNE runs: it stops, and nothing of it shows up later.
        QVERIFY(embedding.start(EmbeddingPanel::Method::Tsne));
        QTRY_VERIFY_WITH_TIMEOUT(embedding.view()->pointCount() == 300, 60000);  // its PCA
        page.showProject({});
        QVERIFY(!embedding.isRunning());
        QCOMPARE(embedding.view()->pointCount(), 0);
        QCOMPARE(page.layerChoice()->count(), 0);
        QTest::qWait(300);
        QCOMPARE(embedding.view()->pointCount(), 0);
        controller.runRecorded(0, project.runs.back());  // as after the next run
        QCOMPARE(page.layerChoice()->count(), 4);
        QVERIFY(embedding.start(EmbeddingPanel::Method::Tsne));
        QTRY_VERIFY_WITH_TIMEOUT(!embedding.isRunning(), 120000);

        QSignalSpy chosen(&page, &InsidePage::heldOutSampleChosen);
        emit embedding.view()->sampleChosen(7);
        QCOMPARE(chosen.count(), 1);
        const Tensor sample = chosen.first().first().value<Tensor>();
        QCOMPARE(sample.shape(), (Shape{1, 1, 28, 28}));
        const std::optional<Dataset> heldOut = controller.heldOutSamples(8);
        QCOMPARE(sample.at(400), heldOut->samples.at(7 * 784 + 400));
    }

    void picturesEveryClass() {
        Project project = smallCnn();
        TrainingController controller(project);
        ClassPictures classes(controller);
        QVERIFY(!classes.start());  // nothing trained yet
        QSignalSpy recorded(&controller, &TrainingController::runRecorded);
        QVERIFY(controller.train());
        QVERIFY(recorded.wait(300000));
        QVERIFY(classes.start());
        QTRY_VERIFY_WITH_TIMEOUT(!classes.isRunning(), 120000);
        QCOMPARE(classes.shownCount(), 10);
    }
};

QTEST_MAIN(TestInsidePage)
#include "TestInsidePage.moc"
