#pragma once

#include "TensorTiles.h"

#include <QListWidget>

namespace loom {

/// TileGrid: many small pictures (a layer's feature maps or filters) in rows that wrap to the
/// view's width, each enlarged without smoothing so a 3x3 filter stays nine crisp squares, its
/// caption as its tooltip. The tile size follows the view's width: about kPerRow tiles a row,
/// between kSmallest and kLargest pixels a side.
class TileGrid : public QListWidget {
    Q_OBJECT

public:
    static constexpr int kPerRow = 8;
    static constexpr int kSmallest = 40;
    static constexpr int kLargest = 128;

    explicit TileGrid(QWidget* parent = nullptr);

    void setTiles(const QList<Tile>& tiles);
    /// Shows each caption under its tile (few tiles with names, such as classes) rather than
    /// only as its tooltip.
    void setCaptionsShown(bool shown);
    int tileSide() const { return m_side; }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showTiles();

    QList<Tile> m_tiles;
    int m_side = kSmallest;
    bool m_captionsShown = false;
};

}  // namespace loom
