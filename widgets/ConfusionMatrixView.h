#pragma once

#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace loom {

/// ConfusionMatrixView: a heat map of which classes the model takes for which. Rows are the
/// true classes, columns the predicted ones; each cell shows its count and is shaded by the
/// share of its row, so a weak class stands out whatever its size. The column on the right is
/// each class's accuracy. Hovering a cell says it in words.
class ConfusionMatrixView : public QWidget {
    Q_OBJECT

public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);

    /// confusion: classNames.size() squared counts, row-major [true][predicted].
    void setMatrix(const QStringList& classNames, const std::vector<int64_t>& confusion);
    /// Correct predictions of a class over its samples (NaN for a class with none).
    double classAccuracy(int trueClass) const;
    int64_t count(int trueClass, int predictedClass) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Geometry;
    Geometry geometry() const;
    int64_t rowTotal(int trueClass) const;
    void paintLabels(QPainter& painter, const Geometry& g) const;
    void paintCells(QPainter& painter, const Geometry& g) const;

    QStringList m_classes;
    std::vector<int64_t> m_counts;
};

}  // namespace loom
