#pragma once
/// Deep dream (Mordvintsev et al.; the Keras deep_dream example): gradient ascent on a picture
/// to make chosen layers of a pretrained network respond more strongly. The objective is
/// sum over layers of w * sum(a_inner^2) / numel(a) (ImageLosses.h); each step adds
/// step * g / mean(|g|) to the network's input, g its gradient, optionally with the picture
/// rolled by a random jitter first. It runs over octaves: the picture shrunk by octaveScale
/// per octave, dreamt smallest first, each result enlarged to the next size with the detail
/// that shrinking lost added back. A step whose objective exceeds maxLoss ends its octave.

#include <loom/ArtModel.h>
#include <loom/FeatureExtractor.h>
#include <loom/Progress.h>

#include <nlohmann/json.hpp>

namespace loom {

struct DreamSettings {
    std::vector<LayerWeight> layers;  ///< empty: the network family's defaults
    int octaves = 3;
    double octaveScale = 1.4;
    double step = 0.01;     ///< in the network's input units, per normalised gradient
    int iterations = 20;    ///< per octave
    double maxLoss = 15.0;  ///< 0: no cut-off
    int jitter = 0;         ///< largest random shift in pixels, 0: none
    uint64_t seed = 1;      ///< for the jitter

    /// Every setting, for the file written beside the picture.
    nlohmann::json toJson() const;
};

/// The dream objective of the extractor's layers (weights in the same order) at `input`
/// [1, 3, H, W]; when `gradient` is given it gets d(objective)/d(input) on the host.
double dreamObjective(FeatureExtractor& features, const std::vector<double>& weights,
                      const Tensor& input, Tensor* gradient);

/// Dreams on `picture` ([3, H, W] RGB 0..255) with `model` on `backend`; returns the result
/// as a picture. Reports an ImageProgress after every step and a RunFinished at the end to
/// `sink` (may be null); stops after the current step when `control` asks (the picture so far
/// is returned). `settings.layers` are completed with the family's defaults when empty.
Tensor deepDream(Graph& model, Backend& backend, const Tensor& picture, DreamSettings& settings,
                 ProgressSink* sink = nullptr, RunControl* control = nullptr);

}  // namespace loom
