#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/ImageFolder.h>
#include <loom/Prediction.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace loom {

namespace {

bool isDistribution(const float* row, int64_t classes) {
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) {
        if (!(row[c] >= 0 && row[c] <= 1)) {
            return false;
        }
        sum += row[c];
    }
    return std::abs(sum - 1) < 1e-3;
}

void softmax(const float* row, int64_t classes, float* out) {
    const float top = *std::max_element(row, row + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) {
        sum += std::exp(static_cast<double>(row[c]) - top);
    }
    for (int64_t c = 0; c < classes; ++c) {
        out[c] = static_cast<float>(std::exp(static_cast<double>(row[c]) - top) / sum);
    }
}

int64_t classesOf(const Tensor& outputs) {
    return outputs.dim(0) > 0 ? outputs.numel() / outputs.dim(0) : 0;
}

// A square picture with as many values as a flat input: grey first, then colour.
Shape squarePicture(const Shape& input) {
    const int64_t n = input.numel();
    for (int64_t channels : {1, 3}) {
        auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(n / channels))));
        if (side * side * channels == n) {
            return Shape{channels, side, side};
        }
    }
    throw DataError("the model's input " + input.str() +
                    " is not a picture; set the data section's size and grayscale to the "
                    "pictures it was trained on");
}

}  // namespace

Tensor classProbabilities(const Tensor& outputs) {
    const int64_t rows = outputs.dim(0);
    const int64_t classes = classesOf(outputs);
    const float* x = outputs.data<float>();
    bool distributions = true;
    for (int64_t r = 0; r < rows && distributions; ++r) {
        distributions = isDistribution(x + r * classes, classes);
    }
    if (distributions) {
        return outputs.clone();
    }
    Tensor p = Tensor::empty(outputs.shape());
    for (int64_t r = 0; r < rows; ++r) {
        softmax(x + r * classes, classes, p.data<float>() + r * classes);
    }
    return p;
}

std::vector<ClassProbability> topClasses(const Tensor& probabilities, int64_t row, int64_t k) {
    const int64_t classes = classesOf(probabilities);
    const float* p = probabilities.data<float>() + row * classes;
    std::vector<int64_t> order(static_cast<size_t>(classes));
    std::iota(order.begin(), order.end(), int64_t{0});
    const auto count = std::clamp<int64_t>(k, 0, classes);
    // Ties go to the lower class, as the metrics' argmax does.
    std::partial_sort(order.begin(), order.begin() + count, order.end(),
                      [&](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    std::vector<ClassProbability> top;
    for (int64_t i = 0; i < count; ++i) {
        const int64_t c = order[static_cast<size_t>(i)];
        top.push_back({c, p[c]});
    }
    return top;
}

SamplePreprocessing SamplePreprocessing::forModel(const nlohmann::json& section,
                                                  const Shape& modelInput,
                                                  Normalization normalization) {
    const ImageFolderOptions folder = imageFolderOptions(section, modelInput);
    SamplePreprocessing p{modelInput, modelInput, std::move(normalization), folder.limits,
                          folder.fit};
    if (modelInput.rank() != 3) {
        const Shape folderPicture{folder.grayscale ? 1 : 3, folder.height, folder.width};
        p.picture =
            folderPicture.numel() == modelInput.numel() ? folderPicture : squarePicture(modelInput);
    }
    return p;
}

Tensor SamplePreprocessing::read(const std::string& path) const {
    return fromPixels(readImage(path, static_cast<int>(picture[1]), static_cast<int>(picture[2]),
                                picture[0] == 1, limits, fit));
}

Tensor SamplePreprocessing::fromPixels(const Tensor& pixels) const {
    if (pixels.numel() != picture.numel()) {
        throw ShapeError("a picture of shape " + pixels.shape().str() +
                         " is not the model's picture " + picture.str());
    }
    Dataset one;
    one.samples = pixels.clone().reshape(picture.withBatch(1));
    normalization.apply(one);
    return one.samples.reshape(modelInput.withBatch(1));
}

std::vector<ClassProbability> predictSample(Trainer& trainer, const Tensor& sample, int64_t k) {
    return topClasses(classProbabilities(trainer.predict(sample)), 0, k);
}

ImagePrediction predictImage(Trainer& trainer, const SamplePreprocessing& preprocessing,
                             const std::string& path, int64_t k) {
    ImagePrediction prediction;
    prediction.sample = preprocessing.read(path);
    prediction.top = predictSample(trainer, prediction.sample, k);
    return prediction;
}

}  // namespace loom
