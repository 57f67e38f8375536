#include "io/RunStatisticsFile.h"

#include <loom/Error.h>

#include <limits>

namespace loom {

namespace {

const std::vector<std::string> kScalarColumns{
    "activation_mean", "activation_std", "zero_fraction", "dead_fraction", "saturated_fraction",
    "weight_count",    "weight_norm",    "gradient_norm", "update_ratio",  "non_finite"};
constexpr int64_t kHistogramWidth = 2 + int64_t(Histogram::kBins);

std::vector<double> scalarsOf(const LayerStatistics& s) {
    return {s.activationMean,    s.activationStd,       s.zeroFraction, s.deadFraction,
            s.saturatedFraction, double(s.weightCount), s.weightNorm,   s.gradientNorm,
            s.updateRatio,       double(s.nonFinite)};
}

bool isCount(double value) {
    return value >= 0 && value <= 9.0e15 && value == std::floor(value);
}

void writeHistogram(const Histogram& h, float* out) {
    out[0] = float(h.low);
    out[1] = float(h.high);
    for (size_t i = 0; i < Histogram::kBins; ++i) {
        out[2 + i] = float(h.counts[i]);
    }
}

Histogram readHistogram(const float* in) {
    Histogram h;
    h.low = in[0];
    h.high = in[1];
    for (size_t i = 0; i < Histogram::kBins; ++i) {
        h.counts[i] = in[2 + i];
    }
    return h;
}

}  // namespace

void writeRunStatistics(h5::File& file, const std::string& runGroup,
                        const std::vector<StatisticsSample>& samples) {
    if (samples.empty()) {
        return;
    }
    const std::string group = h5::join(runGroup, "statistics");
    std::vector<std::string> layers;
    for (const LayerStatistics& s : samples.front().layers) {
        layers.push_back(s.layer);
    }
    const auto count = int64_t(samples.size()), width = int64_t(layers.size());
    Tensor steps = Tensor::empty(Shape{count, 2}, DType::F64);
    Tensor scalars = Tensor::empty(Shape{count, width, int64_t(kScalarColumns.size())}, DType::F64);
    Tensor histograms = Tensor::zeros(Shape{count, width, 3, kHistogramWidth});
    for (int64_t i = 0; i < count; ++i) {
        const StatisticsSample& sample = samples[size_t(i)];
        if (sample.layers.size() != layers.size()) {
            throw Error("a run's statistics samples must all cover the same layers");
        }
        steps.data<double>()[2 * i] = double(sample.step);
        steps.data<double>()[2 * i + 1] = double(sample.epoch);
        for (int64_t l = 0; l < width; ++l) {
            const LayerStatistics& s = sample.layers[size_t(l)];
            const std::vector<double> row = scalarsOf(s);
            std::copy(row.begin(), row.end(),
                      scalars.data<double>() + (i * width + l) * int64_t(row.size()));
            float* h = histograms.data<float>() + (i * width + l) * 3 * kHistogramWidth;
            writeHistogram(s.activations, h);
            writeHistogram(s.weights, h + kHistogramWidth);
            writeHistogram(s.gradients, h + 2 * kHistogramWidth);
        }
    }
    file.createGroup(group);
    file.writeStringListAttribute(group, "layers", layers);
    file.writeTensor(h5::join(group, "steps"), steps, DType::F64);
    file.writeTensor(h5::join(group, "scalars"), scalars, DType::F64);
    file.writeStringListAttribute(h5::join(group, "scalars"), "columns", kScalarColumns);
    file.writeTensor(h5::join(group, "histograms"), histograms);
}

std::vector<StatisticsSample> readRunStatistics(const h5::File& file, const std::string& runGroup) {
    const std::string group = h5::join(runGroup, "statistics");
    if (!file.isGroup(group)) {
        return {};
    }
    const std::vector<std::string> layers = file.stringListAttribute(group, "layers");
    const Shape stepsShape = file.datasetShape(h5::join(group, "steps"));
    const auto count = stepsShape.rank() == 2 ? stepsShape[0] : -1;
    const auto width = int64_t(layers.size());
    const Shape scalarsShape{count, width, int64_t(kScalarColumns.size())};
    const Shape histogramsShape{count, width, 3, kHistogramWidth};
    if (stepsShape != Shape{count, 2} ||
        file.datasetShape(h5::join(group, "scalars")) != scalarsShape ||
        file.datasetShape(h5::join(group, "histograms")) != histogramsShape) {
        throw IoError(file.path() + ": '" + group + "' has tables whose shapes disagree (" +
                      std::to_string(width) + " layers)");
    }
    const Tensor steps = file.readTensor(h5::join(group, "steps"), DType::F64);
    const Tensor scalars = file.readTensor(h5::join(group, "scalars"), DType::F64);
    const Tensor histograms = file.readTensor(h5::join(group, "histograms"));
    std::vector<StatisticsSample> samples(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        const double step = steps.data<double>()[2 * i], epoch = steps.data<double>()[2 * i + 1];
        if (!isCount(step) || !isCount(epoch) || epoch > std::numeric_limits<int>::max()) {
            throw IoError(file.path() + ": '" + group + "' sample " + std::to_string(i) +
                          " has an impossible step or epoch");
        }
        StatisticsSample& sample = samples[size_t(i)];
        sample.step = int64_t(step);
        sample.epoch = int(epoch);
        for (int64_t l = 0; l < width; ++l) {
            const double* r =
                scalars.data<double>() + (i * width + l) * int64_t(kScalarColumns.size());
            if (!isCount(r[5]) || !isCount(r[9])) {
                throw IoError(file.path() + ": '" + group + "' sample " + std::to_string(i) +
                              " holds an impossible count for layer '" + layers[size_t(l)] + "'");
            }
            const float* h = histograms.data<float>() + (i * width + l) * 3 * kHistogramWidth;
            sample.layers.push_back(LayerStatistics{
                layers[size_t(l)], r[0], r[1], r[2], r[3], r[4], int64_t(r[5]), r[6], r[7], r[8],
                int64_t(r[9]), readHistogram(h), readHistogram(h + kHistogramWidth),
                readHistogram(h + 2 * kHistogramWidth)});
        }
    }
    return samples;
}

}  // namespace loom
