#pragma once
// cuDNN descriptors and chosen algorithms per convolution shape. A plan is made the first time
// a shape is seen and kept for the backend's lifetime: creating descriptors costs microseconds
// and finding an algorithm runs every candidate once (milliseconds), neither of which a
// training step should pay again.

#include <cudnn.h>

#include <compare>
#include <cstddef>
#include <map>
#include <memory>

namespace loom::cuda {

/// Everything cuDNN's descriptors and algorithm choice depend on.
struct ConvKey {
    int dtype = 0;  ///< 0 float32, 1 float64
    int n = 0, c = 0, h = 0, w = 0;
    int k = 0, filterChannels = 0, r = 0, s = 0;
    int padH = 0, padW = 0, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
    int groups = 1;
    bool tf32 = false;

    auto operator<=>(const ConvKey&) const = default;
};

/// The algorithm chosen for one direction, with its workspace and math type.
template <typename Algo>
struct ConvChoice {
    bool chosen = false;
    Algo algo{};
    size_t workspace = 0;
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

struct ConvPlan {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
    int outN = 0, outK = 0, outP = 0, outQ = 0;  ///< the output cuDNN works out
    ConvChoice<cudnnConvolutionFwdAlgo_t> forward;
    ConvChoice<cudnnConvolutionBwdDataAlgo_t> backwardData;
    ConvChoice<cudnnConvolutionBwdFilterAlgo_t> backwardFilter;

    ConvPlan() = default;
    ~ConvPlan();
    ConvPlan(const ConvPlan&) = delete;
    ConvPlan& operator=(const ConvPlan&) = delete;
};

class ConvolutionPlans {
public:
    /// The plan for key, with its descriptors made (algorithms are chosen by the caller).
    ConvPlan& get(const ConvKey& key);

private:
    std::map<ConvKey, std::unique_ptr<ConvPlan>> m_plans;
};

}  // namespace loom::cuda
