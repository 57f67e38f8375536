#include "LayerPalettePanel.h"

#include "LayerPalette.h"

#include <QLineEdit>
#include <QVBoxLayout>

namespace loom {

LayerPalettePanel::LayerPalettePanel(QWidget* parent)
    : QWidget(parent), m_search(new QLineEdit(this)), m_palette(new LayerPalette(this)) {
    m_search->setObjectName(QStringLiteral("layerSearch"));
    m_search->setPlaceholderText(tr("Search layers"));
    m_search->setClearButtonEnabled(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_search);
    layout->addWidget(m_palette);
    connect(m_search, &QLineEdit::textChanged, m_palette, &LayerPalette::setFilterText);
}

}  // namespace loom
