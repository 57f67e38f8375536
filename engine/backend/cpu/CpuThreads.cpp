// One thread count for both thread pools the CPU backend uses, so they never oversubscribe
// the cores against each other.

#include <loom/Backend.h>

#include <cblas.h>
#include <omp.h>

#include <thread>

namespace loom {

void setCpuThreads(int threads) {
    const int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int cpuThreads() {
    return omp_get_max_threads();
}

}  // namespace loom
