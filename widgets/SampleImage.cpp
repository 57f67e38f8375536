#include "SampleImage.h"

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

struct ImageLayout {
    int channels = 0, height = 0, width = 0;
};

int64_t exactSquareRoot(int64_t n) {
    const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
    return root * root == n ? root : 0;
}

ImageLayout layoutOf(const Shape& sample) {
    if (sample.rank() == 3 && (sample[0] == 1 || sample[0] == 3)) {
        return {int(sample[0]), int(sample[1]), int(sample[2])};
    }
    if (sample.rank() == 2) {
        return {1, int(sample[0]), int(sample[1])};
    }
    if (sample.rank() == 1) {
        if (int64_t side = exactSquareRoot(sample[0])) {
            return {1, int(side), int(side)};
        }
        if (int64_t side = sample[0] % 3 == 0 ? exactSquareRoot(sample[0] / 3) : 0) {
            return {3, int(side), int(side)};
        }
    }
    return {};
}

}  // namespace

QImage sampleImage(const Tensor& samples, int64_t index) {
    const Shape shape = samples.shape().withoutBatch();
    const ImageLayout layout = layoutOf(shape);
    if (layout.channels == 0 || index < 0 || index >= samples.dim(0) ||
        samples.dtype() != DType::F32) {
        return {};
    }
    const int64_t plane = int64_t(layout.height) * layout.width;
    const float* values = samples.data<float>() + index * shape.numel();
    const auto [low, high] = std::minmax_element(values, values + shape.numel());
    const float range = std::max(*high - *low, 1e-12f);
    QImage image(layout.width, layout.height, QImage::Format_RGB32);
    for (int y = 0; y < layout.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
        for (int x = 0; x < layout.width; ++x) {
            int rgb[3];
            for (int c = 0; c < 3; ++c) {
                const float v = values[(c % layout.channels) * plane + y * layout.width + x];
                rgb[c] = static_cast<int>(std::lround((v - *low) / range * 255.0f));
            }
            line[x] = qRgb(rgb[0], rgb[1], rgb[2]);
        }
    }
    return image;
}

}  // namespace loom
