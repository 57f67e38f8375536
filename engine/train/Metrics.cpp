#include <loom/Error.h>
#include <loom/Metrics.h>

namespace loom {

ClassificationMetrics::ClassificationMetrics(int64_t classes, int topK)
    : m_classes(classes), m_topK(topK), m_confusion(static_cast<size_t>(classes * classes), 0) {}

void ClassificationMetrics::add(const Tensor& scores, const Tensor& labels) {
    if (scores.rank() != 2 || scores.dim(1) != m_classes || labels.numel() != scores.dim(0)) {
        throw ShapeError("metrics: scores " + scores.shape().str() + " and labels " +
                         labels.shape().str() + " do not fit " + std::to_string(m_classes) +
                         " classes");
    }
    const float* s = scores.data<float>();
    const float* l = labels.data<float>();
    for (int64_t i = 0; i < scores.dim(0); ++i) {
        const float* row = s + i * m_classes;
        auto label = static_cast<int64_t>(l[i]);
        int64_t best = 0, higher = 0;
        for (int64_t c = 0; c < m_classes; ++c) {
            best = row[c] > row[best] ? c : best;
        }
        for (int64_t c = 0; c < m_classes && label >= 0 && label < m_classes; ++c) {
            higher += row[c] > row[label] ? 1 : 0;
        }
        ++m_count;
        if (label < 0 || label >= m_classes) {
            continue;
        }
        m_correct += best == label ? 1 : 0;
        m_topKCorrect += higher < m_topK ? 1 : 0;
        ++m_confusion[static_cast<size_t>(label * m_classes + best)];
    }
}

double ClassificationMetrics::accuracy() const {
    return m_count ? static_cast<double>(m_correct) / static_cast<double>(m_count) : 0.0;
}

double ClassificationMetrics::topKAccuracy() const {
    return m_count ? static_cast<double>(m_topKCorrect) / static_cast<double>(m_count) : 0.0;
}

std::vector<double> ClassificationMetrics::perClassAccuracy() const {
    std::vector<double> result;
    for (int64_t t = 0; t < m_classes; ++t) {
        int64_t total = 0;
        for (int64_t p = 0; p < m_classes; ++p) {
            total += m_confusion[static_cast<size_t>(t * m_classes + p)];
        }
        int64_t right = m_confusion[static_cast<size_t>(t * m_classes + t)];
        result.push_back(total ? static_cast<double>(right) / static_cast<double>(total) : 0.0);
    }
    return result;
}

}  // namespace loom
