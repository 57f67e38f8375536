#include "backend/CounterRandom.h"

#include <loom/Backend.h>
#include <loom/Error.h>

namespace loom {

namespace {

int64_t convolvedExtent(int64_t input, int padBefore, int padAfter, int dilation, int64_t kernel,
                        int stride) {
    int64_t effective = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
    int64_t padded = input + padBefore + padAfter;
    if (padded < effective) {
        return 0;
    }
    return (padded - effective) / stride + 1;
}

void checkGeometry(bool ok, const std::string& what) {
    if (!ok) {
        throw ShapeError(what);
    }
}

}  // namespace

Shape Conv2DGeometry::outputShape(const Shape& input, const Shape& filter) const {
    checkGeometry(input.rank() == 4, "conv2d: input must be [N,C,H,W], got " + input.str());
    checkGeometry(filter.rank() == 4, "conv2d: filter must be [K,C,R,S], got " + filter.str());
    checkGeometry(groups > 0 && filter[0] % groups == 0,
                  "conv2d: filter " + filter.str() + " has " + std::to_string(filter[0]) +
                      " output channels, which do not split into " + std::to_string(groups) +
                      " groups");
    checkGeometry(input[1] == filter[1] * groups,
                  "conv2d: input " + input.str() + " has " + std::to_string(input[1]) +
                      " channels but filter " + filter.str() + " in " + std::to_string(groups) +
                      " group(s) expects " + std::to_string(filter[1] * groups));
    checkGeometry(strideH > 0 && strideW > 0 && dilationH > 0 && dilationW > 0 && padTop >= 0 &&
                      padLeft >= 0 && padBottom >= 0 && padRight >= 0,
                  "conv2d: strides and dilations must be positive and pads non-negative");
    int64_t p = convolvedExtent(input[2], padTop, padBottom, dilationH, filter[2], strideH);
    int64_t q = convolvedExtent(input[3], padLeft, padRight, dilationW, filter[3], strideW);
    checkGeometry(p > 0 && q > 0, "conv2d: a " + std::to_string(filter[2]) + "x" +
                                      std::to_string(filter[3]) + " filter does not fit input " +
                                      input.str() + " with this padding and dilation");
    return Shape{input[0], filter[0], p, q};
}

Shape Pool2DGeometry::outputShape(const Shape& input) const {
    checkGeometry(input.rank() == 4, "pool2d: input must be [N,C,H,W], got " + input.str());
    checkGeometry(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0 && padTop >= 0 &&
                      padLeft >= 0 && padBottom >= 0 && padRight >= 0,
                  "pool2d: window and strides must be positive and pads non-negative");
    checkGeometry(
        padTop < kernelH && padBottom < kernelH && padLeft < kernelW && padRight < kernelW,
        "pool2d: padding must be smaller than the window");
    int64_t p = convolvedExtent(input[2], padTop, padBottom, 1, kernelH, strideH);
    int64_t q = convolvedExtent(input[3], padLeft, padRight, 1, kernelW, strideW);
    checkGeometry(p > 0 && q > 0, "pool2d: a " + std::to_string(kernelH) + "x" +
                                      std::to_string(kernelW) + " window does not fit input " +
                                      input.str());
    return Shape{input[0], input[1], p, q};
}

const char* activationName(ActivationKind kind) {
    switch (kind) {
        case ActivationKind::Linear:
            return "linear";
        case ActivationKind::Relu:
            return "relu";
        case ActivationKind::LeakyRelu:
            return "leaky_relu";
        case ActivationKind::Elu:
            return "elu";
        case ActivationKind::Sigmoid:
            return "sigmoid";
        case ActivationKind::Tanh:
            return "tanh";
        case ActivationKind::Softmax:
            return "softmax";
        case ActivationKind::ClippedRelu:
            return "relu6";
    }
    return "?";
}

std::vector<std::string> activationNames() {
    return {"linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "relu6"};
}

ActivationKind activationFromName(const std::string& name) {
    for (ActivationKind kind :
         {ActivationKind::Linear, ActivationKind::Relu, ActivationKind::LeakyRelu,
          ActivationKind::Elu, ActivationKind::Sigmoid, ActivationKind::Tanh,
          ActivationKind::Softmax, ActivationKind::ClippedRelu}) {
        if (name == activationName(kind)) {
            return kind;
        }
    }
    throw ConfigError("unknown activation '" + name +
                      "'; known: linear, relu, leaky_relu, elu, sigmoid, tanh, softmax, relu6");
}

double counterUniform(uint64_t seed, uint64_t counter) {
    return static_cast<double>(counterRandomBits(seed, counter)) * 0x1.0p-53;
}

}  // namespace loom
