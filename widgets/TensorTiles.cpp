#include "TensorTiles.h"

#include <QObject>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

bool anyNegative(const float* v, int64_t n) {
    return std::any_of(v, v + n, [](float x) { return x < 0; });
}

/// One plane of h x w values as a tile, each value divided by scale: grey when `signedValues`
/// is false, else the diverging ramp.
QImage planeImage(const float* v, int64_t h, int64_t w, float scale, bool signedValues) {
    QImage image(int(w), int(h), QImage::Format_RGB32);
    for (int64_t y = 0; y < h; ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(int(y)));
        for (int64_t x = 0; x < w; ++x) {
            const double value = std::isfinite(v[y * w + x]) ? v[y * w + x] / scale : 0.0;
            line[x] = toQRgb(signedValues ? divergingColour(value) : greyColour(value));
        }
    }
    return image;
}

/// Three planes of h x w values (red, green, blue) as one tile, each value divided by scale and
/// shown about mid-grey, so that a filter's colour preference shows.
QImage colourImage(const float* v, int64_t h, int64_t w, float scale) {
    const int64_t plane = h * w;
    QImage image(int(w), int(h), QImage::Format_RGB32);
    for (int64_t y = 0; y < h; ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(int(y)));
        for (int64_t x = 0; x < w; ++x) {
            int rgb[3];
            for (int64_t c = 0; c < 3; ++c) {
                const float value = v[c * plane + y * w + x] / scale;
                rgb[c] = int(std::lround(std::clamp(0.5f + 0.5f * value, 0.0f, 1.0f) * 255));
            }
            line[x] = qRgb(rgb[0], rgb[1], rgb[2]);
        }
    }
    return image;
}

int64_t squareSide(int64_t n) {
    return std::max<int64_t>(1, int64_t(std::ceil(std::sqrt(double(n)))));
}

/// n values in a near-square (row-major, the last row partly empty and black).
QList<Tile> flatTile(const float* v, int64_t n, float scale, bool signedValues) {
    const int64_t side = squareSide(n);
    std::vector<float> square(size_t(side * side), 0.0f);
    std::copy(v, v + n, square.begin());
    const int64_t rows = (n + side - 1) / side;
    return {{planeImage(square.data(), rows, side, scale, signedValues),
             QObject::tr("%1 values").arg(n)}};
}

int tileCount(int64_t n) {
    return int(std::min<int64_t>(n, kMaxTiles));
}

}  // namespace

QRgb toQRgb(Rgb colour) {
    return qRgb(colour.red, colour.green, colour.blue);
}

QList<Tile> featureMapTiles(const Tensor& output) {
    const float* v = output.data<float>();
    const int64_t n = output.numel();
    const float scale = largestMagnitude(v, n);
    const bool signedValues = anyNegative(v, n);
    const Shape& shape = output.shape();
    if (shape.rank() != 3) {
        return flatTile(v, n, scale, signedValues);
    }
    const int64_t plane = shape[1] * shape[2];
    QList<Tile> tiles;
    for (int c = 0; c < tileCount(shape[0]); ++c) {
        tiles.append({planeImage(v + c * plane, shape[1], shape[2], scale, signedValues),
                      QObject::tr("channel %1").arg(c)});
    }
    return tiles;
}

QList<Tile> filterTiles(const Tensor& kernel, int64_t channel) {
    const Shape& shape = kernel.shape();
    const int64_t inputs = shape[1], h = shape[2], w = shape[3], plane = h * w;
    const float* v = kernel.data<float>();
    const float scale = largestMagnitude(v, kernel.numel());
    QList<Tile> tiles;
    for (int o = 0; o < tileCount(shape[0]); ++o) {
        const float* filter = v + o * inputs * plane;
        const QImage image =
            inputs == 3 ? colourImage(filter, h, w, scale)
                        : planeImage(filter + std::clamp<int64_t>(channel, 0, inputs - 1) * plane,
                                     h, w, scale, true);
        tiles.append({image, QObject::tr("filter %1").arg(o)});
    }
    return tiles;
}

QList<Tile> unitWeightTiles(const Tensor& kernel, const Shape& picture) {
    const Shape& shape = kernel.shape();
    if (shape.rank() != 2 || picture.rank() != 3 || shape[0] != picture.numel() ||
        (picture[0] != 1 && picture[0] != 3)) {
        return {};
    }
    const int64_t units = shape[1], h = picture[1], w = picture[2];
    const float* v = kernel.data<float>();
    const float scale = largestMagnitude(v, kernel.numel());
    QList<Tile> tiles;
    std::vector<float> incoming(size_t(picture.numel()));
    for (int u = 0; u < tileCount(units); ++u) {
        for (int64_t i = 0; i < picture.numel(); ++i) {
            incoming[size_t(i)] = v[i * units + u];
        }
        const QImage image = picture[0] == 1 ? planeImage(incoming.data(), h, w, scale, true)
                                             : colourImage(incoming.data(), h, w, scale);
        tiles.append({image, QObject::tr("unit %1").arg(u)});
    }
    return tiles;
}

}  // namespace loom
