#include "TileGrid.h"

#include <QResizeEvent>

#include <algorithm>

namespace loom {

namespace {

constexpr int kGap = 6;

}  // namespace

TileGrid::TileGrid(QWidget* parent) : QListWidget(parent) {
    setViewMode(QListView::IconMode);
    setResizeMode(QListView::Adjust);
    setMovement(QListView::Static);
    setSelectionMode(QAbstractItemView::NoSelection);
    setUniformItemSizes(true);
    setWordWrap(true);
    setSpacing(kGap / 2);
}

void TileGrid::setTiles(const QList<Tile>& tiles) {
    m_tiles = tiles;
    showTiles();
}

void TileGrid::setCaptionsShown(bool shown) {
    m_captionsShown = shown;
    showTiles();
}

void TileGrid::resizeEvent(QResizeEvent* event) {
    QListWidget::resizeEvent(event);
    const int width = viewport()->width();
    // Each item takes its side, kGap around the icon and the spacing (kGap / 2) on both sides.
    const int side = std::clamp(width / kPerRow - 2 * kGap - 1, kSmallest, kLargest);
    if (side != m_side) {
        m_side = side;
        showTiles();
    }
}

void TileGrid::showTiles() {
    clear();
    setIconSize(QSize(m_side, m_side));
    for (const Tile& tile : m_tiles) {
        const QPixmap pixmap = QPixmap::fromImage(
            tile.image.scaled(m_side, m_side, Qt::KeepAspectRatio, Qt::FastTransformation));
        auto* item =
            new QListWidgetItem(QIcon(pixmap), m_captionsShown ? tile.caption : QString(), this);
        item->setToolTip(tile.caption);
        const int captionHeight = m_captionsShown ? fontMetrics().height() * 2 : 0;
        item->setSizeHint(QSize(m_side + kGap, m_side + kGap + captionHeight));
    }
}

}  // namespace loom
