#include "InsidePage.h"

#include "ClassPictures.h"
#include "EmbeddingPanel.h"
#include "LayerDistributionsView.h"
#include "LayerInspection.h"
#include "LayerInspector.h"
#include "SampleImage.h"
#include "TrainingController.h"
#include "WorkerJob.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include <memory>

namespace loom {

namespace {

/// How many held-out samples the sample number may choose among.
constexpr int kHeldOutChoices = 10000;

}  // namespace

InsidePage::InsidePage(TrainingController& controller, QWidget* parent)
    : QWidget(parent),
      m_controller(controller),
      m_layer(new QComboBox(this)),
      m_sampleIndex(new QSpinBox(this)),
      m_sampleLabel(new QLabel(this)),
      m_views(new QTabWidget(this)),
      m_inspector(new LayerInspector(this)),
      m_distributions(new LayerDistributionsView(this)),
      m_embedding(new EmbeddingPanel(controller, this)),
      m_classes(new ClassPictures(controller, this)),
      m_job(new WorkerJob(this)) {
    m_layer->setMinimumContentsLength(16);
    m_sampleIndex->setRange(1, kHeldOutChoices);
    m_sampleIndex->setToolTip(
        tr("Which held-out sample the layer inspector runs through the "
           "network (a picture shown on the Results tab replaces it)"));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("&Layer:"), this));
    top->addWidget(m_layer);
    auto* sampleCaption = new QLabel(tr("Held-out &sample:"), this);
    sampleCaption->setBuddy(m_sampleIndex);
    top->addSpacing(16);
    top->addWidget(sampleCaption);
    top->addWidget(m_sampleIndex);
    top->addWidget(m_sampleLabel, 1);
    qobject_cast<QLabel*>(top->itemAt(0)->widget())->setBuddy(m_layer);
    m_views->addTab(m_inspector, tr("Layer"));
    m_views->addTab(m_distributions, tr("All layers"));
    m_views->addTab(m_embedding, tr("Embedding"));
    m_views->addTab(m_classes, tr("Classes"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_views, 1);
    m_inspector->setMessage(QString(), tr("Train the network to see inside it: each layer's "
                                          "feature maps, weights and statistics."));

    connect(m_layer, &QComboBox::currentTextChanged, this, &InsidePage::inspect);
    connect(m_sampleIndex, &QSpinBox::valueChanged, this,
            [this](int number) { chooseHeldOutSample(number - 1); });
    connect(&controller, &TrainingController::runStarted, this, [this] {
        m_inspector->setSamples({});
        m_distributions->clear();
    });
    connect(&controller, &TrainingController::statisticsReported, this,
            [this](int, const StatisticsSample& sample) {
                if (m_layer->count() == 0) {
                    offerLayers(sample);
                }
                m_inspector->addSample(sample);
                m_distributions->addSample(sample);
            });
    connect(&controller, &TrainingController::runRecorded, this, &InsidePage::modelTrained);
    connect(m_distributions, &LayerDistributionsView::layerChosen, this, [this](const QString& l) {
        chooseLayer(l);
        m_views->setCurrentWidget(m_inspector);
    });
    connect(m_embedding, &EmbeddingPanel::heldOutSampleChosen, this,
            &InsidePage::heldOutSampleChosen);
}

bool InsidePage::isInspecting() const {
    return m_job->isRunning();
}

void InsidePage::chooseLayer(const QString& layer) {
    const int index = m_layer->findText(layer);
    if (index >= 0) {
        m_layer->setCurrentIndex(index);
    }
}

void InsidePage::showPrediction(const Prediction& prediction) {
    if (!prediction.error.isEmpty() || !prediction.sample.defined()) {
        return;
    }
    inspectSample(prediction.sample, prediction.image,
                  prediction.top.empty()
                      ? tr("the Results tab's picture")
                      : tr("the Results tab's picture (said: %1)").arg(prediction.top[0].first));
}

void InsidePage::inspectSample(const Tensor& sample, const QImage& image, const QString& name) {
    m_sample = sample;
    m_sampleImage = image;
    m_sampleName = name;
    m_sampleLabel->setText(m_sampleName);
    inspect();
}

void InsidePage::showProject(const std::vector<StatisticsSample>& samples) {
    m_job->cancel();
    m_sample = Tensor();
    m_sampleLabel->clear();
    m_embedding->clear();
    m_classes->clear();
    {
        const QSignalBlocker quiet(m_layer);
        m_layer->clear();
    }
    m_inspector->setMessage(QString(), tr("Train the network to see inside it: each layer's "
                                          "feature maps, weights and statistics."));
    m_inspector->setSamples(samples);
    m_distributions->setSamples(samples);
    if (!samples.empty()) {
        offerLayers(samples.front());
    }
}

void InsidePage::modelTrained() {
    const std::optional<TrainedModel> model = m_controller.trainedModel();
    if (!model) {
        return;
    }
    const QString current = m_layer->currentText();
    const QStringList layers = inspectableLayers(model->graph);
    {
        const QSignalBlocker quiet(m_layer);
        m_layer->clear();
        m_layer->addItems(layers);
        m_layer->setCurrentIndex(std::max(0, int(layers.indexOf(current))));
    }
    m_embedding->setLayers(layers, defaultEmbeddingLayer(model->graph));
    if (m_sample.defined()) {
        inspect();
    } else {
        chooseHeldOutSample(m_sampleIndex->value() - 1);
    }
}

void InsidePage::offerLayers(const StatisticsSample& sample) {
    QStringList layers;
    for (const LayerStatistics& s : sample.layers) {
        layers << QString::fromStdString(s.layer);
    }
    m_layer->addItems(layers);
}

void InsidePage::chooseHeldOutSample(int index) {
    const std::optional<Dataset> heldOut = m_controller.heldOutSamples(1, index);
    if (!heldOut) {
        m_sampleLabel->setText(tr("(no held-out sample %1)").arg(index + 1));
        return;
    }
    const int64_t label = int64_t(heldOut->targets.at(0));
    inspectSample(heldOut->samples, sampleImage(heldOut->samples, 0),
                  tr("held-out sample %1 (%2)")
                      .arg(index + 1)
                      .arg(label < heldOut->classCount()
                               ? QString::fromStdString(heldOut->classNames[size_t(label)])
                               : QString::number(label)));
}

void InsidePage::inspect() {
    const QString layer = m_layer->currentText();
    std::optional<TrainedModel> model = m_controller.trainedModel();
    if (!layer.isEmpty() && !model) {
        m_inspector->setMessage(layer, tr("<b>%1</b>: its feature maps and weights show once the "
                                          "network has trained; its statistics follow the run.")
                                           .arg(layer.toHtmlEscaped()));
    }
    if (layer.isEmpty() || !model || !m_sample.defined()) {
        return;
    }
    auto shared = std::make_shared<TrainedModel>(std::move(*model));
    auto result = std::make_shared<InspectedLayer>();
    auto error = std::make_shared<QString>();
    const Tensor sample = m_sample;
    m_job->start(
        [shared, sample, layer, result, error](ProgressSink&, RunControl&) {
            try {
                *result = inspectLayer(*shared, sample, layer);
            } catch (const std::exception& e) {
                *error = QString::fromUtf8(e.what());
            }
        },
        {},
        [this, layer, result, error] {
            if (!error->isEmpty()) {
                m_inspector->setMessage(layer,
                                        tr("Cannot look inside '%1': %2").arg(layer, *error));
                return;
            }
            result->sample = m_sampleImage;
            result->sampleName = m_sampleName;
            m_inspector->setLayer(*result);
        });
}

}  // namespace loom
