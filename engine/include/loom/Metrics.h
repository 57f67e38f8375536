#pragma once
/// Classification metrics accumulated batch by batch: accuracy, top-k accuracy, per-class
/// accuracy and the confusion matrix (rows: true class, columns: predicted class).

#include <loom/Tensor.h>

#include <cstdint>
#include <vector>

namespace loom {

class ClassificationMetrics {
public:
    ClassificationMetrics(int64_t classes, int topK);

    /// scores [B, classes] on the host (probabilities or logits), labels [B] class indices.
    void add(const Tensor& scores, const Tensor& labels);

    int64_t count() const { return m_count; }
    int64_t classes() const { return m_classes; }
    double accuracy() const;
    double topKAccuracy() const;
    int topK() const { return m_topK; }
    std::vector<double> perClassAccuracy() const;
    /// classes x classes counts, row-major [true][predicted].
    const std::vector<int64_t>& confusion() const { return m_confusion; }

private:
    int64_t m_classes;
    int m_topK;
    int64_t m_count = 0, m_correct = 0, m_topKCorrect = 0;
    std::vector<int64_t> m_confusion;
};

}  // namespace loom
