#include "ImagePreview.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QImageReader>
#include <QMimeData>
#include <QPainter>

namespace loom {

namespace {

/// The dropped file when it is a local file Qt can read as an image.
QString droppedImagePath(const QMimeData* mime) {
    if (mime == nullptr || !mime->hasUrls() || mime->urls().isEmpty()) {
        return {};
    }
    const QUrl url = mime->urls().first();
    if (!url.isLocalFile() || QImageReader::imageFormat(url.toLocalFile()).isEmpty()) {
        return {};
    }
    return url.toLocalFile();
}

}  // namespace

ImagePreview::ImagePreview(const QString& caption, QWidget* parent)
    : QFrame(parent), m_caption(caption) {
    setFrameShape(QFrame::StyledPanel);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ImagePreview::setImage(const QImage& image) {
    m_image = image;
    update();
}

void ImagePreview::setPlaceholder(const QString& text) {
    m_placeholder = text;
    update();
}

void ImagePreview::setAcceptsImageDrops(bool accepts) {
    setAcceptDrops(accepts);
}

QSize ImagePreview::sizeHint() const {
    return {260, 220};
}

QSize ImagePreview::minimumSizeHint() const {
    return {120, 100};
}

void ImagePreview::paintEvent(QPaintEvent* event) {
    QFrame::paintEvent(event);
    QPainter painter(this);
    const QRect inner = contentsRect().adjusted(6, 4, -6, -6);
    const int captionHeight = fontMetrics().height() + 4;
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(inner.left(), inner.top(), inner.width(), captionHeight,
                     Qt::AlignLeft | Qt::AlignVCenter, m_caption);
    const QRect area = inner.adjusted(0, captionHeight, 0, 0);
    if (m_image.isNull()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    const QSize size = m_image.size().scaled(area.size(), Qt::KeepAspectRatio);
    const QRect target(area.left() + (area.width() - size.width()) / 2,
                       area.top() + (area.height() - size.height()) / 2, size.width(),
                       size.height());
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(target, m_image);
}

void ImagePreview::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedImagePath(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void ImagePreview::dropEvent(QDropEvent* event) {
    const QString path = droppedImagePath(event->mimeData());
    if (!path.isEmpty()) {
        event->acceptProposedAction();
        emit imageDropped(path);
    }
}

void ImagePreview::mouseDoubleClickEvent(QMouseEvent* event) {
    QFrame::mouseDoubleClickEvent(event);
    if (acceptDrops()) {
        emit openRequested();
    }
}

}  // namespace loom
