#pragma once
// What PCA and t-SNE (Embedding.cpp) share inside the engine: features read as float64 points,
// row-major BLAS products, and PCA itself, which t-SNE uses to reduce wide features and to
// start its map.

#include <loom/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace loom::embedding {

// Points as rows, row-major.
struct Points {
    int64_t n = 0, d = 0;
    std::vector<double> v;
};

/// features [N, D] of any dtype on any device as float64 points; ShapeError unless [N, D],
/// DataError naming the row of a NaN or infinite value. `method` names the caller in messages.
Points readFeatures(const Tensor& features, const std::string& method);

// Row-major C (m x n) = op(A) op(B), op(A) m x k, on one BLAS thread (reproducible).
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const double* a,
          const double* b, double* c);

struct Pca {
    std::vector<double> mean, axes, variances, projection;  // axes k x d, projection n x k
    double total = 0;
};

// The first k principal axes of x and x projected onto them.
Pca fitPca(const Points& x, int64_t k);

/// fitPca of features after checking components against their shape (ConfigError).
Pca checkedPca(const Tensor& features, int components);

/// values [rows, columns] (row-major) as a float32 tensor.
Tensor matrixTensor(const std::vector<double>& values, int64_t rows, int64_t columns);

}  // namespace loom::embedding
