#include "DrawingPad.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QTabletEvent>

namespace loom {

namespace {

// MNIST's strokes are about 2 to 3 of its 28 pixels wide.
constexpr qreal kPenWidth = DrawingPad::kResolution / 12.0;

}  // namespace

DrawingPad::DrawingPad(QWidget* parent)
    : QWidget(parent), m_canvas(kResolution, kResolution, QImage::Format_Grayscale8) {
    m_canvas.fill(Qt::black);
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::CrossCursor);
    setAttribute(Qt::WA_TabletTracking);
    setToolTip(tr("Draw a digit with the mouse or a pen; right click or Delete clears"));
}

Tensor DrawingPad::ink() const {
    Tensor t = Tensor::empty(Shape{kResolution, kResolution});
    float* out = t.data<float>();
    for (int y = 0; y < kResolution; ++y) {
        const uchar* row = m_canvas.constScanLine(y);
        for (int x = 0; x < kResolution; ++x) {
            out[y * kResolution + x] = float(row[x]) / 255.0f;
        }
    }
    return t;
}

void DrawingPad::clear() {
    m_canvas.fill(Qt::black);
    m_empty = true;
    update();
    emit cleared();
}

void DrawingPad::drawStroke(const QList<QPointF>& points) {
    if (points.isEmpty()) {
        return;
    }
    m_last = points.first();
    for (const QPointF& p : points) {
        strokeTo(p, 1.0);
    }
    emit strokeFinished();
}

QRectF DrawingPad::canvasRect() const {
    const qreal side = std::min(width(), height());
    return {(width() - side) / 2, (height() - side) / 2, side, side};
}

QPointF DrawingPad::toCanvas(const QPointF& widgetPoint) const {
    const QRectF area = canvasRect();
    return (widgetPoint - area.topLeft()) * (kResolution / area.width());
}

void DrawingPad::strokeTo(const QPointF& canvasPoint, qreal pressure) {
    QPainter painter(&m_canvas);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(
        QPen(Qt::white, kPenWidth * (0.5 + pressure), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter.drawLine(m_last, canvasPoint);
    m_last = canvasPoint;
    m_empty = false;
    update();
    emit drawn();
}

void DrawingPad::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    const QRectF area = canvasRect();
    painter.drawImage(area, m_canvas);
    painter.setPen(QPen(QColor(0x80, 0x80, 0x80), 1));
    painter.drawRect(area.adjusted(0, 0, -1, -1));
    if (m_empty) {
        painter.setPen(QColor(0xa0, 0xa0, 0xa0));
        painter.drawText(area, Qt::AlignCenter, tr("Draw a digit here"));
    }
}

void DrawingPad::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::RightButton) {
        clear();
        return;
    }
    m_drawing = event->button() == Qt::LeftButton;
    m_last = toCanvas(event->position());
    if (m_drawing) {
        strokeTo(m_last, 0.5);
    }
}

void DrawingPad::mouseMoveEvent(QMouseEvent* event) {
    if (m_drawing) {
        strokeTo(toCanvas(event->position()), 0.5);
    }
}

void DrawingPad::mouseReleaseEvent(QMouseEvent*) {
    if (m_drawing) {
        m_drawing = false;
        emit strokeFinished();
    }
}

void DrawingPad::tabletEvent(QTabletEvent* event) {
    const QPointF at = toCanvas(event->position());
    if (event->type() == QEvent::TabletPress) {
        m_drawing = true;
        m_last = at;
    }
    if (m_drawing && event->pressure() > 0) {
        strokeTo(at, event->pressure());
    }
    if (event->type() == QEvent::TabletRelease && m_drawing) {
        m_drawing = false;
        emit strokeFinished();
    }
    event->accept();
}

void DrawingPad::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
        clear();
    } else {
        QWidget::keyPressEvent(event);
    }
}

}  // namespace loom
