#include "ShortestNumber.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace loom {

namespace {

template <typename Real>
QString shortestText(Real value) {
    // Long enough for any float or double in %g layout ("-2.2250738585072014e-308").
    std::array<char, 32> text{};
    const auto written =
        std::to_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
    return QString::fromLatin1(text.data(), written.ptr - text.data());
}

}  // namespace

QString shortestNumber(double value) {
    if (std::isfinite(value) && std::abs(value) > std::numeric_limits<float>::max()) {
        return shortestText(value);
    }
    return shortestText(static_cast<float>(value));
}

double shortestValue(double value) {
    return std::isfinite(value) ? shortestNumber(value).toDouble() : value;
}

}  // namespace loom
