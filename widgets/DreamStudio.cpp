#include "DreamStudio.h"

#include "ArtLayerList.h"
#include "ArtModelChoice.h"
#include "CompactDoubleSpinBox.h"
#include "ImagePreview.h"

#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

namespace loom {

namespace {

QSpinBox* intBox(int low, int high, int value, QWidget* parent) {
    auto* box = new QSpinBox(parent);
    box->setRange(low, high);
    box->setValue(value);
    return box;
}

QDoubleSpinBox* realBox(double low, double high, double step, double value, QWidget* parent) {
    auto* box = new CompactDoubleSpinBox(parent);
    box->setRange(low, high);
    box->setSingleStep(step);
    box->setValue(value);
    return box;
}

}  // namespace

DreamStudio::DreamStudio(QWidget* parent) : ArtStudio(tr("Dream"), parent) {
    const DreamSettings defaults;
    m_original = makeSourcePreview(tr("Original"));
    addOpenButton(tr("Open image…"), m_original);
    m_layers = new ArtLayerList(this);
    m_layers->setMinimumHeight(180);
    m_octaves = intBox(1, 10, defaults.octaves, this);
    m_scale = realBox(1.05, 4, 0.1, defaults.octaveScale, this);
    m_step = realBox(1e-4, 1, 0.005, defaults.step, this);
    m_iterations = intBox(1, 1000, defaults.iterations, this);
    m_jitter = intBox(0, 64, defaults.jitter, this);
    m_jitter->setSuffix(tr(" px"));
    auto* form = new QFormLayout;
    form->addRow(tr("Octaves"), m_octaves);
    form->addRow(tr("Octave scale"), m_scale);
    form->addRow(tr("Step"), m_step);
    form->addRow(tr("Iterations per octave"), m_iterations);
    form->addRow(tr("Jitter"), m_jitter);
    settingsLayout()->addWidget(new QLabel(tr("Layers to dream with, and their weights"), this));
    settingsLayout()->addWidget(m_layers, 1);
    settingsLayout()->addLayout(form);

    auto* pictures = new QHBoxLayout;
    pictures->addWidget(m_original);
    pictures->addWidget(resultPreview());
    setPicturesArea(pictures);
    modelChoice()->load(QStringLiteral("inception_v3"));
}

bool DreamStudio::openImage(const QString& path) {
    return openSource(m_original, path);
}

DreamSettings DreamStudio::settings() const {
    DreamSettings s;
    s.layers = m_layers->chosen();
    s.octaves = m_octaves->value();
    s.octaveScale = m_scale->value();
    s.step = m_step->value();
    s.iterations = m_iterations->value();
    s.jitter = m_jitter->value();
    return s;
}

nlohmann::json DreamStudio::settingsJson() const {
    nlohmann::json json = settings().toJson();
    json["model"] = modelChoice()->source().toStdString();
    json["image"] = sourcePath(m_original).toStdString();
    return json;
}

void DreamStudio::applySettings(const nlohmann::json& json) {
    if (json.contains("model") &&
        QString::fromStdString(json["model"]) != modelChoice()->source()) {
        modelChoice()->load(QString::fromStdString(json["model"]));
    }
    if (json.contains("image") && !json["image"].get<std::string>().empty()) {
        openImage(QString::fromStdString(json["image"]));
    }
    if (json.contains("layers")) {
        std::vector<LayerWeight> layers;
        for (const auto& [name, weight] : json["layers"].items()) {
            layers.push_back({name, weight.get<double>()});
        }
        m_layers->setChosen(layers);
    }
    m_octaves->setValue(json.value("octaves", m_octaves->value()));
    m_scale->setValue(json.value("octave_scale", m_scale->value()));
    m_step->setValue(json.value("step", m_step->value()));
    m_iterations->setValue(json.value("iterations", m_iterations->value()));
    m_jitter->setValue(json.value("jitter", m_jitter->value()));
}

void DreamStudio::run() {
    if (isRunning()) {
        return;
    }
    if (!modelChoice()->model()) {
        showFailure(modelChoice()->problem());
    } else if (m_original->image().isNull()) {
        showFailure(tr("Open or drop a picture to dream on first."));
    } else if (m_layers->chosen().empty()) {
        showFailure(tr("Check at least one layer to dream with."));
    } else {
        emit dreamRequested({modelChoice()->model(), imageToPicture(m_original->image()),
                             settings(), settingsJson()});
    }
}

void DreamStudio::modelLoaded() {
    if (const auto& model = modelChoice()->model()) {
        m_layers->setLayers(*model, modelChoice()->defaults().dreamLayers);
    }
}

QString DreamStudio::resultName() const {
    const QString source = sourcePath(m_original);
    return (source.isEmpty() ? QStringLiteral("dream")
                             : QFileInfo(source).completeBaseName() + QStringLiteral("-dream")) +
           QStringLiteral(".png");
}

}  // namespace loom
