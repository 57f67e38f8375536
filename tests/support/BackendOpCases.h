#pragma once
/// The one table of Backend op cases, in the manner of ggml's test-backend-ops: for every public
/// op of loom::Backend, cases (shapes, parameters, seeded inputs) that run the op on any backend,
/// a direct float64 reference of the same outputs on the host, and two tolerances. Two harnesses
/// read it: the CPU backend's suites (tests/engine/TestCpuBackend*.cpp) compare the CPU backend
/// with the reference, and the CUDA parity cases (tests/cuda) compare the CUDA backend with the
/// CPU backend. Free of Qt: loom-cuda-parity runs on GPU machines that have none.
///
/// Error metric, for every comparison here: the normalised maximum error
///     err(got, want) = max_i |got_i - want_i| / max(1, max_i |want_i|)
/// absolute for values up to 1 and relative to the largest value beyond, so that one tolerance
/// per case fits outputs of any scale. NaN matches NaN and an infinity the same infinity; a NaN
/// or an infinity on one side only is an infinite error. A maximum rather than ggml's NMSE (a
/// mean of squares): one wrong element in a large output (a missed border cell, a wrong index)
/// must fail, and a mean over 10^5 elements would hide it.
///
/// Adding a Backend op: list it in LOOM_BACKEND_OPS and give it cases (one of the
/// BackendOpCases*.cpp files); TestBackendOpCoverage fails until both are done.

#include <loom/Backend.h>

#include <functional>
#include <string>
#include <vector>

namespace loom::test {

/// Every public op of loom::Backend, each once, in the order Backend.h declares them (device()
/// and name() describe a backend and are no ops). TestBackendOpCoverage reads Backend.h and
/// fails when an op declared there is missing here or has no case in the table; a name here
/// that is no member of Backend does not compile (BackendOpCases.cpp).
#define LOOM_BACKEND_OPS(X)      \
    X(allocate)                  \
    X(copy)                      \
    X(fill)                      \
    X(synchronize)               \
    X(gemm)                      \
    X(conv2dForward)             \
    X(conv2dBackwardData)        \
    X(conv2dBackwardFilter)      \
    X(addBias)                   \
    X(biasBackward)              \
    X(pool2dForward)             \
    X(pool2dBackward)            \
    X(globalAveragePoolForward)  \
    X(globalAveragePoolBackward) \
    X(pad2dForward)              \
    X(pad2dBackward)             \
    X(activationForward)         \
    X(activationBackward)        \
    X(batchNormForwardTraining)  \
    X(batchNormForwardInference) \
    X(batchNormBackward)         \
    X(dropoutForward)            \
    X(axpby)                     \
    X(add)                       \
    X(multiply)                  \
    X(sum)                       \
    X(sumSquares)                \
    X(countNonFinite)            \
    X(concat)                    \
    X(split)                     \
    X(softmaxCrossEntropy)       \
    X(sparseSoftmaxCrossEntropy) \
    X(crossEntropy)              \
    X(sigmoidBinaryCrossEntropy) \
    X(binaryCrossEntropy)        \
    X(meanSquaredError)          \
    X(sgdUpdate)                 \
    X(rmspropUpdate)             \
    X(adagradUpdate)             \
    X(adamUpdate)

/// One enumerator per op, named exactly as the Backend member function.
enum class BackendOp {
#define LOOM_BACKEND_OP_ENUMERATOR(op) op,
    LOOM_BACKEND_OPS(LOOM_BACKEND_OP_ENUMERATOR)
#undef LOOM_BACKEND_OP_ENUMERATOR
};

/// "gemm" for BackendOp::gemm.
const char* opName(BackendOp op);
/// Every op of LOOM_BACKEND_OPS, in its order.
const std::vector<BackendOp>& backendOps();

// ---- comparisons --------------------------------------------------------------------------

/// One comparison, or one expectation (error 0 when it held, infinite when not).
struct Comparison {
    std::string what;
    double error = 0;
    double tolerance = 0;
    bool expectation = false;
    bool passed() const { return error <= tolerance; }
};

/// What checking one case recorded. It passes only when nothing failed and at least one
/// comparison was made: a case that compared nothing has tested nothing.
struct CaseResult {
    std::vector<Comparison> comparisons;
    std::string failure;  ///< an exception or a broken expectation, empty when none

