#pragma once

#include <loom/MapPictures.h>
#include <loom/Shape.h>
#include <loom/Tensor.h>

#include <QImage>
#include <QList>
#include <QString>

namespace loom {

/// One small picture of what a layer holds, with what it is ("channel 3", "filter 12").
struct Tile {
    QImage image;
    QString caption;
};

/// What the inspector shows of a layer whose outputs or weights are many: the first kMaxTiles.
constexpr int kMaxTiles = 256;

/// A layer's output for one sample (host float32): [C, h, w] gives one tile per channel, any
/// other shape one tile of all its values laid out in a near-square. Every tile shares one
/// scale, so a quiet channel looks quiet and a dead one black: grey from 0 to the largest value
/// when none is negative, else the diverging ramp (blue below 0, red above) symmetric about 0.
QList<Tile> featureMapTiles(const Tensor& output);

/// Convolution filters [O, I, kh, kw] (host float32), one tile per filter on one shared
/// diverging scale. With 3 input channels (a first layer looking at colour pictures) each tile
/// is the filter in colour, each channel stretched about grey; otherwise it shows input
/// channel `channel` of each filter.
QList<Tile> filterTiles(const Tensor& kernel, int64_t channel);

/// A Dense layer's kernel [in, units] (host float32) when in = C*H*W of the pictures the
/// network reads (`picture` [C, H, W]): each unit's incoming weights as the picture that excites
/// it most (one channel, or colour for three). Empty when the kernel does not read pictures.
QList<Tile> unitWeightTiles(const Tensor& kernel, const Shape& picture);

/// A colour of <loom/MapPictures.h> as Qt takes it.
QRgb toQRgb(Rgb colour);

}  // namespace loom
