#include "ArtController.h"
#include "ArtModelChoice.h"
#include "DreamStudio.h"
#include "ImagePreview.h"
#include "StyleStudio.h"

#include <qcustomplot.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace loom;

/// The Dream and Style tabs end to end: a run asked for from the studio goes through the
/// ArtController's worker and comes back step by step into the preview; Stop ends a run within
/// one step; Save writes a picture that decodes; the project keeps settings and results; a
/// missing pretrained network is explained with a way to fetch it. A tiny random convolutional
/// network exercises the mechanics everywhere; the real InceptionV3 runs where it is fetched.
class TestArtStudios : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void dreamsStepByStep();
    void stylesStepByStep();
    void stopsWithinOneStep();
    void savesTheSettingsAndResultsInTheProject();
    void dreamsAndStylesWithInceptionV3();
    void explainsAMissingPretrainedNetwork();
    void screenshots();

private:
    /// What one run delivered, as the studio showed it.
    struct Outcome {
        std::vector<QImage> previews;  ///< the studio's result after each step
        std::vector<ArtStep> steps;
        bool finished = false, stopped = false;
        QString failure;
        double stopLatencyMs = -1;  ///< from the stop request to the end, when stopped
    };

    /// Presses Run in `studio` and waits for the end, pressing Stop after `stopAfter` steps.
    static Outcome runStudio(ArtController& controller, ArtStudio& studio, int stopAfter = 0);
    /// A random two-convolution network written as a model file.
    QString tinyModel();
    /// A photo (or, without the photo folder, a made-up picture) `height` pixels high.
    QString smallPicture(const QString& name, int height);
    static QString photo(const QString& name);

    QTemporaryDir m_dir;
    QString m_pretrained;  ///< empty when the pretrained InceptionV3 is not there
};

void TestArtStudios::initTestCase() {
    QVERIFY(m_dir.isValid());
    qRegisterMetaType<ArtStep>();
    if (QFile::exists(QString::fromStdString(pretrainedFolder()) + "/inception_v3/model.json")) {
        m_pretrained = QString::fromStdString(pretrainedFolder());
    } else {
        // The studios load InceptionV3 by default; point them at a folder without it so the
        // tiny-model cases do not depend on this machine.
        qputenv("LOOM_PRETRAINED_DIR", m_dir.filePath(QStringLiteral("no-pretrained")).toUtf8());
    }
}

QString TestArtStudios::photo(const QString& name) {
    const QStringList folders = {qEnvironmentVariable("LOOM_PHOTOS_DIR"),
                                 QStringLiteral("/usr/lib/python3/dist-packages/skimage/data")};
    for (const QString& folder : folders) {
        if (!folder.isEmpty() && QFile::exists(folder + "/" + name)) {
            return folder + "/" + name;
        }
    }
    return {};
}

QString TestArtStudios::smallPicture(const QString& name, int height) {
    QImage image(photo(name));
    if (image.isNull()) {
        image = QImage(height * 4 / 3, height, QImage::Format_RGB888);
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                image.setPixelColor(x, y, QColor((x * 7) % 256, (y * 5) % 256, (x * y) % 256));
            }
        }
    }
    const QString path = m_dir.filePath(QStringLiteral("%1-%2.png").arg(height).arg(name));
    image.scaledToHeight(height, Qt::SmoothTransformation).save(path);
    return path;
}

QString TestArtStudios::tinyModel() {
    const nlohmann::json graph = {
        {"format", "loom-graph"},
        {"version", 1},
        {"name", "tiny"},
        {"layers",
         {{{"name", "input"}, {"type", "Input"}, {"params", {{"shape", {3, 48, 48}}}}},
          {{"name", "conv_a"},
           {"type", "Conv2D"},
           {"params", {{"filters", 8}, {"kernel_size", {3, 3}}, {"activation", "relu"}}},
           {"inputs", {"input"}}},
          {{"name", "conv_b"},
           {"type", "Conv2D"},
           {"params", {{"filters", 8}, {"kernel_size", {3, 3}}, {"activation", "relu"}}},
           {"inputs", {"conv_a"}}}}},
        {"outputs", {"conv_b"}}};
    const QString path = m_dir.filePath(QStringLiteral("tiny.json"));
    std::ofstream(path.toStdString()) << graph.dump(2);
    return path;
}

