#pragma once

#include <QTreeWidget>

namespace loom {

/// The MIME type of a layer kind dragged out of the palette; its data is the kind's type
/// ("Dense") in UTF-8. The canvas accepts drops of it.
inline constexpr char kLayerKindMimeType[] = "application/x-loom-layer-kind";

/// LayerPalette: every layer kind the engine's registry knows, one item per kind under an item
/// per category, with the category's icon and the kind's description and parameters as a
/// tooltip. It reads the registry, so a new layer file shows up here without an edit to the
/// palette. Kinds are dragged out (kLayerKindMimeType) or activated with a double-click/Enter.
class LayerPalette : public QTreeWidget {
    Q_OBJECT

public:
    explicit LayerPalette(QWidget* parent = nullptr);

    /// Shows only the kinds whose type, category or description contains text (any case), and
    /// the categories that still have one; an empty text shows everything.
    void setFilterText(const QString& text);
    /// The item of a kind, or nullptr.
    QTreeWidgetItem* kindItem(const QString& type) const;

signals:
    /// A kind was double-clicked or chosen with Enter: the window adds it without a drag.
    void kindActivated(const QString& type);

protected:
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override;

private:
    void populate();
};

}  // namespace loom
