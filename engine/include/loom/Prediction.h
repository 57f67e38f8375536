#pragma once
/// Prediction: a trained classifier's answer for new samples. Outputs become class
/// probabilities by one rule, and an image file becomes a sample exactly as the training
/// samples were made (picture size, colour, normalisation, layout), so the window and
/// loom-cli predict alike. Everything here works on values the caller owns, so a worker
/// thread can run it on its own snapshot of a project.

#include <loom/Dataset.h>
#include <loom/ImageFolder.h>
#include <loom/ImageHeader.h>
#include <loom/Trainer.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace loom {

/// Class probabilities for a model's outputs [N, classes]: the outputs themselves when every
/// row already is a probability distribution (the model ends in a softmax), else the softmax
/// of each row (the model gives logits).
Tensor classProbabilities(const Tensor& outputs);

struct ClassProbability {
    int64_t classIndex = 0;
    double probability = 0;
};

/// The k likeliest classes of one row of probabilities [N, classes], likeliest first.
std::vector<ClassProbability> topClasses(const Tensor& probabilities, int64_t row, int64_t k);

/// How an image file becomes one sample of a model, made as its training samples were.
struct SamplePreprocessing {
    Shape picture;                     ///< [C, H, W]: the size and colour the file is read at
    Shape modelInput;                  ///< the sample's layout: the picture itself, or flat
    Normalization normalization;       ///< the training data's
    ImageLimits limits;                ///< the data section's pixel budget for an image file
    ImageFit fit = ImageFit::Stretch;  ///< how a file of another shape is brought to the picture

    /// For a model trained on the data `section` describes; `normalization` is the training
    /// data's (LoadedData::normalization, or trainingNormalization). The picture is the
    /// model's input when that is [C, H, W]; for a flat input it is the picture an image
    /// folder is read at (the section's size and grayscale) when that has as many values,
    /// else a square grey or colour one (784: 1x28x28, as IDX and Fashion-MNIST give).
    /// Throws DataError when the input cannot be a picture.
    static SamplePreprocessing forModel(const nlohmann::json& section, const Shape& modelInput,
                                        Normalization normalization);

    /// The image file as one sample [1, ...modelInput]. Throws DataError naming the file, also
    /// when its header declares more pixels than `limits` allow.
    Tensor read(const std::string& path) const;
    /// A picture [C, H, W] of this preprocessing's size, in pixel values (0..255), as one sample
    /// [1, ...modelInput]: normalised as the training data were.
    Tensor fromPixels(const Tensor& pixels) const;
};

struct ImagePrediction {
    Tensor sample;                      ///< [1, ...modelInput]: the image as the model saw it
    std::vector<ClassProbability> top;  ///< likeliest first
};

/// The k likeliest classes the trained model gives one sample [1, ...input].
std::vector<ClassProbability> predictSample(Trainer& trainer, const Tensor& sample, int64_t k);

/// The k likeliest classes the trained model sees in an image file.
ImagePrediction predictImage(Trainer& trainer, const SamplePreprocessing& preprocessing,
                             const std::string& path, int64_t k);

}  // namespace loom