TestArtStudios::Outcome TestArtStudios::runStudio(ArtController& controller, ArtStudio& studio,
                                                  int stopAfter) {
    Outcome outcome;
    QElapsedTimer sinceStop;
    QMetaObject::Connection onStep =
        connect(&controller, &ArtController::stepReported, &studio, [&](const ArtStep& step) {
            outcome.steps.push_back(step);
            outcome.previews.push_back(studio.result());
            if (stopAfter > 0 && int(outcome.steps.size()) == stopAfter) {
                sinceStop.start();
                studio.findChild<QPushButton*>(QStringLiteral("stopButton"))->click();
            }
        });
    QSignalSpy finished(&controller, &ArtController::finished);
    QSignalSpy failed(&controller, &ArtController::failed);
    studio.findChild<QPushButton*>(QStringLiteral("runButton"))->click();
    if (!QTest::qWaitFor([&] { return !controller.isRunning(); }, 600000)) {
        outcome.failure = QStringLiteral("the run did not end in ten minutes");
        return outcome;
    }
    disconnect(onStep);
    outcome.finished = finished.count() == 1;
    outcome.stopped = outcome.finished && finished.at(0).at(1).toBool();
    outcome.failure = failed.isEmpty() ? studio.findChild<QLabel*>(QStringLiteral("status"))->text()
                                       : failed.at(0).at(0).toString();
    if (sinceStop.isValid()) {
        outcome.stopLatencyMs = double(sinceStop.elapsed());
    }
    return outcome;
}

namespace {

/// Every preview differs from the one before it (the picture changed after every step).
void verifyChangesEveryStep(const std::vector<QImage>& previews, const QImage& original) {
    QImage previous = original.convertToFormat(QImage::Format_RGB888);
    for (size_t i = 0; i < previews.size(); ++i) {
        QVERIFY2(!previews[i].isNull(), qPrintable(QStringLiteral("step %1").arg(i + 1)));
        QVERIFY2(previews[i] != previous,
                 qPrintable(QStringLiteral("the preview did not change at step %1").arg(i + 1)));
        previous = previews[i];
    }
}

}  // namespace

void TestArtStudios::dreamsStepByStep() {
    ArtController controller;
    DreamStudio studio;
    controller.attach(&studio);
    studio.modelChoice()->load(tinyModel());
    QVERIFY2(studio.modelChoice()->model(), qPrintable(studio.modelChoice()->problem()));
    QVERIFY(studio.openImage(smallPicture(QStringLiteral("chelsea.png"), 48)));
    studio.applySettings({{"layers", {{"conv_b", 1.0}}},
                          {"octaves", 1},
                          {"iterations", 3},
                          {"step", 0.05},
                          {"jitter", 2}});
    const Outcome outcome = runStudio(controller, studio);
    QVERIFY2(outcome.finished, qPrintable(outcome.failure));
    QVERIFY(!outcome.stopped);
    QCOMPARE(outcome.steps.size(), size_t{3});
    QCOMPARE(outcome.steps.back().step, int64_t{3});
    verifyChangesEveryStep(outcome.previews, QImage(smallPicture("chelsea.png", 48)));
    QCOMPARE(studio.result().height(), 48);

    const QString saved = m_dir.filePath(QStringLiteral("dream.png"));
    QVERIFY(studio.saveResult(saved));
    const QImage decoded(saved);
    QCOMPARE(decoded.size(), studio.result().size());
    QCOMPARE(decoded.convertToFormat(QImage::Format_RGB888), studio.result());
}

void TestArtStudios::stylesStepByStep() {
    ArtController controller;
    StyleStudio studio;
    controller.attach(&studio);
    studio.modelChoice()->load(tinyModel());
    QVERIFY2(studio.modelChoice()->model(), qPrintable(studio.modelChoice()->problem()));
    QVERIFY(studio.openContent(smallPicture(QStringLiteral("chelsea.png"), 48)));
    QVERIFY(studio.openStyle(smallPicture(QStringLiteral("ihc.png"), 48)));
    studio.applySettings({{"content_layer", "conv_b"},
                          {"style_layers", {{"conv_a", 1.0}, {"conv_b", 1.0}}},
                          {"height", 40},
                          {"iterations", 3},
                          {"optimizer", "adam"}});
    QCOMPARE(studio.settings().contentLayer, std::string("conv_b"));
    const Outcome outcome = runStudio(controller, studio);
    QVERIFY2(outcome.finished, qPrintable(outcome.failure));
    QCOMPARE(outcome.steps.size(), size_t{3});
    verifyChangesEveryStep(outcome.previews, QImage());
    QCOMPARE(studio.result().height(), 40);
    // The chart follows the total and each part, one point per iteration (a log axis leaves
    // out a part that is zero, as the content term is where the picture starts).
    const QCustomPlot* chart = studio.lossChart();
    QCOMPARE(chart->graph(0)->dataCount(), 3);
    for (int i = 1; i < chart->graphCount(); ++i) {
        const QString name = chart->graph(i)->name();
        int positive = 0;
        for (const ArtStep& step : outcome.steps) {
            QCOMPARE(step.terms.size(), size_t{3});
            for (const auto& [term, value] : step.terms) {
                positive += term == name && value > 0;
            }
        }
        QCOMPARE(chart->graph(i)->dataCount(), positive);
        QVERIFY2(positive > 0, qPrintable(name));
    }
}

