#include <loom/Error.h>
#include <loom/Initializer.h>

#include <cmath>
#include <functional>
#include <numbers>

namespace loom {

namespace {

uint64_t splitMix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

Rng::Rng(uint64_t seed) {
    for (uint64_t& s : m_state) {
        s = splitMix64(seed);
    }
}

uint64_t Rng::next() {
    const uint64_t result = rotl(m_state[1] * 5, 7) * 9;
    const uint64_t t = m_state[1] << 17;
    m_state[2] ^= m_state[0];
    m_state[3] ^= m_state[1];
    m_state[1] ^= m_state[2];
    m_state[0] ^= m_state[3];
    m_state[2] ^= t;
    m_state[3] = rotl(m_state[3], 45);
    return result;
}

double Rng::uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double low, double high) {
    return low + (high - low) * uniform();
}

double Rng::normal(double mean, double stddev) {
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    double u1 = 1.0 - uniform();
    double u2 = uniform();
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::truncatedNormal(double mean, double stddev) {
    for (;;) {
        double z = normal(0.0, 1.0);
        if (std::abs(z) <= 2.0) {
            return mean + stddev * z;
        }
    }
}

std::vector<std::string> initializerNames() {
    return {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
            "uniform",        "normal",        "zeros",      "ones"};
}

void initialize(Tensor& t, const std::string& initializer, int64_t fanIn, int64_t fanOut,
                Rng& rng) {
    const double in = static_cast<double>(std::max<int64_t>(fanIn, 1));
    const double out = static_cast<double>(std::max<int64_t>(fanOut, 1));
    // Keras' truncated normals divide the stddev by this so the variance stays as intended.
    const double truncationCorrection = 0.87962566103423978;
    std::function<double()> draw;
    if (initializer == "glorot_uniform") {
        double limit = std::sqrt(6.0 / (in + out));
        draw = [&rng, limit] { return rng.uniform(-limit, limit); };
    } else if (initializer == "glorot_normal") {
        double stddev = std::sqrt(2.0 / (in + out)) / truncationCorrection;
        draw = [&rng, stddev] { return rng.truncatedNormal(0.0, stddev); };
    } else if (initializer == "he_uniform") {
        double limit = std::sqrt(6.0 / in);
        draw = [&rng, limit] { return rng.uniform(-limit, limit); };
    } else if (initializer == "he_normal") {
        double stddev = std::sqrt(2.0 / in) / truncationCorrection;
        draw = [&rng, stddev] { return rng.truncatedNormal(0.0, stddev); };
    } else if (initializer == "uniform") {
        draw = [&rng] { return rng.uniform(-0.05, 0.05); };
    } else if (initializer == "normal") {
        draw = [&rng] { return rng.normal(0.0, 0.05); };
    } else if (initializer == "zeros") {
        draw = [] { return 0.0; };
    } else if (initializer == "ones") {
        draw = [] { return 1.0; };
    } else {
        std::string known;
        for (const std::string& name : initializerNames()) {
            known += (known.empty() ? "" : ", ") + name;
        }
        throw ConfigError("unknown initializer '" + initializer + "'; known: " + known);
    }
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, draw());
    }
}

uint64_t stableHash(const std::string& text) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

}  // namespace loom
