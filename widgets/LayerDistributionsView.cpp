#include "LayerDistributionsView.h"

#include "DistributionChart.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QResizeEvent>
#include <QScrollArea>
#include <QSet>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>

namespace loom {

namespace {

QString quantityName(LayerDistributionsView::Quantity quantity) {
    switch (quantity) {
        case LayerDistributionsView::Quantity::Activations:
            return LayerDistributionsView::tr("activations");
        case LayerDistributionsView::Quantity::Weights:
            return LayerDistributionsView::tr("weights");
        case LayerDistributionsView::Quantity::Gradients:
            return LayerDistributionsView::tr("gradients");
    }
    return {};
}

constexpr int kChartHeight = 150;

}  // namespace

LayerDistributionsView::LayerDistributionsView(QWidget* parent) : QWidget(parent) {
    auto* content = new QWidget;
    auto* column = new QVBoxLayout(content);
    m_grid = new QGridLayout;
    m_grid->setHorizontalSpacing(12);
    m_grid->setVerticalSpacing(10);
    column->addLayout(m_grid);
    m_leftOutNote = new QLabel(content);
    m_leftOutNote->setObjectName(QStringLiteral("leftOutNote"));
    m_leftOutNote->setWordWrap(true);
    m_leftOutNote->setForegroundRole(QPalette::PlaceholderText);
    column->addWidget(m_leftOutNote);
    column->addStretch(1);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(true);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidget(content);

    m_emptyNote =
        new QLabel(tr("No layer statistics yet: Loom samples them while a network trains."), this);
    m_emptyNote->setAlignment(Qt::AlignCenter);
    m_emptyNote->setForegroundRole(QPalette::PlaceholderText);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(createControls());
    layout->addWidget(m_scroll, 1);
    layout->addWidget(m_emptyNote, 1);
    layout->addWidget(createSliderRow());
    clear();
}

LayerDistributionsView::~LayerDistributionsView() = default;

QWidget* LayerDistributionsView::createControls() {
    auto* controls = new QWidget(this);
    auto* row = new QHBoxLayout(controls);
    row->setContentsMargins(0, 0, 0, 0);
    m_quantityBox = new QComboBox(controls);
    m_quantityBox->setObjectName(QStringLiteral("quantityBox"));
    for (Quantity q : {Quantity::Activations, Quantity::Weights, Quantity::Gradients}) {
        QString name = quantityName(q);
        name[0] = name[0].toUpper();
        m_quantityBox->addItem(name, static_cast<int>(q));
    }
    connect(m_quantityBox, &QComboBox::currentIndexChanged, this, [this](int index) {
        setQuantity(static_cast<Quantity>(m_quantityBox->itemData(index).toInt()));
    });
    auto* key = new QLabel(tr("Bands: min to max, then where a normal distribution's ±1.5, ±1 "
                              "and ±0.5 standard deviations fall; line: median. "
                              "Double-click a chart to open its layer."),
                           controls);
    key->setWordWrap(true);
    // Secondary text, yet readable: palette(mid) is too faint on a light theme.
    key->setForegroundRole(QPalette::PlaceholderText);
    row->addWidget(new QLabel(tr("Show"), controls));
    row->addWidget(m_quantityBox);
    row->addSpacing(12);
    row->addWidget(key, 1);
    return controls;
}

QWidget* LayerDistributionsView::createSliderRow() {
    auto* sliderRow = new QWidget(this);
    auto* row = new QHBoxLayout(sliderRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_slider = new QSlider(Qt::Horizontal, sliderRow);
    m_slider->setObjectName(QStringLiteral("stepSlider"));
    m_slider->setToolTip(tr("The sampled step every chart marks"));
    connect(m_slider, &QSlider::valueChanged, this, &LayerDistributionsView::showCurrentSample);
    m_stepLabel = new QLabel(sliderRow);
    m_stepLabel->setObjectName(QStringLiteral("stepLabel"));
    // Wide enough for "step 1000000 (epoch 1000)", so the slider keeps its length as it moves.
    m_stepLabel->setMinimumWidth(
        m_stepLabel->fontMetrics().horizontalAdvance(tr("step %1 (epoch %2)").arg(1e6).arg(1e3)));
    row->addWidget(m_slider, 1);
    row->addWidget(m_stepLabel);
    return sliderRow;
}

const Histogram& LayerDistributionsView::histogramOf(const LayerStatistics& layer,
                                                     Quantity quantity) {
    switch (quantity) {
        case Quantity::Weights:
            return layer.weights;
        case Quantity::Gradients:
            return layer.gradients;
        case Quantity::Activations:
            break;
    }
    return layer.activations;
}

void LayerDistributionsView::setSamples(std::vector<StatisticsSample> samples) {
    m_samples = std::move(samples);
    rebuildCharts();
    extendSlider(true);
}

void LayerDistributionsView::clear() {
    setSamples({});
}

void LayerDistributionsView::addSample(const StatisticsSample& sample) {
    // Someone who moved the slider back is looking at that step: a new sample must not move it.
    const bool follow = m_samples.empty() || m_slider->value() == m_slider->maximum();
    m_samples.push_back(sample);
    if (needsRebuild(sample)) {
        rebuildCharts();
    } else {
        for (const LayerStatistics& layer : sample.layers) {
            if (DistributionChart* c = chart(QString::fromStdString(layer.layer))) {
                c->appendPoint({sample.step, histogramOf(layer, m_quantity)});
            }
        }
    }
    extendSlider(follow);
}

bool LayerDistributionsView::needsRebuild(const StatisticsSample& sample) const {
    // New layers, or a layer that gains the quantity, change the grid; anything else appends.
    return std::any_of(sample.layers.begin(), sample.layers.end(), [&](const LayerStatistics& l) {
        const QString name = QString::fromStdString(l.layer);
        return !m_layers.contains(name) ||
               (!m_charts.contains(name) && histogramOf(l, m_quantity).total() > 0);
    });
}

void LayerDistributionsView::extendSlider(bool follow) {
    const int last = sampleCount() - 1;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(0, std::max(last, 0));
        if (follow) {
            m_slider->setValue(std::max(last, 0));
        }
    }
    m_slider->setEnabled(last > 0);
    m_scroll->setVisible(last >= 0);
    m_emptyNote->setVisible(last < 0);
    showCurrentSample();
}

void LayerDistributionsView::setQuantity(Quantity quantity) {
    {
        const QSignalBlocker block(m_quantityBox);
        m_quantityBox->setCurrentIndex(m_quantityBox->findData(static_cast<int>(quantity)));
    }
    if (quantity == m_quantity) {
        return;
    }
    m_quantity = quantity;
    rebuildCharts();
    showCurrentSample();
}

void LayerDistributionsView::rebuildCharts() {
    for (Cell& cell : m_cells) {
        delete cell.widget;
    }
    m_cells.clear();
    m_charts.clear();
    m_layers.clear();
    m_leftOut.clear();
    // One pass over the run collects every layer's points, in the order the layers run.
    QHash<QString, std::vector<DistributionPoint>> points;
    QSet<QString> withValues;
    for (const StatisticsSample& sample : m_samples) {
        for (const LayerStatistics& layer : sample.layers) {
            const QString name = QString::fromStdString(layer.layer);
            if (!m_layers.contains(name)) {
                m_layers.append(name);
            }
            const Histogram& h = histogramOf(layer, m_quantity);
            points[name].push_back({sample.step, h});
            if (h.total() > 0) {
                withValues.insert(name);
            }
        }
    }
    for (const QString& layer : std::as_const(m_layers)) {
        if (!withValues.contains(layer)) {
            m_leftOut.append(layer);
            continue;
        }
        Cell cell = createCell(layer);
        cell.chart->setSeries(points.value(layer));
        m_cells.push_back(cell);
        m_charts.insert(layer, cell.chart);
    }
    placeCells();
    updateLeftOutNote();
}

LayerDistributionsView::Cell LayerDistributionsView::createCell(const QString& layer) {
    Cell cell;
    cell.layer = layer;
    cell.widget = new QWidget;
    auto* box = new QVBoxLayout(cell.widget);
    box->setContentsMargins(0, 0, 0, 0);
    box->setSpacing(2);
    auto* title = new QLabel(layer, cell.widget);
    title->setStyleSheet(QStringLiteral("font-weight: bold;"));
    // A long layer name must not widen its column past the others: it is cut, and in full
    // in the tooltip.
    title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    title->setToolTip(layer);
    cell.chart = new DistributionChart(cell.widget);
    cell.chart->setObjectName(layer);
    cell.chart->setCompact(true);
    cell.chart->setValueLabel(quantityName(m_quantity));
    cell.chart->setMinimumHeight(kChartHeight);
    cell.chart->setToolTip(tr("%1: double-click to open the layer").arg(layer));
    connect(cell.chart, &DistributionChart::doubleClicked, this,
            [this, layer] { emit layerChosen(layer); });
    box->addWidget(title);
    box->addWidget(cell.chart, 1);
    return cell;
}

void LayerDistributionsView::placeCells() {
    while (m_grid->count() > 0) {
        delete m_grid->takeAt(0);
    }
    for (int c = 0; c < kMaxColumns; ++c) {
        m_grid->setColumnStretch(c, c < m_columns ? 1 : 0);
    }
    for (size_t i = 0; i < m_cells.size(); ++i) {
        const int index = static_cast<int>(i);
        m_grid->addWidget(m_cells[i].widget, index / m_columns, index % m_columns);
    }
}

void LayerDistributionsView::updateLeftOutNote() {
    m_leftOutNote->setVisible(!m_leftOut.isEmpty());
    m_leftOutNote->setText(
        tr("No %1 in: %2.").arg(quantityName(m_quantity), m_leftOut.join(QStringLiteral(", "))));
}

int LayerDistributionsView::currentSample() const {
    return m_samples.empty() ? -1 : m_slider->value();
}

void LayerDistributionsView::setCurrentSample(int index) {
    m_slider->setValue(index);
}

QStringList LayerDistributionsView::chartedLayers() const {
    QStringList layers;
    for (const Cell& cell : m_cells) {
        layers.append(cell.layer);
    }
    return layers;
}

void LayerDistributionsView::showCurrentSample() {
    const int index = currentSample();
    if (index < 0) {
        m_stepLabel->setText(tr("no samples"));
        return;
    }
    const StatisticsSample& sample = m_samples[static_cast<size_t>(index)];
    m_stepLabel->setText(tr("step %1 (epoch %2)").arg(sample.step).arg(sample.epoch));
    for (const Cell& cell : m_cells) {
        cell.chart->setCurrentStep(sample.step);
    }
    emit currentStepChanged(sample.step);
}

int LayerDistributionsView::columnsForWidth(int width) const {
    return std::clamp(width / kColumnWidth, kMinColumns, kMaxColumns);
}

void LayerDistributionsView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    const int columns = columnsForWidth(event->size().width());
    if (columns != m_columns) {
        m_columns = columns;
        placeCells();
    }
}

}  // namespace loom