void TestArtStudios::stopsWithinOneStep() {
    ArtController controller;
    DreamStudio studio;
    controller.attach(&studio);
    studio.modelChoice()->load(tinyModel());
    QVERIFY(studio.openImage(smallPicture(QStringLiteral("chelsea.png"), 160)));
    studio.applySettings({{"layers", {{"conv_b", 1.0}}}, {"octaves", 1}, {"iterations", 1000}});
    const Outcome outcome = runStudio(controller, studio, 2);
    QVERIFY2(outcome.finished, qPrintable(outcome.failure));
    QVERIFY(outcome.stopped);
    QVERIFY(outcome.steps.size() < 1000);
    // The longest step, from the times the engine reports.
    double longestStepMs = 0;
    for (size_t i = 1; i < outcome.steps.size(); ++i) {
        longestStepMs = std::max(longestStepMs,
                                 1000 * (outcome.steps[i].seconds - outcome.steps[i - 1].seconds));
    }
    // Within one step, plus a drain tick and the queued hop back to the GUI thread.
    QVERIFY2(outcome.stopLatencyMs <= 2 * longestStepMs + 150,
             qPrintable(QStringLiteral("stopped %1 ms after the request; a step takes %2 ms")
                            .arg(outcome.stopLatencyMs)
                            .arg(longestStepMs)));
    QVERIFY(studio.findChild<QPushButton*>(QStringLiteral("runButton"))->isEnabled());
    QVERIFY(!studio.findChild<QPushButton*>(QStringLiteral("stopButton"))->isEnabled());
}

void TestArtStudios::savesTheSettingsAndResultsInTheProject() {
    ArtController controller;
    DreamStudio studio;
    controller.attach(&studio);
    studio.modelChoice()->load(tinyModel());
    QVERIFY(studio.openImage(smallPicture(QStringLiteral("coffee.png"), 48)));
    studio.applySettings(
        {{"layers", {{"conv_a", 0.5}}}, {"octaves", 2}, {"octave_scale", 1.3}, {"iterations", 2}});
    QVERIFY(runStudio(controller, studio).finished);
    Project project;
    controller.storeInProject(project);
    const nlohmann::json& dream = project.art.at("dream");
    QCOMPARE(dream.at("octaves").get<int>(), 2);
    QCOMPARE(dream.at("layers").at("conv_a").get<double>(), 0.5);
    QCOMPARE(QString::fromStdString(dream.at("model")), studio.modelChoice()->source());
    const Tensor& picture = project.artImages.at("dream");
    QCOMPARE(picture.dim(0), int64_t{3});
    QCOMPARE(picture.dim(1), int64_t{studio.result().height()});
    for (int64_t i = 0; i < picture.numel(); ++i) {
        QVERIFY(picture.at(i) >= 0 && picture.at(i) <= 1);
    }

    // Another studio given those settings shows them again.
    DreamStudio restored;
    restored.modelChoice()->load(tinyModel());
    restored.applySettings(dream);
    QCOMPARE(restored.settingsJson(), dream);
}

