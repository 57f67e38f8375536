#include "HyperparameterPanel.h"
#include "ModelSummaryView.h"
#include "NetworkCanvas.h"
#include "NetworkModel.h"
#include "ParamForm.h"
#include "PropertyEditor.h"
#include "WireItem.h"

#include <loom/Graph.h>
#include <loom/Layer.h>
#include <loom/LocalRanks.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>

#include <memory>

using namespace loom;

/// The property editor, generated from parameter declarations: editing a layer's spin box
/// changes the layer and every shape downstream, one undo step at a time; with nothing selected
/// it shows the training settings. The model summary follows the same edits.
class TestPropertyEditor : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void generatesAnEditorPerDeclaredParameter_data();
    void generatesAnEditorPerDeclaredParameter();
    void spinBoxEditChangesLayerAndShapesDownstream();
    void listAndChoiceEditsReachTheLayer();
    void refusedValueSnapsBackWithTheReason();
    void trainableAndFactorFieldsFreezeAndScaleTheLayer();
    void showsModelSettingsWithoutASingleSelection();
    void hyperparameterPanelReportsWholeConfigurations();
    void settingsShowAsTypedAndStoreWhatIsShown();
    void summaryFollowsEdits();

private:
    std::unique_ptr<Graph> m_graph;
    std::unique_ptr<QUndoStack> m_undo;
    std::unique_ptr<NetworkModel> m_model;
    std::unique_ptr<NetworkCanvas> m_canvas;
    std::unique_ptr<PropertyEditor> m_editor;
};

void TestPropertyEditor::init() {
    m_graph = std::make_unique<Graph>(Graph::fromJson(nlohmann::json::parse(R"({
        "format": "loom-graph", "version": 1, "layers": [
          {"name": "input", "type": "Input", "params": {"shape": [1, 28, 28]}},
          {"name": "conv", "type": "Conv2D", "params": {"filters": 8}, "inputs": ["input"]},
          {"name": "flatten", "type": "Flatten", "inputs": ["conv"]},
          {"name": "dense", "type": "Dense", "params": {"units": 10}, "inputs": ["flatten"]}]})")));
    m_undo = std::make_unique<QUndoStack>();
    m_model = std::make_unique<NetworkModel>(*m_graph, *m_undo);
    m_canvas = std::make_unique<NetworkCanvas>(*m_model);
    m_editor = std::make_unique<PropertyEditor>(*m_model);
    connect(m_canvas.get(), &NetworkCanvas::selectionChanged, m_editor.get(),
            &PropertyEditor::showSelection);
}

void TestPropertyEditor::cleanup() {
    m_editor.reset();
    m_canvas.reset();
    m_model.reset();
    m_undo.reset();
    m_graph.reset();
}

void TestPropertyEditor::generatesAnEditorPerDeclaredParameter_data() {
    QTest::addColumn<QString>("type");
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        QTest::newRow(kind->type.c_str()) << QString::fromStdString(kind->type);
    }
}

void TestPropertyEditor::generatesAnEditorPerDeclaredParameter() {
    QFETCH(QString, type);
    const QString name = m_model->addLayer(type, {0, 0});
    m_canvas->selectLayers({name});
    ParamForm* form = m_editor->layerForm();
    QVERIFY(form);
    const Layer& layer = m_graph->layer(name.toStdString());
    for (const ParamSpec& spec : layer.kind().params) {
        QWidget* editor = form->editor(QString::fromStdString(spec.name));
        QVERIFY2(editor, spec.name.c_str());
        QVERIFY(editor->toolTip().contains(QString::fromStdString(spec.help)));
        switch (spec.type) {
            case ParamType::Int: {
                auto* box = qobject_cast<QSpinBox*>(editor);
                QVERIFY(box);
                QCOMPARE(box->value(), layer.params().getInt(spec.name));
                QCOMPARE(box->minimum(), int(std::max(spec.min, double(INT_MIN))));
                break;
            }
            case ParamType::Float:
                QVERIFY(qobject_cast<QDoubleSpinBox*>(editor));
                QCOMPARE(qobject_cast<QDoubleSpinBox*>(editor)->value(),
                         layer.params().getFloat(spec.name));
                break;
            case ParamType::Bool:
                QCOMPARE(qobject_cast<QCheckBox*>(editor)->isChecked(),
                         layer.params().getBool(spec.name));
                break;
            case ParamType::Choice:
                QCOMPARE(qobject_cast<QComboBox*>(editor)->count(), int(spec.choices.size()));
                QCOMPARE(qobject_cast<QComboBox*>(editor)->currentText().toStdString(),
                         layer.params().getString(spec.name));
                break;
            case ParamType::IntList:
            case ParamType::String:
                QVERIFY(qobject_cast<QLineEdit*>(editor));
                break;
        }
    }
}

