#pragma once
// Overloads of the math functions for float and double in device code, so that templated
// kernels call expf for float and exp for double (the float versions are several times faster
// and what the CPU backend's float code computes with too).

#include <cuda_runtime.h>

namespace loom::cuda {

__device__ inline float dexp(float x) {
    return expf(x);
}
__device__ inline double dexp(double x) {
    return exp(x);
}
__device__ inline float dexpm1(float x) {
    return expm1f(x);
}
__device__ inline double dexpm1(double x) {
    return expm1(x);
}
__device__ inline float dtanh(float x) {
    return tanhf(x);
}
__device__ inline double dtanh(double x) {
    return tanh(x);
}
__device__ inline float dsqrt(float x) {
    return sqrtf(x);
}
__device__ inline double dsqrt(double x) {
    return sqrt(x);
}
__device__ inline float dabs(float x) {
    return fabsf(x);
}
__device__ inline double dabs(double x) {
    return fabs(x);
}

}  // namespace loom::cuda
