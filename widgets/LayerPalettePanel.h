#pragma once

#include <QWidget>

class QLineEdit;

namespace loom {

class LayerPalette;

/// LayerPalettePanel: the layer palette with a search box above it, as the window's left dock
/// shows it. Typing narrows the palette to the matching kinds.
class LayerPalettePanel : public QWidget {
    Q_OBJECT

public:
    explicit LayerPalettePanel(QWidget* parent = nullptr);

    LayerPalette* palette() const { return m_palette; }
    QLineEdit* searchBox() const { return m_search; }

private:
    QLineEdit* m_search = nullptr;
    LayerPalette* m_palette = nullptr;
};

}  // namespace loom
