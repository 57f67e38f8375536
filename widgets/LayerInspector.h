#pragma once

#include "LayerDistributionsView.h"

#include <loom/Shape.h>
#include <loom/StatisticsSample.h>
#include <loom/Tensor.h>

#include <QImage>
#include <QString>
#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace loom {

class DistributionChart;
class HistogramChart;
class TileGrid;

/// One layer of a trained network as the inspector shows it, for one sample.
struct InspectedLayer {
    QString name, type;
    Shape outputShape;   ///< per sample
    Tensor output;       ///< host float32 [...outputShape]: what the layer made of the sample
    Tensor kernel;       ///< host float32 copy of its "kernel" weights; undefined when none
    Shape picture;       ///< [C, H, W] of the network's input, to show a first Dense layer's units
    QImage sample;       ///< the sample, as a picture
    QString sampleName;  ///< "test sample 12 (Sneaker)", "the drawing"
};

/// LayerInspector: one layer seen from inside. Its feature maps for the chosen sample, its
/// weights as pictures (convolution filters, the first layer in colour; a first Dense layer's
/// units as the picture each responds to), its statistics at a chosen training step with what
/// each means, and the distributions of its activations, weights and gradients over the run
/// (percentile bands over steps, TensorBoard's layout) with the histogram at the chosen step.
/// One slider picks the step for the statistics, the band chart's marker and the histogram.
class LayerInspector : public QWidget {
    Q_OBJECT

public:
    explicit LayerInspector(QWidget* parent = nullptr);

    void setLayer(const InspectedLayer& layer);
    /// A layer chosen before its contents are known: its name, and why nothing shows yet.
    void setMessage(const QString& layer, const QString& message);
    /// The statistics samples of a run (a finished one, or the one in progress so far).
    void setSamples(const std::vector<StatisticsSample>& samples);
    /// A sample of the run in progress: the slider follows it unless moved back.
    void addSample(const StatisticsSample& sample);

    QString layerName() const { return m_layer.name; }
    int shownTiles() const;
    int currentSampleIndex() const;
    /// The statistics table's value of a row ("dead units") as shown, for tests.
    QString statisticShown(const QString& row) const;

private:
    void buildFeatureMapsTab();
    void buildWeightsTab();
    void buildStatisticsTab();
    void buildDistributionsTab();
    void showWeights();
    void showStep(int index);
    void showStatistics(const LayerStatistics* s);
    /// What the health rules (<loom/LayerHealth.h>) find wrong with the layer at this sample.
    void showProblems(const StatisticsSample& sample);
    void showDistributions();
    const LayerStatistics* statisticsAt(int index) const;
    LayerDistributionsView::Quantity quantity() const;

    InspectedLayer m_layer;
    std::vector<StatisticsSample> m_samples;
    QLabel* m_title;
    QTabWidget* m_tabs;
    QLabel* m_mapsCaption;
    TileGrid* m_maps;
    QLabel* m_weightsCaption;
    QSpinBox* m_channel;
    TileGrid* m_weights;
    QTableWidget* m_statistics;
    QLabel* m_problems;
    QComboBox* m_quantity;
    DistributionChart* m_distribution;
    HistogramChart* m_histogram;
    QSlider* m_step;
    QLabel* m_stepLabel;
};

}  // namespace loom