void TestPropertyEditor::spinBoxEditChangesLayerAndShapesDownstream() {
    m_canvas->selectLayers({"conv"});
    QCOMPARE(m_editor->layer(), QStringLiteral("conv"));
    auto* filters = qobject_cast<QSpinBox*>(m_editor->layerForm()->editor("filters"));
    QVERIFY(filters);
    QCOMPARE(filters->value(), 8);
    QCOMPARE(m_canvas->wireItem("flatten", "dense")->shapeText(), QStringLiteral("(None, 5408)"));

    // As a person does it: select the text, type a number, press Enter.
    filters->setFocus();
    filters->selectAll();
    QTest::keyClicks(filters, "16");
    QTest::keyClick(filters, Qt::Key_Return);
    QCOMPARE(m_graph->layer("conv").params().getInt("filters"), 16);
    QCOMPARE(m_canvas->wireItem("conv", "flatten")->shapeText(),
             QStringLiteral("(None, 16, 26, 26)"));
    QCOMPARE(m_canvas->wireItem("flatten", "dense")->shapeText(), QStringLiteral("(None, 10816)"));
    QCOMPARE(*m_model->analysis().find("dense")->parameters, 10816 * 10 + 10);

    // One step of the arrow is one more undo step; undo brings the editor back too.
    filters->stepUp();
    QCOMPARE(m_graph->layer("conv").params().getInt("filters"), 17);
    m_undo->undo();
    QCOMPARE(m_graph->layer("conv").params().getInt("filters"), 8);
    QCOMPARE(filters->value(), 8);
    QCOMPARE(m_canvas->wireItem("flatten", "dense")->shapeText(), QStringLiteral("(None, 5408)"));
}

void TestPropertyEditor::listAndChoiceEditsReachTheLayer() {
    m_canvas->selectLayers({"conv"});
    auto* kernel = qobject_cast<QLineEdit*>(m_editor->layerForm()->editor("kernel_size"));
    QCOMPARE(kernel->text(), QStringLiteral("3, 3"));
    kernel->setFocus();
    kernel->selectAll();
    QTest::keyClicks(kernel, "5, 5");
    QTest::keyClick(kernel, Qt::Key_Return);
    QCOMPARE(m_graph->layer("conv").params().getInts("kernel_size"), (std::vector<int64_t>{5, 5}));
    QCOMPARE(m_canvas->wireItem("conv", "flatten")->shapeText(),
             QStringLiteral("(None, 8, 24, 24)"));

    auto* padding = qobject_cast<QComboBox*>(m_editor->layerForm()->editor("padding"));
    padding->setCurrentText("same");
    emit padding->activated(padding->currentIndex());
    QCOMPARE(m_graph->layer("conv").params().getString("padding"), std::string("same"));
    QCOMPARE(m_canvas->wireItem("conv", "flatten")->shapeText(),
             QStringLiteral("(None, 8, 28, 28)"));
}

void TestPropertyEditor::refusedValueSnapsBackWithTheReason() {
    m_canvas->selectLayers({"conv"});
    auto* kernel = qobject_cast<QLineEdit*>(m_editor->layerForm()->editor("kernel_size"));
    kernel->setText("3, x");
    kernel->setModified(true);
    emit kernel->editingFinished();
    QCOMPARE(kernel->text(), QStringLiteral("3, 3"));
    auto* refusal = m_editor->findChild<QLabel*>("refusal");
    QVERIFY(refusal);
    QVERIFY2(refusal->text().contains("kernel_size"), qPrintable(refusal->text()));
    QCOMPARE(m_undo->count(), 0);

    // A shape problem is no refusal: the layer takes the value and says what is wrong.
    kernel->setText("40, 40");
    kernel->setModified(true);
    emit kernel->editingFinished();
    QCOMPARE(m_undo->count(), 1);
    QVERIFY(!m_canvas->wireItem("input", "conv")->isValid());
}

