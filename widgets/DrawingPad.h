#pragma once

#include <loom/Tensor.h>

#include <QImage>
#include <QPointF>
#include <QWidget>

namespace loom {

/// DrawingPad: a square to draw a digit on with the mouse or a tablet pen (pressure widens the
/// stroke), white ink on black as MNIST's digits are. Every stroke segment emits drawn(), so a
/// model can answer while the digit takes shape, and lifting the pen strokeFinished(); a right
/// click or Delete clears it.
class DrawingPad : public QWidget {
    Q_OBJECT

public:
    static constexpr int kResolution = 280;  ///< ten times MNIST's 28 pixels

    explicit DrawingPad(QWidget* parent = nullptr);

    /// The ink, [kResolution, kResolution], 0 (none) to 1.
    Tensor ink() const;
    bool isEmpty() const { return m_empty; }
    QSize sizeHint() const override { return {kResolution, kResolution}; }
    QSize minimumSizeHint() const override { return {140, 140}; }
    /// Draws a stroke through these points, given in the pad's resolution (for tests and
    /// scripted demos), as a mouse drag would.
    void drawStroke(const QList<QPointF>& points);

public slots:
    void clear();

signals:
    /// After each segment of a stroke.
    void drawn();
    /// When the pen is lifted after drawing.
    void strokeFinished();
    void cleared();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void tabletEvent(QTabletEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    QPointF toCanvas(const QPointF& widgetPoint) const;
    QRectF canvasRect() const;
    void strokeTo(const QPointF& canvasPoint, qreal pressure);

    QImage m_canvas;
    QPointF m_last;
    bool m_drawing = false;
    bool m_empty = true;
};

}  // namespace loom
