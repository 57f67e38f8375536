#pragma once
/// The arithmetic behind the training charts: exponential smoothing of noisy per-batch values
/// and min/max decimation, which shrinks a long series to what a plot can show in its width
/// without hiding a single spike.

#include <QVector>

#include <cstdint>
#include <vector>

namespace loom {

/// An exponential moving average corrected for its start (as TensorBoard smooths): the first
/// values are not pulled towards zero. weight 0 leaves values as they are; 0.99 smooths hard.
/// NaN values (accuracy of a regression) pass through without disturbing the average.
class EmaSmoother {
public:
    explicit EmaSmoother(double weight) : m_weight(weight) {}
    double add(double value);

private:
    double m_weight;
    double m_biased = 0;
    double m_decay = 1;  ///< weight^count, for the start correction
};

/// Every value of `values` smoothed with `weight`.
std::vector<double> smoothEma(const std::vector<double>& values, double weight);

/// A series reduced for plotting.
struct DecimatedSeries {
    QVector<double> x, y;
};

/// Keeps, of the points of (x, y) with x in [xFrom, xTo], the smallest and the largest y of
/// each of `buckets` equal slices of that range, in x order; the first and last points inside
/// the range are always kept. A range holding no more than 2 * buckets points comes back whole.
/// x must be ascending.
DecimatedSeries decimateMinMax(const std::vector<double>& x, const std::vector<double>& y,
                               double xFrom, double xTo, int buckets);

}  // namespace loom