    bool passed() const;
    /// "y 3.1e-07 <= 1e-05; dx 2.0e-07 <= 1e-05; 2 expectations held", failures first.
    std::string summary() const;
};

/// The normalised maximum error of got against want (see the header comment); infinite when
/// their sizes differ. Either may live on a device.
double normalisedError(const Tensor& got, const Tensor& want);
/// Records normalisedError(got, want) against tolerance.
void compare(CaseResult& result, const std::string& what, const Tensor& got, const Tensor& want,
             double tolerance);
/// Records an expectation, failing the case with `message` unless ok.
void expect(CaseResult& result, bool ok, const std::string& message);

// ---- the table ----------------------------------------------------------------------------

/// One named output of a run of a case (a tensor on the backend's device, or on the host).
struct Output {
    std::string name;
    Tensor value;
};
using Outputs = std::vector<Output>;

struct OpCase {
    BackendOp op;      ///< the op the case covers (it may call others to make its inputs)
    std::string name;  ///< unique: the op, the dtype and what the case exercises
    DType dtype = DType::F32;
    double tolerance = 0;        ///< the backend against the float64 reference
    double parityTolerance = 0;  ///< another backend against the CPU backend (TF32 off)
    /// Makes the case's seeded inputs on the host, copies them to the backend, runs the op and
    /// returns its outputs. Output tensors start as NaN, so that a cell the op leaves unwritten
    /// shows.
    std::function<Outputs(Backend& backend)> run;
    /// The same outputs, computed directly in float64 from the same inputs.
    std::function<Outputs()> reference;
};

/// The table: every case of every op, built once.
const std::vector<OpCase>& opCases();
/// The cases of one op.
std::vector<const OpCase*> opCasesOf(BackendOp op);
/// The case of that name; throws std::out_of_range when there is none.
const OpCase& opCase(const std::string& name);

/// Runs the case on `backend` and compares every output with the reference.
CaseResult checkAgainstReference(const OpCase& c, Backend& backend);
/// Runs the case on `other` and on the CPU backend and compares every output, into result.
void checkParity(const OpCase& c, Backend& other, CaseResult& result);

// ---- the parameters the cases are made of -------------------------------------------------
// Suites that check more than the table does (central-difference gradients, adjoint identities)
// take their shapes from here, so that every op family has one list of geometries.

/// A convolution geometry with the shapes that exercise it.
struct ConvSpec {
    std::string name;
    Shape x, w;
    Conv2DGeometry g;
    bool large = false;  ///< too large for central differences
};
const std::vector<ConvSpec>& convSpecs();

/// A pooling window with the input shape that exercises it.
struct PoolSpec {
    std::string name;
    Shape x;
    Pool2DGeometry g;
    bool large = false;  ///< too large for central differences
};
const std::vector<PoolSpec>& poolSpecs();
const char* poolModeName(PoolMode mode);
/// Max, AverageExcludePadding, AverageIncludePadding.
const std::vector<PoolMode>& poolModes();

/// An activation with its alpha (leaky_relu's slope, elu's scale, the ClippedRelu ceiling).
struct ActivationSpec {
    std::string name;
    ActivationKind kind;
    double alpha;
};
/// The element-wise activations (softmax, along axis 1, is separate in the table).
const std::vector<ActivationSpec>& activationSpecs();

/// The input shapes of the batch-normalisation cases ([N,C] and [N,C,H,W]).
const std::vector<Shape>& batchNormShapes();

}  // namespace loom::test
