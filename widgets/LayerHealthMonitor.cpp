#include "LayerHealthMonitor.h"

namespace loom {

namespace {

void append(QVector<double>& series, double value) {
    series.append(value);
    if (series.size() > LayerHealthMonitor::kSparklineLength) {
        series.remove(0, series.size() - LayerHealthMonitor::kSparklineLength);
    }
}

}  // namespace

LayerHealthMonitor::LayerHealthMonitor(QObject* parent) : QObject(parent) {}

void LayerHealthMonitor::setMeasure(Measure measure) {
    if (measure != m_measure) {
        m_measure = measure;
        emit changed();
    }
}

void LayerHealthMonitor::addSample(const StatisticsSample& sample) {
    for (const LayerStatistics& s : sample.layers) {
        const QString layer = QString::fromStdString(s.layer);
        append(m_gradientNorms[layer], s.gradientNorm);
        append(m_updateRatios[layer], s.updateRatio);
    }
    m_warnings = assessHealth(sample);
    emit changed();
}

void LayerHealthMonitor::clear() {
    m_gradientNorms.clear();
    m_updateRatios.clear();
    m_warnings.clear();
    emit changed();
}

QHash<QString, NodeTrainingHealth> LayerHealthMonitor::health() const {
    const bool gradients = m_measure == Measure::GradientNorm;
    const QHash<QString, QVector<double>>& series = gradients ? m_gradientNorms : m_updateRatios;
    QHash<QString, NodeTrainingHealth> health;
    for (auto it = series.cbegin(); it != series.cend(); ++it) {
        NodeTrainingHealth& node = health[it.key()];
        node.measure = gradients ? tr("gradient norm") : tr("update ratio");
        node.history = it.value();
        node.explanation =
            gradients ? tr("Gradient norm: the size of the loss's gradient with respect to this "
                           "layer's weights. Far below the output layer's, the layer barely "
                           "learns (vanishing gradients); far above, training is unstable.")
                      : tr("Update ratio: how much one step changes this layer's weights, "
                           "relative to their size (||ΔW|| / ||W||). Around 1e-3 is healthy; "
                           "above 1e-2 the learning rate is too high, below 1e-4 too low.");
    }
    for (const LayerWarning& w : m_warnings) {
        health[QString::fromStdString(w.layer)].problems
            << tr("%1: %2. Usually: %3.")
                   .arg(QString::fromUtf8(problemName(w.problem)), QString::fromStdString(w.reason),
                        QString::fromStdString(w.advice));
    }
    return health;
}

}  // namespace loom
