#include "ExplanationView.h"

#include "TensorTiles.h"

#include <QGridLayout>
#include <QLabel>
#include <QPixmap>
#include <QVBoxLayout>

#include <algorithm>

namespace loom {

namespace {

constexpr int kLargestTile = 168;
constexpr int kSmallestTile = 56;
constexpr int kTileSpacing = 8;

}  // namespace

QImage heatmapOverlay(const QImage& picture, const Tensor& map) {
    const auto height = int(map.dim(0)), width = int(map.dim(1));
    QImage out = picture.convertToFormat(QImage::Format_RGB32).scaled(width, height);
    const float* m = map.data<float>();
    const float largest = std::max(*std::max_element(m, m + map.numel()), 1e-12f);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const QRgb base = out.pixel(x, y);
            out.setPixel(x, y,
                         toQRgb(heatOver(
                             Rgb{uint8_t(qRed(base)), uint8_t(qGreen(base)), uint8_t(qBlue(base))},
                             m[y * width + x] / largest)));
        }
    }
    return out;
}

ExplanationView::ExplanationView(QWidget* parent)
    : QWidget(parent), m_heading(new QLabel(this)), m_tiles(new QGridLayout) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_heading);
    layout->addLayout(m_tiles);
    layout->addStretch(1);
    m_heading->setWordWrap(true);
    setMessage(tr("Open, drop or draw a picture to see what the model looks at."));
}

void ExplanationView::setExplanation(const QImage& picture, const QString& subject,
                                     const QList<ExplanationMap>& maps) {
    clearTiles();
    m_heading->setText(subject);
    addTile(picture, tr("Input"), tr("The picture as the model sees it"));
    for (const ExplanationMap& m : maps) {
        addTile(heatmapOverlay(picture, m.map), m.title, m.meaning);
    }
}

void ExplanationView::setMessage(const QString& message) {
    clearTiles();
    m_heading->setText(message);
}

QStringList ExplanationView::shownTitles() const {
    return m_titles;
}

QImage ExplanationView::tileImage(int index) const {
    return m_images.value(index);
}

void ExplanationView::addTile(const QImage& image, const QString& title, const QString& meaning) {
    const int column = int(m_images.size());
    auto* picture = new QLabel(this);
    picture->setToolTip(meaning);
    picture->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    picture->setAlignment(Qt::AlignCenter);
    auto* caption = new QLabel(title, this);
    caption->setAlignment(Qt::AlignHCenter);
    caption->setToolTip(meaning);
    caption->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_tiles->addWidget(picture, 0, column);
    m_tiles->addWidget(caption, 1, column);
    m_images.append(image);
    m_pictures.append(picture);
    m_titles.append(title);
    scaleTiles();
}

void ExplanationView::scaleTiles() {
    if (m_images.isEmpty()) {
        return;
    }
    const auto count = int(m_images.size());
    const int side =
        std::clamp((width() - (count - 1) * kTileSpacing) / count, kSmallestTile, kLargestTile);
    for (int i = 0; i < count; ++i) {
        const QImage& image = m_images[i];
        // Small pictures (28x28) stay crisp pixels; photos are smoothed.
        const auto mode =
            image.width() < side / 2 ? Qt::FastTransformation : Qt::SmoothTransformation;
        m_pictures[i]->setPixmap(
            QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio, mode)));
        m_pictures[i]->setFixedHeight(side);
    }
}

void ExplanationView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    scaleTiles();
}

void ExplanationView::clearTiles() {
    while (QLayoutItem* item = m_tiles->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_images.clear();
    m_pictures.clear();
    m_titles.clear();
}

}  // namespace loom
