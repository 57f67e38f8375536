#pragma once
/// Lbfgs: limited-memory BFGS (Nocedal and Wright, algorithm 7.4 with the two-loop recursion),
/// what the style-transfer tutorials use through scipy's fmin_l_bfgs_b. The last `history`
/// curvature pairs (s, y) approximate the inverse Hessian, scaled by s'y / y'y; each iteration
/// searches along that direction with a strong-Wolfe line search (bracketing, then zoom with
/// cubic interpolation) or with Armijo backtracking (halving the step).

#include <loom/PixelOptimizer.h>

#include <deque>

namespace loom {

enum class LineSearch { StrongWolfe, Backtracking };

struct LbfgsOptions {
    int history = 10;
    LineSearch lineSearch = LineSearch::StrongWolfe;
    int maxLineSearchEvaluations = 25;
    double c1 = 1e-4;  ///< sufficient decrease (Armijo)
    double c2 = 0.9;   ///< curvature (strong Wolfe)
    /// Converged when the largest gradient component or the change of f falls below this.
    double tolerance = 1e-12;
};

class Lbfgs final : public PixelOptimizer {
public:
    explicit Lbfgs(LbfgsOptions options = {});

    double step(const Objective& objective, std::vector<double>& x) override;
    bool converged() const override { return m_converged; }
    int64_t evaluations() const override { return m_evaluations; }

    /// One evaluation along the search direction: x + t d, with f, its gradient and f'(t).
    struct Probe {
        double t = 0, f = 0, slope = 0;
        std::vector<double> gradient;
    };

private:
    std::vector<double> direction() const;
    Probe probe(const Objective& objective, const std::vector<double>& x,
                const std::vector<double>& d, double t);
    Probe strongWolfe(const Objective& objective, const std::vector<double>& x,
                      const std::vector<double>& d, const Probe& start, double t);
    Probe zoom(const Objective& objective, const std::vector<double>& x,
               const std::vector<double>& d, const Probe& start, Probe low, Probe high);
    Probe backtracking(const Objective& objective, const std::vector<double>& x,
                       const std::vector<double>& d, const Probe& start, double t);
    void remember(std::vector<double> s, std::vector<double> y);

    struct Pair {
        std::vector<double> s, y;
        double rho;
    };

    LbfgsOptions m_options;
    std::deque<Pair> m_pairs;
    std::vector<double> m_gradient;
    double m_loss = 0;
    bool m_started = false;
    bool m_converged = false;
    int64_t m_evaluations = 0;
    int m_lineSearchEvaluations = 0;
};

}  // namespace loom
