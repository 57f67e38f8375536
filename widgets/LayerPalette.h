#pragma once

#include <QTreeWidget>

namespace loom {

/// LayerPalette: every layer kind the engine's registry knows, one item per kind under an item
/// per category, with the kind's description and parameters as a tooltip. It reads the registry,
/// so a new layer file shows up here without an edit to the palette.
class LayerPalette : public QTreeWidget {
    Q_OBJECT

public:
    explicit LayerPalette(QWidget* parent = nullptr);

private:
    void populate();
};

}  // namespace loom
