#include "LayerInspector.h"

#include "DistributionChart.h"
#include "HistogramChart.h"
#include "LayerDistributionsView.h"
#include "TensorTiles.h"
#include "TileGrid.h"

#include <loom/LayerHealth.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace loom {

namespace {

/// A statistics row: its name, what it means and how to read it, and its value in a sample.
struct StatisticRow {
    const char* name;
    const char* meaning;
    QString (*value)(const LayerStatistics&);
};

QString number(double v) {
    return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'g', 4);
}

QString percent(double v) {
    return std::isnan(v) ? QStringLiteral("–") : QStringLiteral("%1 %").arg(v * 100, 0, 'f', 1);
}

const StatisticRow kRows[] = {
    {QT_TRANSLATE_NOOP("LayerInspector", "activation mean"),
     QT_TRANSLATE_NOOP("LayerInspector", "The mean of the layer's outputs over the batch"),
     [](const LayerStatistics& s) { return number(s.activationMean); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "activation std"),
     QT_TRANSLATE_NOOP("LayerInspector",
                       "Their spread: near 0 the layer says the same for every sample"),
     [](const LayerStatistics& s) { return number(s.activationStd); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "zero outputs"),
     QT_TRANSLATE_NOOP("LayerInspector", "Outputs exactly 0 (ReLU's inactive side)"),
     [](const LayerStatistics& s) { return percent(s.zeroFraction); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "dead units"),
     QT_TRANSLATE_NOOP("LayerInspector",
                       "Units 0 for every sample of the batch: they no longer learn. Many? "
                       "Lower the learning rate, try LeakyReLU or He initialisation"),
     [](const LayerStatistics& s) { return percent(s.deadFraction); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "saturated units"),
     QT_TRANSLATE_NOOP("LayerInspector",
                       "Sigmoid/tanh outputs at their bounds, where the gradient vanishes. Many? "
                       "Normalise the inputs, use ReLU, or add batch normalisation"),
     [](const LayerStatistics& s) { return percent(s.saturatedFraction); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "weight norm"),
     QT_TRANSLATE_NOOP("LayerInspector", "||W||, the size of the layer's trainable weights"),
     [](const LayerStatistics& s) { return number(s.weightNorm); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "gradient norm"),
     QT_TRANSLATE_NOOP("LayerInspector",
                       "||dL/dW||: far below the output layer's, the layer barely learns "
                       "(vanishing gradients)"),
     [](const LayerStatistics& s) { return number(s.gradientNorm); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "gradient RMS"),
     QT_TRANSLATE_NOOP("LayerInspector",
                       "The gradient norm per weight, comparable between layers of any size"),
     [](const LayerStatistics& s) { return number(s.gradientRms()); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "update ratio"),
     QT_TRANSLATE_NOOP("LayerInspector",
                       "||ΔW|| / ||W|| of one step: about 1e-3 is healthy, above 1e-2 the "
                       "learning rate is too high, below 1e-4 too low"),
     [](const LayerStatistics& s) { return number(s.updateRatio); }},
    {QT_TRANSLATE_NOOP("LayerInspector", "non-finite values"),
     QT_TRANSLATE_NOOP("LayerInspector", "NaN or infinite outputs, weights or gradients"),
     [](const LayerStatistics& s) { return QString::number(s.nonFinite); }},
};

}  // namespace

LayerInspector::LayerInspector(QWidget* parent)
    : QWidget(parent),
      m_title(new QLabel(tr("Select a layer on the canvas, or choose one above."), this)),
      m_tabs(new QTabWidget(this)) {
    m_title->setObjectName(QStringLiteral("inspectorTitle"));
    m_title->setWordWrap(true);
    buildFeatureMapsTab();
    buildWeightsTab();
    buildStatisticsTab();
    buildDistributionsTab();
    m_step = new QSlider(Qt::Horizontal, this);
    m_step->setEnabled(false);
    m_stepLabel = new QLabel(tr("No statistics: train with layer statistics on"), this);
    auto* stepRow = new QHBoxLayout;
    stepRow->addWidget(new QLabel(tr("Training step:"), this));
    stepRow->addWidget(m_step, 1);
    stepRow->addWidget(m_stepLabel);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_tabs, 1);
    layout->addLayout(stepRow);
    connect(m_step, &QSlider::valueChanged, this, &LayerInspector::showStep);
}

void LayerInspector::buildFeatureMapsTab() {
    auto* page = new QWidget(this);
    m_mapsCaption = new QLabel(page);
    m_mapsCaption->setWordWrap(true);
    m_maps = new TileGrid(page);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(m_mapsCaption);
    layout->addWidget(m_maps, 1);
    m_tabs->addTab(page, tr("Feature maps"));
}

