#include <loom/ArtImage.h>
#include <loom/Error.h>
#include <loom/MapPictures.h>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

uint8_t level(double v) {
    return uint8_t(std::lround(std::clamp(v, 0.0, 1.0) * 255));
}

int64_t squareSide(int64_t n) {
    return std::max<int64_t>(1, int64_t(std::ceil(std::sqrt(double(n)))));
}

/// Paints `colour` as a zoom x zoom block at tile pixel (y, x) of the tile at (top, left).
void paint(float* out, int64_t width, int64_t plane, int64_t y, int64_t x, int64_t zoom,
           Rgb colour) {
    for (int64_t dy = 0; dy < zoom; ++dy) {
        float* row = out + (y * zoom + dy) * width + x * zoom;
        for (int64_t dx = 0; dx < zoom; ++dx) {
            row[dx] = colour.red;
            row[plane + dx] = colour.green;
            row[2 * plane + dx] = colour.blue;
        }
    }
}

}  // namespace

Rgb greyColour(double v) {
    const uint8_t g = level(v);
    return {g, g, g};
}

Rgb divergingColour(double v) {
    const double t = std::clamp(v, -1.0, 1.0);
    const uint8_t fade = level(1.0 - std::fabs(t));
    return t >= 0 ? Rgb{255, fade, fade} : Rgb{fade, fade, 255};
}

Rgb heatColour(double t) {
    return {level(2 * t), level(2 * t - 1), 0};
}

Rgb heatOver(Rgb base, double t) {
    t = std::clamp(t, 0.0, 1.0);
    const Rgb hot = heatColour(t);
    const double alpha = 0.25 + 0.75 * t;
    const auto mix = [alpha](uint8_t a, uint8_t b) {
        return uint8_t(std::lround(a * 0.6 * (1 - alpha) + b * alpha));
    };
    return {mix(base.red, hot.red), mix(base.green, hot.green), mix(base.blue, hot.blue)};
}

float largestMagnitude(const float* v, int64_t n) {
    float m = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (std::isfinite(v[i])) {
            m = std::max(m, std::fabs(v[i]));
        }
    }
    return m > 0 ? m : 1.0f;
}

Tensor featureMapGrid(const Tensor& output, int64_t maxTiles, int64_t zoom) {
    const Shape& shape = output.shape();
    const bool maps = shape.rank() == 3;
    const int64_t tiles = maps ? std::min(shape[0], maxTiles) : 1;
    const int64_t side = maps ? 0 : squareSide(output.numel());
    const int64_t h = maps ? shape[1] : (output.numel() + side - 1) / side;
    const int64_t w = maps ? shape[2] : side;
    const int64_t columns = squareSide(tiles), rows = (tiles + columns - 1) / columns;
    const int64_t tileHeight = h * zoom + 1, tileWidth = w * zoom + 1;
    const int64_t height = rows * tileHeight - 1, width = columns * tileWidth - 1,
                  plane = height * width;
    Tensor picture = Tensor::zeros(Shape{3, height, width});
    const float* v = output.data<float>();
    const float scale = largestMagnitude(v, output.numel());
    const bool signedValues = std::any_of(v, v + output.numel(), [](float x) { return x < 0; });
    for (int64_t t = 0; t < tiles; ++t) {
        float* tile =
            picture.data<float>() + (t / columns) * tileHeight * width + (t % columns) * tileWidth;
        for (int64_t i = 0; i < h * w && t * h * w + i < output.numel(); ++i) {
            const float value = v[t * h * w + i];
            const double x = std::isfinite(value) ? value / scale : 0.0;
            paint(tile, width, plane, i / w, i % w, zoom,
                  signedValues ? divergingColour(x) : greyColour(x));
        }
    }
    return picture;
}

namespace {

void requirePicture(const Tensor& picture) {
    if (picture.shape().rank() != 3 || (picture.dim(0) != 1 && picture.dim(0) != 3)) {
        throw ShapeError("a picture must be [C, H, W] with 1 or 3 channels, not " +
                         picture.shape().str());
    }
}

/// Pixel i of a grey or colour picture [C, H, W] (0..255).
Rgb pixelOf(const Tensor& picture, int64_t i) {
    const int64_t plane = picture.dim(1) * picture.dim(2);
    const int64_t step = picture.dim(0) == 3 ? plane : 0;
    const float* p = picture.data<float>();
    const auto level = [&](int64_t c) {
        return uint8_t(std::clamp(std::lround(p[c * step + i]), 0L, 255L));
    };
    return {level(0), level(1), level(2)};
}

/// [3, H*zoom, W*zoom] with pixel i of [H, W] painted colourOf(i).
template <typename ColourOf>
Tensor paintedPicture(int64_t h, int64_t w, int64_t zoom, ColourOf colourOf) {
    Tensor out = Tensor::zeros(Shape{3, h * zoom, w * zoom});
    for (int64_t i = 0; i < h * w; ++i) {
        paint(out.data<float>(), w * zoom, h * w * zoom * zoom, i / w, i % w, zoom, colourOf(i));
    }
    return out;
}

}  // namespace

Tensor enlargedPicture(const Tensor& picture, int64_t zoom) {
    requirePicture(picture);
    return paintedPicture(picture.dim(1), picture.dim(2), zoom,
                          [&](int64_t i) { return pixelOf(picture, i); });
}

Tensor heatmapOverlay(const Tensor& picture, const Tensor& map, int64_t zoom) {
    requirePicture(picture);
    if (map.shape().rank() != 2) {
        throw ShapeError("a heat map must be [H, W], not " + map.shape().str());
    }
    const Tensor base = resizeImage(picture, map.dim(0), map.dim(1));
    const float* m = map.data<float>();
    const float largest = std::max(*std::max_element(m, m + map.numel()), 1e-12f);
    return paintedPicture(map.dim(0), map.dim(1), zoom,
                          [&](int64_t i) { return heatOver(pixelOf(base, i), m[i] / largest); });
}

}  // namespace loom
