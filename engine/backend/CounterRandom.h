#pragma once
// The counter-based generator behind dropout masks: a SplitMix64 finaliser of (seed, counter),
// so element i of a mask is the same on every device and for every thread split. Inline,
// because dropout calls it once per element (an out-of-line call made dropout 1.5x slower).
// Compiled by nvcc too: the CUDA backend's dropout kernel calls the very same function, which
// is what makes its masks equal the CPU's bit for bit.

#include <cstdint>

#if defined(__CUDACC__)
#define LOOM_HOST_DEVICE __host__ __device__
#else
#define LOOM_HOST_DEVICE
#endif

namespace loom {

/// 53 uniformly distributed random bits for (seed, counter).
LOOM_HOST_DEVICE inline int64_t counterRandomBits(uint64_t seed, uint64_t counter) {
    uint64_t z =
        seed * 0x9e3779b97f4a7c15ULL + counter * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<int64_t>(z >> 11);
}

}  // namespace loom
