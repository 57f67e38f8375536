#pragma once

#include <loom/StatisticsSample.h>

#include <QHash>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

class QComboBox;
class QGridLayout;
class QLabel;
class QScrollArea;
class QSlider;

namespace loom {

class DistributionChart;

/// LayerDistributionsView: every layer's distribution of one quantity (activations, weights or
/// gradients) over a training run, as small DistributionCharts in a scrolling grid of two to
/// four columns (by width), in the order the network runs, each titled with its layer. Layers
/// without the quantity (no weights, say) get no chart; a line under the grid names them. One
/// time slider under the grid, over the run's samples, moves every chart's marker; its label
/// says the step and epoch. Double-clicking a chart asks for that layer (layerChosen).
///
/// A live run adds samples one at a time: the charts append a point each, and the slider
/// stays on the newest sample unless the user has moved it back.
class LayerDistributionsView : public QWidget {
    Q_OBJECT

public:
    enum class Quantity { Activations, Weights, Gradients };
    static constexpr int kMinColumns = 2;
    static constexpr int kMaxColumns = 4;
    /// The narrowest a chart's column gets before the grid drops a column.
    static constexpr int kColumnWidth = 280;

    explicit LayerDistributionsView(QWidget* parent = nullptr);
    ~LayerDistributionsView() override;

    /// Shows a finished run, the slider on its last sample.
    void setSamples(std::vector<StatisticsSample> samples);
    void addSample(const StatisticsSample& sample);
    void clear();
    int sampleCount() const { return static_cast<int>(m_samples.size()); }

    Quantity quantity() const { return m_quantity; }
    void setQuantity(Quantity quantity);
    /// The quantity's histogram in a layer's statistics.
    static const Histogram& histogramOf(const LayerStatistics& layer, Quantity quantity);

    /// The sample the slider is on; -1 when there are none.
    int currentSample() const;
    void setCurrentSample(int index);

    /// The layers with a chart, in the order the network runs.
    QStringList chartedLayers() const;
    /// The layers left out because they lack the quantity.
    QStringList leftOutLayers() const { return m_leftOut; }
    DistributionChart* chart(const QString& layer) const { return m_charts.value(layer); }
    int columnCount() const { return m_columns; }

    QComboBox* quantityBox() const { return m_quantityBox; }
    QSlider* slider() const { return m_slider; }
    QLabel* stepLabel() const { return m_stepLabel; }

signals:
    /// A layer's chart was double-clicked: open that layer.
    void layerChosen(const QString& layer);
    /// The slider moved to another sample (its step).
    void currentStepChanged(qint64 step);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Cell {
        QString layer;
        QWidget* widget = nullptr;
        DistributionChart* chart = nullptr;
    };

    QWidget* createControls();
    QWidget* createSliderRow();
    void rebuildCharts();
    Cell createCell(const QString& layer);
    void placeCells();
    void updateLeftOutNote();
    bool needsRebuild(const StatisticsSample& sample) const;
    void extendSlider(bool follow);
    void showCurrentSample();
    int columnsForWidth(int width) const;

    std::vector<StatisticsSample> m_samples;
    Quantity m_quantity = Quantity::Activations;
    QStringList m_layers;  ///< every layer seen, in the order the network runs
    QStringList m_leftOut;
    std::vector<Cell> m_cells;
    QHash<QString, DistributionChart*> m_charts;
    int m_columns = kMinColumns;

    QComboBox* m_quantityBox = nullptr;
    QScrollArea* m_scroll = nullptr;
    QGridLayout* m_grid = nullptr;
    QLabel* m_leftOutNote = nullptr;
    QLabel* m_emptyNote = nullptr;
    QSlider* m_slider = nullptr;
    QLabel* m_stepLabel = nullptr;
};

}  // namespace loom