void TestPropertyEditor::trainableAndFactorFieldsFreezeAndScaleTheLayer() {
    m_editor->show();
    m_canvas->selectLayers({"conv"});
    auto* trainable = m_editor->findChild<QCheckBox*>("trainable");
    auto* factor = m_editor->findChild<QDoubleSpinBox*>("learningRateFactor");
    QVERIFY(trainable && factor);
    QVERIFY(trainable->isVisible());
    QVERIFY(trainable->isChecked());
    QCOMPARE(factor->value(), 1.0);

    factor->setFocus();
    factor->selectAll();
    QTest::keyClicks(factor, "0.1");
    QTest::keyClick(factor, Qt::Key_Return);
    QCOMPARE(m_graph->layer("conv").learningRateFactor(), 0.1);
    QCOMPARE(m_undo->count(), 1);  // the keystrokes are one step

    trainable->click();
    QVERIFY(!m_graph->layer("conv").trainable());
    QVERIFY(!factor->isEnabled());  // a frozen layer learns at no rate
    m_undo->undo();
    QVERIFY(m_graph->layer("conv").trainable());
    QVERIFY(trainable->isChecked());
    QVERIFY(factor->isEnabled());
    m_undo->undo();
    QCOMPARE(factor->value(), 1.0);
    QCOMPARE(m_graph->layer("conv").learningRateFactor(), 1.0);

    // Fine-tuning from a layer is offered for the layers of a group (a pretrained base).
    auto* fineTune = m_editor->findChild<QPushButton*>("fineTuneFromHere");
    QVERIFY(fineTune);
    QVERIFY(!fineTune->isVisible());
    m_graph->node("conv").group = "base";
    m_model->reset();
    m_canvas->selectLayers({"conv"});
    QVERIFY(fineTune->isVisible());
    QCOMPARE(fineTune->text(), QStringLiteral("Fine-tune base from here..."));

    // A layer without weights has nothing to freeze.
    m_canvas->selectLayers({"flatten"});
    QVERIFY(!trainable->isVisible());
    m_canvas->selectLayers({"dense"});
    QVERIFY(trainable->isVisible());
    QVERIFY(!fineTune->isVisible());
}

void TestPropertyEditor::showsModelSettingsWithoutASingleSelection() {
    m_canvas->selectLayers({"conv", "dense"});
    QVERIFY(!m_editor->layerForm());
    m_canvas->selectLayers({"dense"});
    QVERIFY(m_editor->layerForm());
    m_canvas->selectLayers({});
    QVERIFY(!m_editor->layerForm());
    QVERIFY(m_editor->hyperparameterPanel()->isVisibleTo(m_editor.get()));
    // Deleting the layer shown goes back to the model's settings.
    m_canvas->selectLayers({"dense"});
    m_model->removeLayers({"dense"});
    QVERIFY(!m_editor->layerForm());
}

void TestPropertyEditor::hyperparameterPanelReportsWholeConfigurations() {
    HyperparameterPanel panel;
    TrainingConfig training;
    training.optimizer = "sgd";
    training.optimizerParams = {{"learning_rate", 0.05}};
    training.batchSize = 128;
    panel.setTraining(training);
    QSignalSpy edited(&panel, &HyperparameterPanel::trainingEdited);

    auto* batch = panel.findChild<QSpinBox*>("batch size");
    QVERIFY(batch);
    QCOMPARE(batch->value(), 128);
    batch->setValue(64);
    QCOMPARE(edited.size(), 1);
    auto next = edited.last().first().value<TrainingConfig>();
    QCOMPARE(next.batchSize, int64_t(64));
    QCOMPARE(next.optimizer, std::string("sgd"));
    QCOMPARE(edited.last().at(1).toString(), QStringLiteral("batch size"));

    // The optimizer's own hyperparameters come from its declaration.
    auto* momentum = qobject_cast<QDoubleSpinBox*>(panel.optimizerForm()->editor("momentum"));
    QVERIFY(momentum);
    momentum->setValue(0.9);
    next = edited.last().first().value<TrainingConfig>();
    QCOMPARE(next.optimizerParams["momentum"].get<double>(), 0.9);

    // Switching optimizer keeps the learning rate and rebuilds the form.
    auto* optimizer = panel.findChild<QComboBox*>("optimizer");
    optimizer->setCurrentText("adagrad");
    emit optimizer->activated(optimizer->currentIndex());
    next = edited.last().first().value<TrainingConfig>();
    QCOMPARE(next.optimizer, std::string("adagrad"));
    QCOMPARE(next.optimizerParams["learning_rate"].get<double>(), 0.05);
    panel.setTraining(next);
    QVERIFY(!panel.optimizerForm()->editor("momentum"));
    QVERIFY(panel.optimizerForm()->editor("learning_rate"));

    auto* device = panel.findChild<QComboBox*>("device");
    QVERIFY(device);
    QVERIFY(device->findData("cpu") >= 0);  // the CPU is always listed, with its memory
    QVERIFY(device->itemText(device->findData("cpu")).contains("GiB"));
    // Data-parallel workers on the CPU, where this Loom has Gloo.
    const int workers = device->findText("CPU, 2 data-parallel workers");
    if (dataParallelUnavailableReason().empty()) {
        QVERIFY(workers >= 0);
        device->setCurrentIndex(workers);
        emit device->activated(workers);
        next = edited.last().first().value<TrainingConfig>();
        QCOMPARE(next.device, std::string("cpu"));
        QCOMPARE(next.workers, 2);
        panel.setTraining(next);
        QCOMPARE(device->currentIndex(), workers);
        auto* synchronise = panel.findChild<QCheckBox*>("sync batch norm");
        QVERIFY(synchronise && !synchronise->isChecked());
        synchronise->click();
        QVERIFY(edited.last().first().value<TrainingConfig>().syncBatchNorm);
        next.workers = 1;
        panel.setTraining(next);
        QCOMPARE(device->currentIndex(), device->findData("cpu"));
    } else {
        QCOMPARE(workers, -1);
    }
}

