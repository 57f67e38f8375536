// GEMM through cuBLAS. Loom's matrices are row-major and cuBLAS' column-major; a row-major
// M x N matrix is the column-major N x M matrix of its transpose, so C = op(A) op(B) is
// computed as C^T = op(B)^T op(A)^T: the operands swap places and keep their own transpose
// flags, and every leading dimension is a row length. float32 uses cublasGemmEx, whose compute
// type says whether TF32 tensor cores may be used (off by default, as in PyTorch).

#include "backend/cuda/CudaBackend.h"
#include "backend/cuda/CudaSupport.h"

namespace loom {

using namespace cuda;

void CudaBackend::gemmImpl(bool transA, bool transB, double alpha, const Tensor& a, const Tensor& b,
                           double beta, Tensor& c) {
    const int64_t m = c.dim(0), n = c.dim(1), k = transA ? a.dim(0) : a.dim(1);
    if (m == 0 || n == 0) {
        return;
    }
    if (k == 0) {
        // C = beta * C; cuBLAS would be handed a zero leading dimension. beta 0 overwrites.
        if (beta == 0.0) {
            fill(c, 0.0);
        } else {
            axpby(beta, c, 0.0, c);
        }
        return;
    }
    Scope scope(*this);
    const cublasOperation_t opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int lda = int(a.dim(1)), ldb = int(b.dim(1)), ldc = int(n);
    if (c.dtype() == DType::F32) {
        const float al = static_cast<float>(alpha), be = static_cast<float>(beta);
        const cublasComputeType_t compute =
            m_gemmTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
        LOOM_CUBLAS_CHECK(cublasGemmEx(m_cublas, opB, opA, int(n), int(m), int(k), &al, b.raw(),
                                       CUDA_R_32F, ldb, a.raw(), CUDA_R_32F, lda, &be, c.raw(),
                                       CUDA_R_32F, ldc, compute, CUBLAS_GEMM_DEFAULT));
    } else {
        LOOM_CUBLAS_CHECK(cublasDgemm(m_cublas, opB, opA, int(n), int(m), int(k), &alpha,
                                      b.data<double>(), ldb, a.data<double>(), lda, &beta,
                                      c.data<double>(), ldc));
    }
}

}  // namespace loom