void LayerInspector::buildWeightsTab() {
    auto* page = new QWidget(this);
    m_weightsCaption = new QLabel(page);
    m_weightsCaption->setWordWrap(true);
    m_channel = new QSpinBox(page);
    m_channel->setPrefix(tr("input channel "));
    m_weights = new TileGrid(page);
    auto* top = new QHBoxLayout;
    top->addWidget(m_weightsCaption, 1);
    top->addWidget(m_channel);
    auto* layout = new QVBoxLayout(page);
    layout->addLayout(top);
    layout->addWidget(m_weights, 1);
    m_tabs->addTab(page, tr("Weights"));
    connect(m_channel, &QSpinBox::valueChanged, this, &LayerInspector::showWeights);
}

void LayerInspector::buildStatisticsTab() {
    m_statistics = new QTableWidget(int(std::size(kRows)), 2, this);
    m_statistics->setHorizontalHeaderLabels({tr("Value"), tr("What it means")});
    m_statistics->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_statistics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // One line a row: a meaning too long for the column ends in "..." and shows whole as the
    // row's tooltip.
    m_statistics->setWordWrap(false);
    m_statistics->setTextElideMode(Qt::ElideRight);
    for (int row = 0; row < int(std::size(kRows)); ++row) {
        auto* name = new QTableWidgetItem(tr(kRows[row].name));
        name->setToolTip(tr(kRows[row].meaning));
        m_statistics->setVerticalHeaderItem(row, name);
        m_statistics->setItem(row, 0, new QTableWidgetItem(QStringLiteral("–")));
        auto* meaning = new QTableWidgetItem(tr(kRows[row].meaning));
        meaning->setToolTip(meaning->text());
        m_statistics->setItem(row, 1, meaning);
    }
    m_statistics->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_problems = new QLabel(this);
    m_problems->setWordWrap(true);
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(m_problems);
    layout->addWidget(m_statistics, 1);
    m_tabs->addTab(page, tr("Statistics"));
}

void LayerInspector::buildDistributionsTab() {
    auto* page = new QWidget(this);
    m_quantity = new QComboBox(page);
    m_quantity->addItems({tr("Activations"), tr("Weights"), tr("Gradients")});
    m_distribution = new DistributionChart(page);
    m_histogram = new HistogramChart(page);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Distribution of the layer's"), page));
    top->addWidget(m_quantity);
    top->addStretch(1);
    auto* charts = new QHBoxLayout;
    charts->addWidget(m_distribution, 3);
    charts->addWidget(m_histogram, 2);
    auto* layout = new QVBoxLayout(page);
    layout->addLayout(top);
    layout->addLayout(charts, 1);
    m_tabs->addTab(page, tr("Over the run"));
    connect(m_quantity, &QComboBox::currentIndexChanged, this, &LayerInspector::showDistributions);
}

void LayerInspector::setLayer(const InspectedLayer& layer) {
    m_layer = layer;
    m_title->setText(tr("<b>%1</b> (%2), output %3 per sample")
                         .arg(layer.name.toHtmlEscaped(), layer.type,
                              QString::fromStdString(layer.outputShape.str())));
    const QList<Tile> tiles =
        layer.output.defined() ? featureMapTiles(layer.output) : QList<Tile>();
    m_maps->setTiles(tiles);
    const int64_t channels = layer.outputShape.rank() == 3 ? layer.outputShape[0] : 0;
    m_mapsCaption->setText(
        channels > 0
            ? tr("What '%1' makes of %2: %3 feature maps of %4×%5%6. Grey runs from 0 to the "
                 "largest output; with negative outputs, blue is below 0 and red above.")
                  .arg(layer.name, layer.sampleName)
                  .arg(channels)
                  .arg(layer.outputShape[1])
                  .arg(layer.outputShape[2])
                  .arg(channels > kMaxTiles ? tr(" (the first %1 shown)").arg(kMaxTiles)
                                            : QString())
            : tr("What '%1' makes of %2: its %3 outputs, in rows.")
                  .arg(layer.name, layer.sampleName)
                  .arg(layer.outputShape.numel()));
    const bool colourFilters =
        layer.kernel.defined() && layer.kernel.shape().rank() == 4 && layer.kernel.shape()[1] == 3;
    m_channel->setVisible(layer.kernel.defined() && layer.kernel.shape().rank() == 4 &&
                          layer.kernel.shape()[1] > 1 && !colourFilters);
    if (m_channel->isVisible()) {
        m_channel->setRange(0, int(layer.kernel.shape()[1] - 1));
    }
    showWeights();
    showDistributions();
}

void LayerInspector::setMessage(const QString& layer, const QString& message) {
    m_layer = InspectedLayer{};
    m_layer.name = layer;
    m_title->setText(message);
    m_maps->setTiles({});
    m_weights->setTiles({});
    m_mapsCaption->clear();
    m_weightsCaption->clear();
    showDistributions();
}

