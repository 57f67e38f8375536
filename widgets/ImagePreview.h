#pragma once

#include <QFrame>
#include <QImage>

namespace loom {

/// ImagePreview: a picture scaled to fit (aspect kept, smooth), with a caption above it and a
/// hint in its place while there is none. With drops accepted, an image file dropped on it is
/// passed on by imageDropped; a double click asks for one (openRequested).
class ImagePreview : public QFrame {
    Q_OBJECT

public:
    explicit ImagePreview(const QString& caption, QWidget* parent = nullptr);

    void setImage(const QImage& image);
    const QImage& image() const { return m_image; }
    void setPlaceholder(const QString& text);
    void setAcceptsImageDrops(bool accepts);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void imageDropped(const QString& path);
    void openRequested();

protected:
    void paintEvent(QPaintEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;

private:
    QString m_caption;
    QString m_placeholder;
    QImage m_image;
};

}  // namespace loom
