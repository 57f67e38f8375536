#include "SeriesMath.h"

#include <algorithm>
#include <cmath>

namespace loom {

double EmaSmoother::add(double value) {
    if (std::isnan(value)) {
        return value;
    }
    m_biased = m_weight * m_biased + (1 - m_weight) * value;
    m_decay *= m_weight;
    return m_decay < 1 ? m_biased / (1 - m_decay) : value;
}

std::vector<double> smoothEma(const std::vector<double>& values, double weight) {
    EmaSmoother smoother(weight);
    std::vector<double> smoothed;
    smoothed.reserve(values.size());
    for (double v : values) {
        smoothed.push_back(smoother.add(v));
    }
    return smoothed;
}

namespace {

void append(DecimatedSeries& out, const std::vector<double>& x, const std::vector<double>& y,
            size_t i) {
    out.x.push_back(x[i]);
    out.y.push_back(y[i]);
}

// Appends the lowest and highest point of [begin, end) in the order they occur; NaN values
// (gaps) are never chosen.
void appendExtremes(DecimatedSeries& out, const std::vector<double>& x,
                    const std::vector<double>& y, size_t begin, size_t end) {
    size_t low = end, high = end;
    for (size_t i = begin; i < end; ++i) {
        if (std::isnan(y[i])) {
            continue;
        }
        if (low == end || y[i] < y[low]) {
            low = i;
        }
        if (high == end || y[i] > y[high]) {
            high = i;
        }
    }
    if (low == end) {
        return;
    }
    append(out, x, y, std::min(low, high));
    if (low != high) {
        append(out, x, y, std::max(low, high));
    }
}

}  // namespace

DecimatedSeries decimateMinMax(const std::vector<double>& x, const std::vector<double>& y,
                               double xFrom, double xTo, int buckets) {
    const size_t first = std::lower_bound(x.begin(), x.end(), xFrom) - x.begin();
    const size_t last = std::upper_bound(x.begin(), x.end(), xTo) - x.begin();
    DecimatedSeries out;
    if (first >= last) {
        return out;
    }
    if (buckets < 1 || last - first <= 2 * static_cast<size_t>(buckets)) {
        for (size_t i = first; i < last; ++i) {
            append(out, x, y, i);
        }
        return out;
    }
    out.x.reserve(2 * buckets + 2);
    out.y.reserve(2 * buckets + 2);
    append(out, x, y, first);
    const double width = (xTo - xFrom) / buckets;
    size_t begin = first + 1;
    for (int b = 1; b <= buckets && begin < last - 1; ++b) {
        const double edge = b == buckets ? xTo : xFrom + width * b;
        size_t end = std::upper_bound(x.begin() + begin, x.begin() + (last - 1), edge) - x.begin();
        appendExtremes(out, x, y, begin, end);
        begin = end;
    }
    append(out, x, y, last - 1);
    return out;
}

}  // namespace loom
