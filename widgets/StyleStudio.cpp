#include "StyleStudio.h"

#include "ArtLayerList.h"
#include "ArtModelChoice.h"
#include "CompactDoubleSpinBox.h"
#include "ImagePreview.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

namespace loom {

namespace {

/// The pictures are painted at this height unless the person asks otherwise: big enough to
/// see, small enough for a CPU.
constexpr int kDefaultHeight = 256;

/// The chart's series, in the order of its graphs: the total, then the parts by the names the
/// engine reports them with.
const char* const kSeries[] = {"total", "content", "style", "tv"};
const QColor kSeriesColors[] = {QColor(0x20, 0x20, 0x20), QColor(0x1f, 0x77, 0xb4),
                                QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c)};

QDoubleSpinBox* weightBox(double value, QWidget* parent) {
    auto* box = new CompactDoubleSpinBox(parent);
    box->setRange(0, 1e9);
    box->setValue(value);
    return box;
}

}  // namespace

StyleStudio::StyleStudio(QWidget* parent) : ArtStudio(tr("Result"), parent) {
    const StyleSettings defaults;
    m_content = makeSourcePreview(tr("Content"));
    m_style = makeSourcePreview(tr("Style"));
    addOpenButton(tr("Open content image…"), m_content);
    addOpenButton(tr("Open style image…"), m_style);
    m_contentLayer = new QComboBox(this);
    m_styleLayers = new ArtLayerList(this);
    m_styleLayers->setMinimumHeight(160);
    m_contentWeight = weightBox(defaults.contentWeight, this);
    m_styleWeight = weightBox(defaults.styleWeight, this);
    m_tvWeight = weightBox(defaults.tvWeight, this);
    m_height = new QSpinBox(this);
    m_height->setRange(0, 4096);
    m_height->setSpecialValueText(tr("content's own"));
    m_height->setSuffix(tr(" px"));
    m_height->setValue(kDefaultHeight);
    m_optimizer = new QComboBox(this);
    m_optimizer->addItem(tr("L-BFGS"), QStringLiteral("lbfgs"));
    m_optimizer->addItem(tr("Adam"), QStringLiteral("adam"));
    m_iterations = new QSpinBox(this);
    m_iterations->setRange(1, 10000);
    m_iterations->setValue(defaults.iterations);

    auto* layerForm = new QFormLayout;
    layerForm->addRow(tr("Content layer"), m_contentLayer);
    auto* form = new QFormLayout;
    form->addRow(tr("Content weight"), m_contentWeight);
    form->addRow(tr("Style weight"), m_styleWeight);
    form->addRow(tr("Total variation"), m_tvWeight);
    form->addRow(tr("Output height"), m_height);
    form->addRow(tr("Optimiser"), m_optimizer);
    form->addRow(tr("Iterations"), m_iterations);
    settingsLayout()->addLayout(layerForm);
    settingsLayout()->addWidget(new QLabel(tr("Style layers and their weights"), this));
    settingsLayout()->addWidget(m_styleLayers, 1);
    settingsLayout()->addLayout(form);

    buildChart();
    auto* sources = new QVBoxLayout;
    sources->addWidget(m_content);
    sources->addWidget(m_style);
    auto* top = new QHBoxLayout;
    top->addLayout(sources, 1);
    top->addWidget(resultPreview(), 2);
    auto* pictures = new QVBoxLayout;
    pictures->addLayout(top, 1);
    pictures->addWidget(m_chart);
    setPicturesArea(pictures);
    modelChoice()->load(QStringLiteral("inception_v3"));
}

void StyleStudio::buildChart() {
    m_chart = new QCustomPlot(this);
    m_chart->setObjectName(QStringLiteral("lossChart"));
    m_chart->setFixedHeight(170);
    m_chart->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_chart->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_chart->xAxis->setLabel(tr("iteration"));
    m_chart->yAxis->setLabel(tr("loss"));
    for (size_t i = 0; i < std::size(kSeries); ++i) {
        QCPGraph* graph = m_chart->addGraph();
        graph->setName(QString::fromLatin1(kSeries[i]));
        graph->setPen(QPen(kSeriesColors[i], i == 0 ? 2 : 1.3));
    }
    // The legend in a row of its own above the plot, where it hides no line.
    m_chart->legend->setVisible(true);
    m_chart->legend->setFont(font());
    m_chart->legend->setFillOrder(QCPLegend::foColumnsFirst);
    m_chart->legend->setBorderPen(Qt::NoPen);
    m_chart->plotLayout()->insertRow(0);
    m_chart->plotLayout()->addElement(0, 0, m_chart->legend);
    m_chart->plotLayout()->setRowStretchFactor(0, 0.001);
}

