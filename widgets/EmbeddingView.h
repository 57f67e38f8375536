#pragma once

#include <QImage>
#include <QPointF>
#include <QSize>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <functional>
#include <vector>

class QCPAbstractLegendItem;
class QCPGraph;
class QCPLayer;
class QCPLegend;
class QCheckBox;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QPen;

namespace loom {

/// EmbeddingView: a 2-D projection (t-SNE, PCA, UMAP) of a layer's outputs for the test set, as
/// TensorBoard's projector draws it: one dot per sample coloured by its class, a legend whose
/// entries hide and show their class, the sample's picture on hover and its index on click.
/// Given the model's predictions, the samples it gets wrong can be ringed.
///
/// A projection still being computed moves its points with updatePositions, which keeps the
/// series and queues one replot per event-loop pass. The view follows the layout (fits it,
/// one unit the same length on both axes) until the user zooms or pans; Fit makes it follow
/// again.
class EmbeddingView : public QWidget {
    Q_OBJECT

public:
    /// The picture of sample `index` for its tooltip; a null image shows none.
    using ImageProvider = std::function<QImage(int index)>;
    /// What setPoints does to the visible range: fit the new points, or keep the view as it is.
    enum class Range { Fit, Keep };

    /// How near the pointer (in pixels) a dot must be to be hovered or clicked.
    static constexpr double kHitRadius = 6;

    explicit EmbeddingView(QWidget* parent = nullptr);
    ~EmbeddingView() override;

    /// Shows these samples: labels[i] is sample i's class, an index into classNames, or -1 when
    /// unknown (so is any index past the names). Predictions given before are dropped: they
    /// were for other samples; classes hidden before stay hidden where their names recur.
    /// ShapeError when there are not as many labels as points.
    void setPoints(const QVector<QPointF>& points, const QVector<int>& labels,
                   const QStringList& classNames, const QString& title, Range range = Range::Fit);
    /// Moves the same samples to new places (a layout in progress); cheap enough to call for
    /// every few iterations. ShapeError when the number of points differs.
    void updatePositions(const QVector<QPointF>& points);
    /// predictions[i]: the class the model gives sample i (-1 none); empty for no predictions.
    /// ShapeError when not empty and not one per point.
    void setPredictions(const QVector<int>& predictions);
    void setImageProvider(ImageProvider provider);
    /// The status line under the plot, e.g. "t-SNE of 'dense_1' — 1,000 test images".
    void setCaption(const QString& caption);
    QString caption() const;
    QString title() const;
    /// Whether misclassified samples (with predictions given) are ringed.
    void setMistakesMarked(bool marked);
    bool mistakesMarked() const;

    int pointCount() const { return static_cast<int>(m_points.size()); }
    int classCount() const { return static_cast<int>(m_classNames.size()); }
    /// Shows or hides class `cls` (-1: the unknown ones), as clicking its legend entry does.
    /// Hidden samples are neither drawn nor hovered nor clicked.
    void setClassVisible(int cls, bool visible);
    bool isClassVisible(int cls) const;

    /// The visible sample whose dot is nearest `pixel` (in the plot widget's coordinates),
    /// within `radius` pixels, or -1.
    int sampleAt(const QPointF& pixel, double radius = kHitRadius) const;
    /// Where sample `index`'s dot is drawn, in the plot widget's coordinates.
    QPointF pixelPosition(int index) const;
    /// The tooltip of sample `index`: rich text with its picture (from the image provider) as
    /// an inline PNG, its class and, with predictions, what the model said.
    QString toolTipHtml(int index) const;

    QCustomPlot* plot() const { return m_plot; }
    /// The series of class `cls` (-1: the unknown ones); its dots are not in sample order.
    QCPGraph* classGraph(int cls) const;
    /// The rings around misclassified samples.
    QCPGraph* mistakeGraph() const { return m_mistakes; }
    /// Whether the view fits the points whenever they move (until the user zooms or pans).
    bool followsLayout() const { return m_followLayout; }

public slots:
    /// Shows all points, one unit the same length on both axes, and follows them from now on.
    void fit();
    /// Replots now (normally a replot is queued to the next event-loop pass).
    void redraw();

signals:
    /// The user clicked sample `index`'s dot.
    void sampleChosen(int index);
    void classVisibilityChanged(int cls, bool visible);

private:
    QWidget* createControls();
    void createPlot();
    void createOverlays();
    QCPGraph* addRings(const QString& layer, const QString& above, const QPen& pen, double size);
    void rebuildSeries();
    void styleSeries(int series, bool visible);
    void fillSeries();
    void fillMistakes();
    void fitRanges();
    void equalizeScales();
    void setScale(double perPixel, const QSize& pixels);
    void afterLayout();
    int seriesOf(int label) const;
    QString className(int cls) const;
    void onLegendClick(QCPLegend* legend, QCPAbstractLegendItem* item, QMouseEvent* event);
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void setHovered(int index, const QPoint& globalPos);
    bool eventFilter(QObject* watched, QEvent* event) override;

    QVector<QPointF> m_points;
    QVector<int> m_labels;
    QVector<int> m_predictions;
    QVector<int> m_pointSeries;  ///< each point's series: its class, or the unknown series
    QStringList m_classNames;
    ImageProvider m_imageProvider;

    QCustomPlot* m_plot = nullptr;
    std::vector<QCPGraph*> m_series;  ///< one per class, then the unknown samples
    QCPGraph* m_mistakes = nullptr;
    QCPGraph* m_hover = nullptr;
    QCPLayer* m_hoverLayer = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_caption = nullptr;
    QCheckBox* m_markMistakes = nullptr;

    bool m_followLayout = true;
    QSize m_axisRectSize;  ///< at the last layout, to tell a resize from a replot
    int m_hovered = -1;
    QPointF m_pressPos;
    bool m_pressed = false;
};

}  // namespace loom
