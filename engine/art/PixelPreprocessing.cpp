#include <loom/Error.h>
#include <loom/PixelPreprocessing.h>

#include <algorithm>

namespace loom {

namespace {

// Keras' caffe-mode ImageNet means, in BGR order.
constexpr double kCaffeMeanBgr[3] = {103.939, 116.779, 123.68};

void checkRank(const Tensor& t, size_t rank, const char* expected) {
    if (t.rank() != rank || t.dim(rank - 3) != 3) {
        throw ShapeError(std::string("expected a picture of shape ") + expected + ", got " +
                         t.shape().str());
    }
}

}  // namespace

double greyLevelsPerUnit(PixelScaling scaling) {
    return scaling == PixelScaling::MinusOneToOne ? 127.5 : 1.0;
}

Tensor toNetworkInput(const Tensor& rgb, PixelScaling scaling, DType dtype) {
    checkRank(rgb, 3, "(3, H, W)");
    const int64_t plane = rgb.dim(1) * rgb.dim(2);
    Tensor input = Tensor::empty(rgb.shape().withBatch(1), DType::F64);
    double* out = input.data<double>();
    for (int64_t c = 0; c < 3; ++c) {
        const int64_t from = scaling == PixelScaling::CaffeBgr ? 2 - c : c;
        for (int64_t i = 0; i < plane; ++i) {
            const double v = rgb.at(from * plane + i);
            out[c * plane + i] =
                scaling == PixelScaling::CaffeBgr ? v - kCaffeMeanBgr[c] : v / 127.5 - 1.0;
        }
    }
    return input.to(dtype);
}

Tensor toRgbImage(const Tensor& input, PixelScaling scaling) {
    checkRank(input, 4, "(1, 3, H, W)");
    const int64_t plane = input.dim(2) * input.dim(3);
    const Tensor values = input.to(DType::F64);
    const double* in = values.data<double>();
    Tensor rgb = Tensor::empty(Shape{3, input.dim(2), input.dim(3)});
    float* out = rgb.data<float>();
    for (int64_t c = 0; c < 3; ++c) {
        const int64_t from = scaling == PixelScaling::CaffeBgr ? 2 - c : c;
        for (int64_t i = 0; i < plane; ++i) {
            const double v = in[from * plane + i];
            const double grey =
                scaling == PixelScaling::CaffeBgr ? v + kCaffeMeanBgr[from] : (v + 1.0) * 127.5;
            out[c * plane + i] = static_cast<float>(std::clamp(grey, 0.0, 255.0));
        }
    }
    return rgb;
}

}  // namespace loom