void StyleStudio::stepShown(const ArtStep& step) {
    const auto x = static_cast<double>(step.step);
    m_chart->graph(0)->addData(x, step.loss);
    for (const auto& [name, value] : step.terms) {
        for (int i = 1; i < m_chart->graphCount(); ++i) {
            // A log axis cannot show a zero part (a style weight of 0, say).
            if (m_chart->graph(i)->name() == name && value > 0) {
                m_chart->graph(i)->addData(x, value);
            }
        }
    }
    m_chart->rescaleAxes();
    m_chart->replot(QCustomPlot::rpQueuedReplot);
}

bool StyleStudio::openContent(const QString& path) {
    return openSource(m_content, path);
}

bool StyleStudio::openStyle(const QString& path) {
    return openSource(m_style, path);
}

StyleSettings StyleStudio::settings() const {
    StyleSettings s;
    s.contentLayer = m_contentLayer->currentText().toStdString();
    s.styleLayers = m_styleLayers->chosen();
    s.contentWeight = m_contentWeight->value();
    s.styleWeight = m_styleWeight->value();
    s.tvWeight = m_tvWeight->value();
    s.height = m_height->value();
    s.iterations = m_iterations->value();
    s.optimizer = m_optimizer->currentData() == QStringLiteral("adam") ? PixelOptimizerKind::Adam
                                                                       : PixelOptimizerKind::Lbfgs;
    return s;
}

nlohmann::json StyleStudio::settingsJson() const {
    nlohmann::json json = settings().toJson();
    json["model"] = modelChoice()->source().toStdString();
    json["content_image"] = sourcePath(m_content).toStdString();
    json["style_image"] = sourcePath(m_style).toStdString();
    return json;
}

void StyleStudio::applySettings(const nlohmann::json& json) {
    if (json.contains("model") &&
        QString::fromStdString(json["model"]) != modelChoice()->source()) {
        modelChoice()->load(QString::fromStdString(json["model"]));
    }
    if (!json.value("content_image", std::string()).empty()) {
        openContent(QString::fromStdString(json["content_image"]));
    }
    if (!json.value("style_image", std::string()).empty()) {
        openStyle(QString::fromStdString(json["style_image"]));
    }
    if (json.contains("content_layer")) {
        m_contentLayer->setCurrentText(QString::fromStdString(json["content_layer"]));
    }
    if (json.contains("style_layers")) {
        std::vector<LayerWeight> layers;
        for (const auto& [name, weight] : json["style_layers"].items()) {
            layers.push_back({name, weight.get<double>()});
        }
        m_styleLayers->setChosen(layers);
    }
    m_contentWeight->setValue(json.value("content_weight", m_contentWeight->value()));
    m_styleWeight->setValue(json.value("style_weight", m_styleWeight->value()));
    m_tvWeight->setValue(json.value("tv_weight", m_tvWeight->value()));
    m_height->setValue(json.value("height", m_height->value()));
    m_iterations->setValue(json.value("iterations", m_iterations->value()));
    if (json.contains("optimizer")) {
        m_optimizer->setCurrentIndex(
            m_optimizer->findData(QString::fromStdString(json["optimizer"])));
    }
}

void StyleStudio::run() {
    if (isRunning()) {
        return;
    }
    if (!modelChoice()->model()) {
        showFailure(modelChoice()->problem());
    } else if (m_content->image().isNull() || m_style->image().isNull()) {
        showFailure(tr("Open or drop a content picture and a style picture first."));
    } else if (m_styleLayers->chosen().empty() || m_contentLayer->currentText().isEmpty()) {
        showFailure(tr("Choose a content layer and at least one style layer."));
    } else {
        for (int i = 0; i < m_chart->graphCount(); ++i) {
            m_chart->graph(i)->data()->clear();
        }
        m_chart->replot();
        emit styleRequested({modelChoice()->model(), imageToPicture(m_content->image()),
                             imageToPicture(m_style->image()), settings(), settingsJson()});
    }
}

void StyleStudio::modelLoaded() {
    m_contentLayer->clear();
    const auto& model = modelChoice()->model();
    if (!model) {
        return;
    }
    for (const Graph::Node& node : model->nodes()) {
        if (!node.inputs.empty()) {
            m_contentLayer->addItem(QString::fromStdString(node.layer->name()));
        }
    }
    const ArtModelDefaults& defaults = modelChoice()->defaults();
    m_contentLayer->setCurrentText(QString::fromStdString(defaults.contentLayer));
    m_styleLayers->setLayers(*model, defaults.styleLayers);
}

QString StyleStudio::resultName() const {
    const QString content = sourcePath(m_content);
    return (content.isEmpty() ? QStringLiteral("style")
                              : QFileInfo(content).completeBaseName() + QStringLiteral("-styled")) +
           QStringLiteral(".png");
}

}  // namespace loom
