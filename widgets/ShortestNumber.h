#pragma once

#include <QString>

namespace loom {

/// The shortest text that reads back as the same float32 as `value`: the engine keeps its
/// settings as float32, so 0.9 typed, and 0.9f widened to double (0.89999998), both show as
/// "0.9". The layout is printf's %g with those digits: "0.001", "3e-05", "123.456", "1e+06".
/// A value beyond float32's range is written with double's shortest digits instead.
QString shortestNumber(double value);

/// The number shortestNumber(value) writes, read back as a double: what a setting stores, so
/// that what is stored and what is shown are one and the same number.
double shortestValue(double value);

}  // namespace loom