void TestArtStudios::dreamsAndStylesWithInceptionV3() {
    if (m_pretrained.isEmpty()) {
        QSKIP(
            "the pretrained InceptionV3 is not fetched (node examples/fetch_pretrained.js, or "
            "set LOOM_PRETRAINED_DIR)");
    }
    ArtController controller;
    DreamStudio dream;
    StyleStudio style;
    controller.attach(&dream);
    controller.attach(&style);
    QVERIFY2(dream.modelChoice()->model(), qPrintable(dream.modelChoice()->problem()));
    QVERIFY(dream.openImage(smallPicture(QStringLiteral("chelsea.png"), 64)));
    dream.applySettings({{"octaves", 1}, {"iterations", 3}});
    const Outcome dreamt = runStudio(controller, dream);
    QVERIFY2(dreamt.finished, qPrintable(dreamt.failure));
    QCOMPARE(dreamt.steps.size(), size_t{3});
    verifyChangesEveryStep(dreamt.previews, QImage(smallPicture("chelsea.png", 64)));

    QVERIFY(style.openContent(smallPicture(QStringLiteral("chelsea.png"), 64)));
    QVERIFY(style.openStyle(smallPicture(QStringLiteral("ihc.png"), 64)));
    style.applySettings({{"height", 48}, {"iterations", 3}});
    const Outcome styled = runStudio(controller, style);
    QVERIFY2(styled.finished, qPrintable(styled.failure));
    QCOMPARE(styled.steps.size(), size_t{3});
    verifyChangesEveryStep(styled.previews, QImage());
    const QString saved = m_dir.filePath(QStringLiteral("styled.jpg"));
    QVERIFY(style.saveResult(saved));
    QCOMPARE(QImage(saved).height(), 48);
}

void TestArtStudios::explainsAMissingPretrainedNetwork() {
    const QByteArray before = qgetenv("LOOM_PRETRAINED_DIR");
    qputenv("LOOM_PRETRAINED_DIR", m_dir.filePath(QStringLiteral("empty")).toUtf8());
    DreamStudio studio;
    qputenv("LOOM_PRETRAINED_DIR", before);
    QVERIFY(!studio.modelChoice()->model());
    const auto* message = studio.findChild<QLabel*>(QStringLiteral("modelProblem"));
    QVERIFY(!message->isHidden());
    QVERIFY2(message->text().contains(QStringLiteral("not installed")) &&
                 message->text().contains(QStringLiteral("fetch_pretrained.js")),
             qPrintable(message->text()));
    auto* fetch = studio.findChild<QPushButton*>(QStringLiteral("fetchButton"));
    QVERIFY(!fetch->isHidden());
    // Run says why it cannot.
    studio.run();
    QVERIFY(studio.findChild<QLabel*>(QStringLiteral("status"))->text().contains("not installed"));

    // The fetch command runs with its output shown, then the network is loaded: here a stand-in
    // command that only prints.
    studio.modelChoice()->setFetchCommand(QStringLiteral("sh"),
                                          {QStringLiteral("-c"), QStringLiteral("echo fetching")});
    QSignalSpy reloaded(studio.modelChoice(), &ArtModelChoice::modelChanged);
    fetch->click();
    QTRY_COMPARE(reloaded.count(), 1);
    const auto* log = studio.findChild<QPlainTextEdit*>(QStringLiteral("fetchLog"));
    QVERIFY(!log->isHidden());
    QVERIFY2(log->toPlainText().contains(QStringLiteral("fetching")),
             qPrintable(log->toPlainText()));
}

void TestArtStudios::screenshots() {
    const QString folder = qEnvironmentVariable("LOOM_GUI_SHOTS");
    if (folder.isEmpty() || m_pretrained.isEmpty() || photo("chelsea.png").isEmpty() ||
        photo("ihc.png").isEmpty()) {
        QSKIP(
            "set LOOM_GUI_SHOTS to a folder, with InceptionV3 and the photos there, to take the "
            "screenshots");
    }
    QVERIFY(QDir().mkpath(folder));
    ArtController controller;
    DreamStudio dream;
    StyleStudio style;
    controller.attach(&dream);
    controller.attach(&style);
    for (ArtStudio* studio : {static_cast<ArtStudio*>(&dream), static_cast<ArtStudio*>(&style)}) {
        studio->resize(1200, 720);
        studio->show();
        QVERIFY(QTest::qWaitForWindowExposed(studio));
    }
    QVERIFY(dream.openImage(photo("chelsea.png")));
    dream.applySettings({{"octaves", 3}, {"iterations", 8}, {"jitter", 8}});
    QVERIFY(runStudio(controller, dream).finished);
    QVERIFY(dream.grab().save(folder + "/dream-tab.png"));

    QVERIFY(style.openContent(photo("chelsea.png")));
    QVERIFY(style.openStyle(photo("ihc.png")));
    style.applySettings({{"height", 160}, {"iterations", 12}});
    QVERIFY(runStudio(controller, style).finished);
    QVERIFY(style.grab().save(folder + "/style-tab.png"));
}

QTEST_MAIN(TestArtStudios)
#include "TestArtStudios.moc"
