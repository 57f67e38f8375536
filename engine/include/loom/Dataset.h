#pragma once
/// Dataset: labelled samples held in memory. samples is [N, ...per-sample shape] float32;
/// targets is [N] class indices (classification) or [N, k] real values (regression).
/// Splits and shuffles are seeded and reproducible.

#include <loom/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

struct Dataset {
    Tensor samples;
    Tensor targets;
    std::vector<std::string> classNames;  ///< empty for regression
    std::string source;                   ///< where it came from, for messages

    int64_t size() const { return samples.defined() ? samples.dim(0) : 0; }
    Shape sampleShape() const { return samples.shape().withoutBatch(); }
    bool isClassification() const { return !classNames.empty(); }
    int64_t classCount() const { return static_cast<int64_t>(classNames.size()); }

    /// The samples at these indices, in this order (a copy).
    Dataset subset(const std::vector<int64_t>& indices) const;
    /// Samples per class, for classification.
    std::vector<int64_t> classCounts() const;
};

/// 0..n-1 in an order that depends only on seed.
std::vector<int64_t> shuffledIndices(int64_t n, uint64_t seed);

/// Splits off `fraction` of the samples (chosen by a seeded shuffle) as the second part:
/// the tutorials' 25% hold-out with seed 12345 is splitHoldout(data, 0.25, 12345).
std::pair<Dataset, Dataset> splitHoldout(const Dataset& data, double fraction, uint64_t seed);

/// How samples are scaled before training; computed from the training set, applied to all.
struct Normalization {
    enum class Kind { None, Scale, MeanStd } kind = Kind::None;
    double scale = 1.0;                ///< Scale: x * scale (1/255 for 8-bit pixels)
    std::vector<double> mean, stddev;  ///< MeanStd: per channel (axis 1)

    static Normalization divideBy(double divisor);
    /// Per-channel mean and standard deviation of a data set's samples.
    static Normalization perChannel(const Dataset& data);
    void apply(Dataset& data) const;
};

}  // namespace loom
