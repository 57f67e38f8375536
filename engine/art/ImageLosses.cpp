#include <loom/Error.h>
#include <loom/ImageLosses.h>
#include <loom/Layer.h>

#include <cmath>

namespace loom {

namespace {

constexpr int kDreamBorder = 2;

// A one-element result read back to the host (waits for the device).
double scalar(const Tensor& result) {
    return result.toHost().at(0);
}

void ensure(Backend& backend, Tensor& t, const Shape& shape, DType dtype) {
    ExecutionContext{backend, false, 0, 0, dtype}.ensure(t, shape);
}

void checkImageActivation(const Tensor& a, const char* what) {
    if (a.rank() != 4 || a.dim(0) != 1) {
        throw ShapeError(std::string(what) +
                         " needs an image layer's activations (1, C, H, W), got " +
                         a.shape().str() + "; choose a convolutional layer");
    }
}

}  // namespace

double dreamLayerLoss(Backend& backend, const Tensor& activation, double weight, Tensor& gradient) {
    const DType dtype = activation.dtype();
    Tensor sum = backend.allocate(Shape{1}, dtype);
    ensure(backend, gradient, activation.shape(), dtype);
    const double scale = weight / static_cast<double>(activation.numel());
    const bool crop = activation.rank() == 4 && activation.dim(2) > 2 * kDreamBorder &&
                      activation.dim(3) > 2 * kDreamBorder;
    if (!crop) {
        backend.sumSquares(activation, sum);
        backend.axpby(2 * scale, activation, 0.0, gradient);
        return scale * scalar(sum);
    }
    // The interior is what a padding's backward pass keeps; padding it again with zeros gives
    // the gradient, which is zero on the border.
    const Padding2D border{kDreamBorder, kDreamBorder, kDreamBorder, kDreamBorder};
    const Shape& s = activation.shape();
    Tensor inner = backend.allocate(
        Shape{s[0], s[1], s[2] - 2 * kDreamBorder, s[3] - 2 * kDreamBorder}, dtype);
    backend.pad2dBackward(activation, border, inner);
    backend.sumSquares(inner, sum);
    backend.axpby(2 * scale, inner, 0.0, inner);
    backend.pad2dForward(inner, border, gradient);
    return scale * scalar(sum);
}

Tensor gramMatrix(Backend& backend, const Tensor& activation) {
    checkImageActivation(activation, "a Gram matrix");
    const int64_t channels = activation.dim(1);
    const Tensor features = activation.reshape(Shape{channels, activation.numel() / channels});
    Tensor gram = backend.allocate(Shape{channels, channels}, activation.dtype());
    backend.gemm(false, true, 1.0, features, features, 0.0, gram);
    return gram;
}

double styleLayerLoss(Backend& backend, const Tensor& activation, const Tensor& styleGram,
                      double weight, Tensor& gradient) {
    Tensor difference = gramMatrix(backend, activation);
    checkSameShape(difference, styleGram, "style loss (the Gram matrices)");
    const int64_t channels = activation.dim(1);
    const auto cells = static_cast<double>(activation.numel() / channels);
    const double scale = weight / (4.0 * double(channels) * double(channels) * cells * cells);
    backend.axpby(-1.0, styleGram, 1.0, difference);
    Tensor sum = backend.allocate(Shape{1}, activation.dtype());
    backend.sumSquares(difference, sum);
    // d/da sum((a a^T - S)^2) = 4 (a a^T - S) a, the difference being symmetric.
    ensure(backend, gradient, activation.shape(), activation.dtype());
    Tensor features = activation.reshape(Shape{channels, activation.numel() / channels});
    Tensor featureGradient = gradient.reshape(features.shape());
    backend.gemm(false, false, 4.0 * scale, difference, features, 0.0, featureGradient);
    return scale * scalar(sum);
}

double contentLoss(Backend& backend, const Tensor& activation, const Tensor& contentActivation,
                   double weight, Tensor& gradient) {
    checkSameShape(activation, contentActivation, "content loss");
    ensure(backend, gradient, activation.shape(), activation.dtype());
    const double scale = weight / static_cast<double>(activation.numel());
    backend.axpby(1.0, activation, 0.0, gradient);
    backend.axpby(-1.0, contentActivation, 1.0, gradient);
    Tensor sum = backend.allocate(Shape{1}, activation.dtype());
    backend.sumSquares(gradient, sum);
    backend.axpby(2.0 * scale, gradient, 0.0, gradient);
    return scale * scalar(sum);
}

double totalVariationLoss(const Tensor& input, double unit, double weight, Tensor& gradient) {
    if (input.rank() != 4 || input.dtype() != DType::F64 || gradient.dtype() != DType::F64) {
        throw ShapeError("total variation needs a float64 picture (1, C, H, W), got " +
                         input.shape().str());
    }
    checkSameShape(input, gradient, "total variation (its gradient)");
    const int64_t channels = input.dim(0) * input.dim(1), height = input.dim(2),
                  width = input.dim(3);
    const double* x = input.data<double>();
    double* g = gradient.data<double>();
    // Differences in `unit`s scale the sum by unit^2.5; the mean divides by the cells.
    const double cells = double(channels) * double(height - 1) * double(width - 1);
    const double scale = weight * std::pow(unit, 2.5) / std::max(cells, 1.0);
    double loss = 0;
    for (int64_t c = 0; c < channels; ++c) {
        for (int64_t i = 0; i + 1 < height; ++i) {
            for (int64_t j = 0; j + 1 < width; ++j) {
                const int64_t at = (c * height + i) * width + j;
                const double down = x[at] - x[at + width], right = x[at] - x[at + 1];
                const double s = down * down + right * right;
                loss += std::pow(s, 1.25);
                // d(s^1.25) = 1.25 s^0.25 ds; ds/dx[at] = 2 down + 2 right.
                const double t = 2.5 * scale * std::pow(s, 0.25);
                g[at] += t * (down + right);
                g[at + width] -= t * down;
                g[at + 1] -= t * right;
            }
        }
    }
    return scale * loss;
}

}  // namespace loom
