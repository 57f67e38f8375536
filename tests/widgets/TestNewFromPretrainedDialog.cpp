#include "NewFromPretrainedDialog.h"

#include <loom/ArtModel.h>
#include <loom/Error.h>
#include <loom/ModelFile.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace loom;

/// File > New from Pretrained on a small base saved as a project, an image folder and, when it
/// is fetched, MobileNetV2: the new project is the base, frozen and grouped, under a head with
/// one unit per class; a base that cannot be one says why and creates nothing.
class TestNewFromPretrainedDialog : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void buildsAFrozenBaseUnderAHeadForAnImageFolder();
    void refusesAModelWithoutWeights();
    void cutsMobileNetV2AtItsLastFeatureMaps();

private:
    QString writeSmallBase(bool withWeights) const;
    QString writeImageFolder(const QStringList& classes) const;
    static QPushButton* createButton(const NewFromPretrainedDialog& dialog);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestNewFromPretrainedDialog::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    // No fetched networks: the dialog opens on MobileNetV2 and must say how to get it.
    qputenv("LOOM_PRETRAINED_DIR", m_dir->filePath(QStringLiteral("none")).toUtf8());
}

void TestNewFromPretrainedDialog::cleanup() {
    qunsetenv("LOOM_PRETRAINED_DIR");
    m_dir.reset();
}

QString TestNewFromPretrainedDialog::writeSmallBase(bool withWeights) const {
    Project project;
    project.graph.add("Input", "picture", {{"shape", {3, 16, 16}}});
    project.graph.add("Conv2D", "conv_a", {{"filters", 4}, {"kernel_size", {3, 3}}}, {"picture"});
    project.graph.add("Conv2D", "conv_b",
                      {{"filters", 8}, {"kernel_size", {3, 3}}, {"strides", {2, 2}}}, {"conv_a"});
    project.graph.add("GlobalAveragePool2D", "pool", nlohmann::json::object(), {"conv_b"});
    project.graph.add("Dense", "old_classes", {{"units", 5}, {"activation", "softmax"}}, {"pool"});
    project.graph.setOutputs({"old_classes"});
    project.graph.build(3);
    project.hasWeights = withWeights;
    const QString path = m_dir->filePath(withWeights ? QStringLiteral("small.loom")
                                                     : QStringLiteral("untrained.json"));
    writeModelFile(project, path.toStdString());
    return path;
}

QString TestNewFromPretrainedDialog::writeImageFolder(const QStringList& classes) const {
    const QString root = m_dir->filePath(QStringLiteral("photos"));
    for (const QString& name : classes) {
        QDir().mkpath(root + QStringLiteral("/train/") + name);
        QImage image(20, 12, QImage::Format_RGB32);
        image.fill(Qt::darkGreen);
        image.save(root + QStringLiteral("/train/") + name + QStringLiteral("/1.png"));
    }
    QDir().mkpath(root + QStringLiteral("/validation"));
    return root;
}

QPushButton* TestNewFromPretrainedDialog::createButton(const NewFromPretrainedDialog& dialog) {
    return dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
}

void TestNewFromPretrainedDialog::buildsAFrozenBaseUnderAHeadForAnImageFolder() {
    NewFromPretrainedDialog dialog;
    QVERIFY(dialog.problem()->text().contains(QStringLiteral("fetch")));
    QVERIFY(!createButton(dialog)->isEnabled());

    QVERIFY(dialog.useModelFile(writeSmallBase(true)));
    QVERIFY(dialog.problem()->text().isEmpty());
    QVERIFY(createButton(dialog)->isEnabled());
    QCOMPARE(dialog.networkChoice()->currentText(), QStringLiteral("small.loom"));
    // conv_b's maps are the last larger than 1x1: where the old classifier starts.
    QCOMPARE(dialog.cutChoice()->currentData().toString(), QStringLiteral("conv_b"));
    QCOMPARE(dialog.cutChoice()->count(), 3);  // picture, conv_a, conv_b: those with maps
    QVERIFY(dialog.pictureSide()->minimum() < 16);

    dialog.useImageFolder(writeImageFolder({"ants", "bees", "wasps"}));
    QCOMPARE(dialog.classCount()->value(), 3);
    QCOMPARE(dialog.pictureSide()->value(), 16);  // photos: the size the base knows
    dialog.pictureSide()->setValue(24);
    createButton(dialog)->click();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));

    std::optional<Project> project = dialog.takeProject();
    QVERIFY(project.has_value());
    const Graph& graph = project->graph;
    QCOMPARE(graph.node("picture").outputShape, (Shape{3, 24, 24}));
    QVERIFY(!graph.contains("old_classes"));
    for (const char* layer : {"picture", "conv_a", "conv_b"}) {
        QVERIFY(!graph.node(layer).layer->trainable());
        QCOMPARE(graph.node(layer).group, std::string("small"));
    }
    QCOMPARE(graph.node("predictions").outputShape, (Shape{3}));
    QVERIFY(graph.node("predictions").layer->trainable());
    QCOMPARE(graph.trainableParameterCount(), int64_t{8 * 3 + 3});
    QCOMPARE(project->data.at("source").get<std::string>(),
             "folder:" + m_dir->filePath(QStringLiteral("photos")).toStdString());
    QVERIFY(!dialog.takeProject().has_value());  // handed over once
}

void TestNewFromPretrainedDialog::refusesAModelWithoutWeights() {
    NewFromPretrainedDialog dialog;
    QVERIFY(!dialog.useModelFile(writeSmallBase(false)));
    QVERIFY(dialog.problem()->text().contains(QStringLiteral("no trained weights")));
    QVERIFY(!createButton(dialog)->isEnabled());
    QVERIFY(!dialog.useModelFile(m_dir->filePath(QStringLiteral("missing.h5"))));
    QVERIFY(!dialog.problem()->text().isEmpty());
    QVERIFY(!dialog.takeProject().has_value());
}

void TestNewFromPretrainedDialog::cutsMobileNetV2AtItsLastFeatureMaps() {
    qunsetenv("LOOM_PRETRAINED_DIR");
    try {
        loadPretrainedModel("mobilenet_v2");
    } catch (const IoError& e) {
        QSKIP(e.what());
    }
    NewFromPretrainedDialog dialog;
    QVERIFY2(dialog.problem()->text().isEmpty(), qPrintable(dialog.problem()->text()));
    QCOMPARE(dialog.cutChoice()->currentData().toString(), QStringLiteral("out_relu"));
    // Fashion-MNIST's 28x28 garments are not upscaled to 224: 96 pixels a side.
    QCOMPARE(dialog.pictureSide()->value(), 96);
    QCOMPARE(dialog.classCount()->value(), 10);
    createButton(dialog)->click();
    std::optional<Project> project = dialog.takeProject();
    QVERIFY(project.has_value());
    QCOMPARE(project->graph.node("out_relu").outputShape, (Shape{1280, 3, 3}));
    QCOMPARE(project->graph.node("out_relu").group, std::string("mobilenet_v2"));
    QCOMPARE(project->graph.trainableParameterCount(), int64_t{1280 * 10 + 10});
}

QTEST_MAIN(TestNewFromPretrainedDialog)
#include "TestNewFromPretrainedDialog.moc"
