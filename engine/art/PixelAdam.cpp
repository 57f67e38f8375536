#include <loom/Error.h>
#include <loom/PixelAdam.h>

#include <cmath>

namespace loom {

PixelAdam::PixelAdam(AdamOptions options) : m_options(options) {
    if (!(m_options.learningRate > 0) || !(m_options.beta1 >= 0 && m_options.beta1 < 1) ||
        !(m_options.beta2 >= 0 && m_options.beta2 < 1) || !(m_options.epsilon > 0)) {
        throw ConfigError(
            "Adam needs a learning rate > 0, 0 <= beta1, beta2 < 1 and an epsilon > 0");
    }
}

double PixelAdam::step(const Objective& objective, std::vector<double>& x) {
    const double loss = objective(x, m_gradient);
    m_m.resize(x.size(), 0.0);
    m_v.resize(x.size(), 0.0);
    ++m_steps;
    const auto t = static_cast<double>(m_steps);
    const double b1 = m_options.beta1, b2 = m_options.beta2;
    const double rate =
        m_options.learningRate * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (size_t i = 0; i < x.size(); ++i) {
        const double g = m_gradient[i];
        m_m[i] = b1 * m_m[i] + (1 - b1) * g;
        m_v[i] = b2 * m_v[i] + (1 - b2) * g * g;
        x[i] -= rate * m_m[i] / (std::sqrt(m_v[i]) + m_options.epsilon);
    }
    return loss;
}

}  // namespace loom
