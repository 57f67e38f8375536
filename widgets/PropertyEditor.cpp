#include "PropertyEditor.h"

#include "CompactDoubleSpinBox.h"
#include "HyperparameterPanel.h"
#include "NetworkModel.h"
#include "NodeItem.h"
#include "ParamForm.h"

#include <loom/Layer.h>

#include <QCheckBox>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace loom {

namespace {

QScrollArea* scrolling(QWidget* page, QWidget* parent) {
    auto* area = new QScrollArea(parent);
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    // The form narrows with the dock instead of scrolling sideways.
    area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return area;
}

QLabel* wrappingLabel(QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

}  // namespace

PropertyEditor::PropertyEditor(NetworkModel& model, QWidget* parent)
    : QWidget(parent),
      m_model(model),
      m_pages(new QStackedWidget(this)),
      m_hyperparameters(new HyperparameterPanel(this)) {
    setObjectName(QStringLiteral("propertyEditor"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_pages);
    m_pages->addWidget(scrolling(m_hyperparameters, this));
    m_pages->addWidget(scrolling(createLayerPage(), this));
    connect(&m_model, &NetworkModel::changed, this, &PropertyEditor::refresh);
    connect(&m_model, &NetworkModel::editRefused, this, &PropertyEditor::showRefusal);
    showModelSettings();
}

QWidget* PropertyEditor::createLayerPage() {
    m_layerPage = new QWidget(this);
    m_layerLayout = new QVBoxLayout(m_layerPage);
    m_title = wrappingLabel(m_layerPage);
    m_description = wrappingLabel(m_layerPage);
    m_description->setEnabled(false);
    m_status = wrappingLabel(m_layerPage);
    m_refusal = wrappingLabel(m_layerPage);
    m_refusal->setObjectName(QStringLiteral("refusal"));
    m_refusal->setStyleSheet(QStringLiteral("color: #d32f2f"));
    m_layerLayout->addWidget(m_title);
    m_layerLayout->addWidget(m_description);
    m_layerLayout->addWidget(m_status);
    // The generated form goes here, at index 3.
    m_layerLayout->addWidget(createTrainingFields(m_layerPage));
    m_layerLayout->addWidget(m_refusal);
    m_layerLayout->addStretch(1);
    return m_layerPage;
}

QWidget* PropertyEditor::createTrainingFields(QWidget* parent) {
    m_training = new QWidget(parent);
    auto* form = new QFormLayout(m_training);
    form->setContentsMargins(0, 0, 0, 0);
    m_trainable = new QCheckBox(tr("Trainable"), m_training);
    m_trainable->setObjectName(QStringLiteral("trainable"));
    m_trainable->setToolTip(
        tr("Off: the layer's weights stay as they are (a frozen pretrained base); a frozen "
           "batch normalization also keeps its statistics."));
    m_factor = new CompactDoubleSpinBox(m_training);
    m_factor->setObjectName(QStringLiteral("learningRateFactor"));
    m_factor->setRange(0, 1e6);
    m_factor->setSingleStep(0.1);
    m_factor->setToolTip(
        tr("This layer learns at the optimizer's learning rate times this factor: about 0.1 "
           "for the unfrozen layers of a pretrained base, so fine-tuning does not wreck "
           "what they know."));
    form->addRow(m_trainable);
    form->addRow(tr("Learning-rate factor"), m_factor);
    m_fineTune = new QPushButton(m_training);
    m_fineTune->setObjectName(QStringLiteral("fineTuneFromHere"));
    m_fineTune->setToolTip(
        tr("Unfreezes this layer and the rest of its group after it at a smaller learning "
           "rate, and freezes the layers before it: fine-tuning the top of a pretrained base."));
    form->addRow(m_fineTune);
    connect(m_fineTune, &QPushButton::clicked, this, &PropertyEditor::fineTuneFromHere);
    connect(m_trainable, &QCheckBox::toggled, this, &PropertyEditor::editTraining);
    connect(m_factor, &QDoubleSpinBox::valueChanged, this, &PropertyEditor::editTraining);
    return m_training;
}

void PropertyEditor::editTraining() {
    if (!m_layer.isEmpty()) {
        m_refusal->clear();
        m_model.setTraining(m_layer, {m_trainable->isChecked(), m_factor->value()});
    }
}

void PropertyEditor::fineTuneFromHere() {
    bool chosen = false;
    const double factor = QInputDialog::getDouble(
        this, m_fineTune->text(),
        tr("Learning-rate factor of the unfrozen layers (the new head keeps its own):"), 0.1, 0,
        1e6, 3, &chosen);
    if (chosen) {
        m_refusal->clear();
        m_model.fineTuneFrom(m_layer, factor);
    }
}

void PropertyEditor::refreshTraining(const Graph::Node& node, bool hasWeights) {
    const Layer& layer = *node.layer;
    m_training->setVisible(hasWeights);
    m_fineTune->setVisible(!node.group.empty());
    m_fineTune->setText(tr("Fine-tune %1 from here...").arg(QString::fromStdString(node.group)));
    const QSignalBlocker trainableQuiet(m_trainable), factorQuiet(m_factor);
    m_trainable->setChecked(layer.trainable());
    m_factor->setValue(layer.learningRateFactor());
    m_factor->setEnabled(layer.trainable());
}

void PropertyEditor::showSelection(const QStringList& layers) {
    if (layers.size() == 1 && m_model.contains(layers.constFirst())) {
        showLayer(layers.constFirst());
    } else {
        showModelSettings();
    }
}

void PropertyEditor::showLayer(const QString& layer) {
    if (layer != m_layer) {
        delete m_form;
        const Layer& shown = *m_model.graph().node(layer.toStdString()).layer;
        m_form = new ParamForm(shown.kind().params, m_layerPage);
        m_form->setObjectName(QStringLiteral("layerParameters"));
        m_layerLayout->insertWidget(3, m_form);
        connect(m_form, &ParamForm::valueEdited, this,
                [this](const QString& parameter, const nlohmann::json& value) {
                    m_refusal->clear();
                    m_model.setParameter(m_layer, parameter, value);
                });
        m_layer = layer;
        m_refusal->clear();
    }
    m_pages->setCurrentIndex(1);
    refresh();
}

void PropertyEditor::showModelSettings() {
    delete m_form;
    m_form = nullptr;
    m_layer.clear();
    m_pages->setCurrentIndex(0);
}

void PropertyEditor::refresh() {
    if (m_layer.isEmpty()) {
        return;
    }
    if (!m_model.contains(m_layer)) {
        showModelSettings();
        return;
    }
    const Graph::Node& node = m_model.graph().node(m_layer.toStdString());
    const Layer& layer = *node.layer;
    m_form->setValues(layer.params().toJson());
    m_title->setText(QStringLiteral("<b>%1</b> &nbsp;%2")
                         .arg(m_layer.toHtmlEscaped(), QString::fromStdString(layer.type())));
    m_description->setText(QString::fromStdString(layer.kind().description));
    const LayerAnalysis* analysis = m_model.analysis().find(layer.name());
    refreshTraining(node, analysis != nullptr && analysis->parameters.value_or(0) > 0);
    if (analysis == nullptr) {
        m_status->clear();
    } else if (!analysis->valid) {
        m_status->setText(QStringLiteral("<span style='color:#d32f2f'>%1</span>")
                              .arg(QString::fromStdString(analysis->problem.empty()
                                                              ? "an input of this layer is invalid"
                                                              : analysis->problem)
                                       .toHtmlEscaped()));
    } else {
        m_status->setText(tr("Output %1<br>%2 parameters, %3 multiply-adds")
                              .arg(QString::fromStdString(analysis->outputShape.str("None")),
                                   shortCount(analysis->parameters.value_or(0)),
                                   shortCount(analysis->multiplyAdds.value_or(0))));
    }
}

void PropertyEditor::showRefusal(const QString& reason) {
    if (!m_layer.isEmpty()) {
        m_refusal->setText(reason);
        refresh();  // the editor snaps back to the value the layer kept
    }
}

}  // namespace loom