void LayerInspector::showWeights() {
    const Tensor& kernel = m_layer.kernel;
    QList<Tile> tiles;
    if (!kernel.defined()) {
        m_weightsCaption->setText(tr("'%1' has no weights.").arg(m_layer.name));
    } else if (kernel.shape().rank() == 4) {
        tiles = filterTiles(kernel, m_channel->value());
        m_weightsCaption->setText(
            kernel.shape()[1] == 3
                ? tr("%1 filters of %2×%3 over the colour channels: grey is 0, a colour is what "
                     "the filter looks for.")
                      .arg(kernel.shape()[0])
                      .arg(kernel.shape()[2])
                      .arg(kernel.shape()[3])
                : tr("%1 filters of %2×%3, the weights each gives one input channel: red "
                     "positive, blue negative.")
                      .arg(kernel.shape()[0])
                      .arg(kernel.shape()[2])
                      .arg(kernel.shape()[3]));
    } else if (!(tiles = unitWeightTiles(kernel, m_layer.picture)).isEmpty()) {
        m_weightsCaption->setText(
            tr("Each unit's weights on the input picture: red pixels "
               "raise its output, blue ones lower it."));
    } else {
        m_weightsCaption->setText(tr("%1 weights that are not pictures: see their distribution "
                                     "under Over the run.")
                                      .arg(kernel.numel()));
    }
    m_weights->setTiles(tiles);
}

void LayerInspector::setSamples(const std::vector<StatisticsSample>& samples) {
    m_samples = samples;
    m_step->setEnabled(!m_samples.empty());
    m_step->setRange(0, std::max(0, int(m_samples.size()) - 1));
    m_step->setValue(m_step->maximum());
    showDistributions();  // which shows the slider's step too
}

void LayerInspector::addSample(const StatisticsSample& sample) {
    const bool following = m_samples.empty() || m_step->value() == m_step->maximum();
    m_samples.push_back(sample);
    m_step->setEnabled(true);
    m_step->setRange(0, int(m_samples.size()) - 1);
    if (following) {
        m_step->setValue(m_step->maximum());
    }
    showDistributions();  // which shows the slider's step too
}

int LayerInspector::shownTiles() const {
    return m_maps->count();
}

int LayerInspector::currentSampleIndex() const {
    return m_samples.empty() ? -1 : m_step->value();
}

QString LayerInspector::statisticShown(const QString& row) const {
    for (int r = 0; r < m_statistics->rowCount(); ++r) {
        if (m_statistics->verticalHeaderItem(r)->text() == row) {
            return m_statistics->item(r, 0)->text();
        }
    }
    return {};
}

LayerDistributionsView::Quantity LayerInspector::quantity() const {
    return LayerDistributionsView::Quantity(m_quantity->currentIndex());
}

const LayerStatistics* LayerInspector::statisticsAt(int index) const {
    if (index < 0 || size_t(index) >= m_samples.size()) {
        return nullptr;
    }
    for (const LayerStatistics& s : m_samples[size_t(index)].layers) {
        if (QString::fromStdString(s.layer) == m_layer.name) {
            return &s;
        }
    }
    return nullptr;
}

void LayerInspector::showStep(int index) {
    if (index < 0 || size_t(index) >= m_samples.size()) {
        return;
    }
    const StatisticsSample& sample = m_samples[size_t(index)];
    m_stepLabel->setText(tr("step %1 (epoch %2)").arg(sample.step).arg(sample.epoch));
    showStatistics(statisticsAt(index));
    showProblems(sample);
    m_distribution->setCurrentStep(sample.step);
    m_histogram->setCurrentStep(sample.step);
}

void LayerInspector::showStatistics(const LayerStatistics* s) {
    for (int row = 0; row < int(std::size(kRows)); ++row) {
        m_statistics->item(row, 0)->setText(s ? kRows[row].value(*s) : QStringLiteral("–"));
    }
}

void LayerInspector::showProblems(const StatisticsSample& sample) {
    QStringList lines;
    for (const LayerWarning& w : assessHealth(sample)) {
        if (QString::fromStdString(w.layer) == m_layer.name) {
            lines << tr("⚠ <b>%1</b>: %2. Usually: %3.")
                         .arg(QString::fromUtf8(problemName(w.problem)),
                              QString::fromStdString(w.reason).toHtmlEscaped(),
                              QString::fromStdString(w.advice).toHtmlEscaped());
        }
    }
    m_problems->setText(lines.isEmpty() ? tr("No health problems at this step.")
                                        : lines.join(QStringLiteral("<br>")));
}

void LayerInspector::showDistributions() {
    std::vector<DistributionPoint> series;
    for (size_t i = 0; i < m_samples.size(); ++i) {
        if (const LayerStatistics* s = statisticsAt(int(i))) {
            series.push_back(
                {m_samples[i].step, LayerDistributionsView::histogramOf(*s, quantity())});
        }
    }
    const QString quantity = m_quantity->currentText().toLower();
    m_distribution->setValueLabel(quantity);
    m_distribution->setSeries(series);
    m_histogram->setValueLabel(quantity);
    m_histogram->setSeries(series);
    showStep(m_step->value());
}

}  // namespace loom
