#include <loom/Error.h>
#include <loom/HandwrittenDigit.h>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

constexpr int64_t kSide = 28, kBox = 20;
constexpr int kSupersampling = 4;  ///< per axis: each output pixel averages 16 bilinear samples

struct Box {
    int64_t top, left, height, width;
};

Box inkBounds(const float* ink, int64_t height, int64_t width) {
    int64_t top = height, bottom = -1, left = width, right = -1;
    for (int64_t y = 0; y < height; ++y) {
        for (int64_t x = 0; x < width; ++x) {
            if (ink[y * width + x] > 0) {
                top = std::min(top, y);
                bottom = std::max(bottom, y);
                left = std::min(left, x);
                right = std::max(right, x);
            }
        }
    }
    return {top, left, bottom - top + 1, right - left + 1};
}

double bilinear(const float* ink, int64_t height, int64_t width, double y, double x) {
    const auto at = [&](int64_t yy, int64_t xx) -> double {
        return yy < 0 || xx < 0 || yy >= height || xx >= width ? 0.0 : ink[yy * width + xx];
    };
    const auto y0 = int64_t(std::floor(y)), x0 = int64_t(std::floor(x));
    const double fy = y - double(y0), fx = x - double(x0);
    return (at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx) * (1 - fy) +
           (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy;
}

}  // namespace

Tensor mnistDigit(const Tensor& ink) {
    if (ink.rank() != 2 || ink.dtype() != DType::F32) {
        throw ShapeError("a drawing must be a [H, W] float32 picture, not " + ink.shape().str());
    }
    const int64_t height = ink.dim(0), width = ink.dim(1);
    const float* in = ink.data<float>();
    Tensor digit = Tensor::zeros(Shape{1, kSide, kSide});
    const Box box = inkBounds(in, height, width);
    if (box.height <= 0) {
        return digit;
    }
    // The box scaled to fit 20x20, placed in the middle of the 28x28 picture.
    const double scale = double(kBox) / double(std::max(box.height, box.width));
    const double outHeight = double(box.height) * scale, outWidth = double(box.width) * scale;
    const double top = (double(kSide) - outHeight) / 2, left = (double(kSide) - outWidth) / 2;
    std::vector<double> placed(size_t(kSide * kSide), 0);
    double mass = 0, massY = 0, massX = 0;
    for (int64_t y = 0; y < kSide; ++y) {
        for (int64_t x = 0; x < kSide; ++x) {
            double sum = 0;
            for (int sy = 0; sy < kSupersampling; ++sy) {
                for (int sx = 0; sx < kSupersampling; ++sx) {
                    const double py = double(y) + (sy + 0.5) / kSupersampling - top;
                    const double px = double(x) + (sx + 0.5) / kSupersampling - left;
                    if (py >= 0 && px >= 0 && py < outHeight && px < outWidth) {
                        sum += bilinear(in, height, width, double(box.top) + py / scale - 0.5,
                                        double(box.left) + px / scale - 0.5);
                    }
                }
            }
            const double value = sum / (kSupersampling * kSupersampling);
            placed[size_t(y * kSide + x)] = value;
            mass += value;
            massY += value * (double(y) + 0.5);
            massX += value * (double(x) + 0.5);
        }
    }
    if (mass <= 0) {
        return digit;
    }
    // Whole pixels, so the strokes stay as sharp as they were drawn.
    const auto shiftY = int64_t(std::lround(double(kSide) / 2 - massY / mass));
    const auto shiftX = int64_t(std::lround(double(kSide) / 2 - massX / mass));
    float* out = digit.data<float>();
    for (int64_t y = 0; y < kSide; ++y) {
        for (int64_t x = 0; x < kSide; ++x) {
            const int64_t fromY = y - shiftY, fromX = x - shiftX;
            if (fromY >= 0 && fromX >= 0 && fromY < kSide && fromX < kSide) {
                out[y * kSide + x] =
                    float(255.0 * std::clamp(placed[size_t(fromY * kSide + fromX)], 0.0, 1.0));
            }
        }
    }
    return digit;
}

}  // namespace loom