/// Settings imported from Keras or ONNX are float32s widened to double (0.3f is 0.30000001).
void TestPropertyEditor::settingsShowAsTypedAndStoreWhatIsShown() {
    const QString dropout = m_model->addLayer("Dropout", {0, 0});
    QVERIFY(m_model->setParameter(dropout, "rate", double(0.3f)));
    m_canvas->selectLayers({dropout});
    auto* rate = qobject_cast<QDoubleSpinBox*>(m_editor->layerForm()->editor("rate"));
    QVERIFY(rate);
    QCOMPARE(rate->text(), QStringLiteral("0.3"));
    QVERIFY2(rate->toolTip().endsWith("(from 0 to 0.99)"), qPrintable(rate->toolTip()));
    rate->setFocus();
    rate->selectAll();
    QTest::keyClicks(rate, "0.9");
    QTest::keyClick(rate, Qt::Key_Return);
    QCOMPARE(m_graph->layer(dropout.toStdString()).params().getFloat("rate"), 0.9);
    QCOMPARE(rate->text(), QStringLiteral("0.9"));

    HyperparameterPanel panel;
    TrainingConfig training;
    training.optimizerParams = {{"learning_rate", double(1e-5f)}};
    panel.setTraining(training);
    auto* learningRate =
        qobject_cast<QDoubleSpinBox*>(panel.optimizerForm()->editor("learning_rate"));
    QVERIFY(learningRate);
    QCOMPARE(learningRate->text(), QStringLiteral("1e-05"));
    QCOMPARE(float(learningRate->value()), 1e-5f);
    QSignalSpy edited(&panel, &HyperparameterPanel::trainingEdited);
    learningRate->setFocus();
    learningRate->selectAll();
    QTest::keyClicks(learningRate, "3e-5");
    QTest::keyClick(learningRate, Qt::Key_Return);
    QCOMPARE(edited.size(), 1);
    const auto next = edited.last().first().value<TrainingConfig>();
    QCOMPARE(next.optimizerParams["learning_rate"].get<double>(), 3e-5);
    QCOMPARE(float(next.optimizerParams["learning_rate"].get<double>()), 3e-5f);
}

void TestPropertyEditor::summaryFollowsEdits() {
    ModelSummaryView summary(*m_model);
    QTableWidget* table = summary.table();
    QCOMPARE(table->rowCount(), 4);
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("conv (Conv2D)"));
    QCOMPARE(table->item(1, 1)->text(), QStringLiteral("(None, 8, 26, 26)"));
    QCOMPARE(table->item(1, 2)->text(), QStringLiteral("80"));
    QVERIFY(summary.totalsText().contains("Total params: 54,170"));
    QVERIFY(table->isColumnHidden(4));  // a chain: no "Connected to"

    m_model->setParameter("conv", "filters", 16);
    QCOMPARE(table->item(1, 2)->text(), QStringLiteral("160"));
    QVERIFY(summary.totalsText().contains("Total params: 108,330"));

    m_model->addLayer("Dense", {0, 0});
    QCOMPARE(table->rowCount(), 5);
    QCOMPARE(table->item(4, 1)->text(), QStringLiteral("?"));
    QVERIFY(table->item(4, 1)->toolTip().contains("input"));
    QVERIFY(summary.totalsText().contains("valid layers only"));
}

QTEST_MAIN(TestPropertyEditor)
#include "TestPropertyEditor.moc"
