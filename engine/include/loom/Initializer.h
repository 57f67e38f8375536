#pragma once
/// Weight initialisers with Keras' names and formulas. fanIn and fanOut follow Keras: for a
/// Dense kernel the input and output widths, for a conv kernel those times the window area.

#include <loom/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

/// Deterministic generator (SplitMix64 / xoshiro256**) with portable distributions, so that the
/// same seed gives the same weights with every compiler and standard library.
class Rng {
public:
    explicit Rng(uint64_t seed);
    uint64_t next();
    /// Uniform in [0, 1).
    double uniform();
    double uniform(double low, double high);
    double normal(double mean, double stddev);
    /// Normal, redrawn until within two standard deviations (Keras' TruncatedNormal).
    double truncatedNormal(double mean, double stddev);

private:
    uint64_t m_state[4];
};

/// "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "uniform", "normal", "zeros",
/// "ones".
std::vector<std::string> initializerNames();
/// Fills a host tensor; throws ConfigError for an unknown name.
void initialize(Tensor& t, const std::string& initializer, int64_t fanIn, int64_t fanOut, Rng& rng);

/// A stable 64-bit hash of a string (FNV-1a), to derive per-layer seeds from names.
uint64_t stableHash(const std::string& text);

}  // namespace loom
