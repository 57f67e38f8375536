#pragma once
/// PixelOptimizer: minimises a function of a long vector (a picture's pixels) given its value
/// and gradient, one step at a time so that a caller can show the picture and stop between
/// steps. Implemented by Lbfgs and PixelAdam. The vectors are float64 on the host: L-BFGS'
/// curvature pairs need the precision, and a picture's few million numbers are cheap there.

#include <cstdint>
#include <functional>
#include <vector>

namespace loom {

/// Returns f(x) and writes its gradient (resized to x's size).
using Objective =
    std::function<double(const std::vector<double>& x, std::vector<double>& gradient)>;

class PixelOptimizer {
public:
    virtual ~PixelOptimizer() = default;
    /// One iteration; x moves in place. Returns f at the new x (L-BFGS) or at the x whose
    /// gradient made the step (Adam).
    virtual double step(const Objective& objective, std::vector<double>& x) = 0;
    /// True when the last step could not move x any more (a zero gradient, no descent).
    virtual bool converged() const = 0;
    /// How many times the objective was evaluated so far.
    virtual int64_t evaluations() const = 0;
};

}  // namespace loom
