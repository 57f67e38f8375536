#pragma once
/// Why a classifier gave its answer for one sample, as maps over the sample's picture: saliency
/// (Simonyan et al.: the gradient of the class score with respect to the input, optionally
/// averaged over noisy copies, SmoothGrad), occlusion sensitivity (Zeiler and Fergus: how much
/// the class probability drops when a patch is covered), Grad-CAM (Selvaraju et al.: a
/// convolution layer's feature maps weighted by the class score's mean gradient); and class
/// visualisation (gradient ascent from noise on one output unit, deep dream's normalised step),
/// and any layer's outputs for chosen samples.
///
/// The class score is the output layer's pre-activation (the logit) when the network ends in a
/// softmax or sigmoid, its output otherwise. Every map is [H, W] over the picture and >= 0.

#include <loom/Graph.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loom {

struct SaliencyOptions {
    int smoothGradSamples = 0;  ///< 0: plain gradient; else the mean over this many noisy copies
    double noise = 0.15;        ///< SmoothGrad's noise, as a fraction of the sample's value range
    uint64_t seed = 0;
};

struct OcclusionOptions {
    int64_t patch = 4;   ///< side of the square patch, in pixels
    int64_t stride = 2;  ///< pixels between patches
    double fill = 0;     ///< the value a covered pixel takes, in the model's input units
};

struct ClassVisualisationOptions {
    int steps = 100;
    double step = 0.05;        ///< per normalised gradient, as a fraction of the value range
    double decay = 0.01;       ///< L2 pull towards zero per step, so the picture stays natural
    double low = 0, high = 1;  ///< the model's input range; the picture is kept inside it
    uint64_t seed = 0;
};

/// Explains a built classifier with one input and one output. It runs a copy of the network
/// that shares the model's weights (moved to the backend's device) with every layer frozen, so
/// it never changes the model's weights or their gradients.
class Explainer {
public:
    /// picture: the [C, H, W] the model's input shows, when the input is flat (784 for
    /// 1x28x28); empty when the input already is [C, H, W]. Throws ShapeError when the input
    /// cannot be shown as that picture.
    Explainer(Graph& model, Backend& backend, const Shape& picture = {});

    const Shape& picture() const { return m_picture; }
    /// Class probabilities [N, classes] of samples [N, ...input].
    Tensor probabilities(const Tensor& samples);
    /// |d score / d input| of one sample [1, ...input], its largest over the colour channels.
    Tensor saliency(const Tensor& sample, int64_t classIndex, const SaliencyOptions& options = {});
    /// The drop of the class probability when a patch covers each pixel (averaged over the
    /// patches that cover it; rises clipped to 0).
    Tensor occlusion(const Tensor& sample, int64_t classIndex,
                     const OcclusionOptions& options = {});
    /// Grad-CAM on `layer` (a layer with feature maps [C, h, w]), enlarged to the picture.
    Tensor gradCam(const Tensor& sample, int64_t classIndex, const std::string& layer);
    /// An input [1, ...input] that makes the class score large.
    Tensor visualiseClass(int64_t classIndex, const ClassVisualisationOptions& options = {});
    /// Host copies of the outputs of `layers` for samples [N, ...input], in inference mode.
    std::map<std::string, Tensor> outputsOf(const Tensor& samples,
                                            const std::vector<std::string>& layers);

private:
    int64_t checkedClass(int64_t classIndex) const;
    /// Forward and backward of samples, seeding d score(classIndex) for every row.
    void forwardBackward(const Tensor& samples, int64_t classIndex);
    Tensor toDevice(const Tensor& samples);
    /// [N, ...input] -> per sample [H, W]: the largest absolute value over the channels.
    Tensor channelMaximum(const Tensor& values, int64_t row) const;

    Backend& m_backend;
    Graph m_part;
    Shape m_picture;
    std::string m_output;
    bool m_scoreIsLogit = false;
    Tensor m_deviceInput, m_seed;
};

/// The last layer whose output has feature maps ([C, h, w] per sample), Grad-CAM's usual
/// choice; empty when there is none.
std::string defaultGradCamLayer(const Graph& graph);

/// The share of a map's mass (its sum) that lies where `mask` is not zero (same shape).
double massFraction(const Tensor& map, const Tensor& mask);

}  // namespace loom
