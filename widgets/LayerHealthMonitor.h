#pragma once

#include <loom/LayerHealth.h>

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QVector>

namespace loom {

/// What the canvas shows of one layer while a network trains: a sparkline of one measure over
/// the last samples, and the problems the health rules (<loom/LayerHealth.h>) find now.
struct NodeTrainingHealth {
    QString measure;          ///< "gradient norm" or "update ratio"
    QVector<double> history;  ///< the measure at each sample, oldest first (NaN: none)
    QStringList problems;     ///< one line each: what is wrong, then what people change
    QString explanation;      ///< what the measure means, for the tooltip
};

/// Keeps the statistics samples of the run in progress (the latest kSparklineLength of each
/// layer) and turns them into what each node shows. The view chooses the measure.
class LayerHealthMonitor : public QObject {
    Q_OBJECT

public:
    enum class Measure { GradientNorm, UpdateRatio };
    static constexpr int kSparklineLength = 60;

    explicit LayerHealthMonitor(QObject* parent = nullptr);

    Measure measure() const { return m_measure; }
    void setMeasure(Measure measure);
    /// Per layer name; layers the samples do not cover are absent.
    QHash<QString, NodeTrainingHealth> health() const;
    const std::vector<LayerWarning>& warnings() const { return m_warnings; }

public slots:
    void addSample(const loom::StatisticsSample& sample);
    void clear();

signals:
    void changed();

private:
    Measure m_measure = Measure::GradientNorm;
    QHash<QString, QVector<double>> m_gradientNorms, m_updateRatios;
    std::vector<LayerWarning> m_warnings;
};

}  // namespace loom
