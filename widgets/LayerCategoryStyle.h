#pragma once

#include <QColor>
#include <QIcon>
#include <QString>

namespace loom {

/// The colour and icon of a layer category ("Convolution", "Pooling", ...). The palette's icons
/// and the canvas' node headers share them, so a person finds the layer they dragged by colour.
/// Categories the style does not know get a neutral grey: a new category works without an edit.
QColor categoryColour(const QString& category);

/// A small rounded square in the category's colour with the category's initial.
QIcon categoryIcon(const QString& category);

}  // namespace loom
