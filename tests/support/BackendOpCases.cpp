// The op list, the comparisons, the two harnesses (against the reference, against the CPU
// backend) and the helpers the case files share. The cases themselves are in
// BackendOpCases<Family>.cpp.

#include "BackendOpCaseBuilders.h"

#include <loom/Error.h>
#include <loom/Initializer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>
#include <type_traits>

namespace loom::test {

// Every name in LOOM_BACKEND_OPS is a member function of Backend: a renamed or removed op stops
// this file compiling instead of leaving a stale entry.
#define LOOM_BACKEND_OP_IS_MEMBER(op)                                        \
    static_assert(std::is_member_function_pointer_v<decltype(&Backend::op)>, \
                  "LOOM_BACKEND_OPS lists " #op ", which is no member function of loom::Backend");
LOOM_BACKEND_OPS(LOOM_BACKEND_OP_IS_MEMBER)
#undef LOOM_BACKEND_OP_IS_MEMBER

const char* opName(BackendOp op) {
    switch (op) {
#define LOOM_BACKEND_OP_NAME(name) \
    case BackendOp::name:          \
        return #name;
        LOOM_BACKEND_OPS(LOOM_BACKEND_OP_NAME)
#undef LOOM_BACKEND_OP_NAME
    }
    return "?";
}

const std::vector<BackendOp>& backendOps() {
    static const std::vector<BackendOp> ops = {
#define LOOM_BACKEND_OP_VALUE(name) BackendOp::name,
        LOOM_BACKEND_OPS(LOOM_BACKEND_OP_VALUE)
#undef LOOM_BACKEND_OP_VALUE
    };
    return ops;
}

// ---- comparisons --------------------------------------------------------------------------

bool CaseResult::passed() const {
    if (!failure.empty() || comparisons.empty()) {
        return false;
    }
    return std::all_of(comparisons.begin(), comparisons.end(),
                       [](const Comparison& c) { return c.passed(); });
}

std::string CaseResult::summary() const {
    std::string text = failure;
    if (failure.empty() && comparisons.empty()) {
        text = "no comparison was made: the case tested nothing";
    }
    auto append = [&text](const std::string& part) { text += (text.empty() ? "" : "; ") + part; };
    int held = 0;
    for (int pass = 0; pass < 2; ++pass) {
        for (const Comparison& c : comparisons) {
            if (c.passed() == (pass == 0)) {
                continue;  // failures first
            }
            if (c.expectation) {
                // A broken expectation is the failure text already; one that held says nothing.
                held += c.passed() ? 1 : 0;
                continue;
            }
            char line[512];
            std::snprintf(line, sizeof line, "%s %.2e %s %.0e", c.what.c_str(), c.error,
                          c.passed() ? "<=" : "> TOLERANCE", c.tolerance);
            append(line);
        }
    }
    if (held > 0) {
        append(std::to_string(held) + (held == 1 ? " expectation held" : " expectations held"));
    }
    return text;
}

double normalisedError(const Tensor& got, const Tensor& want) {
    if (got.numel() != want.numel()) {
        return std::numeric_limits<double>::infinity();
    }
    const Tensor a = got.to(DType::F64), b = want.to(DType::F64);
    const double* pa = a.data<double>();
    const double* pb = b.data<double>();
    double maxDiff = 0.0, maxRef = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        const bool nanA = std::isnan(pa[i]), nanB = std::isnan(pb[i]);
        if (nanA || nanB) {
            if (nanA != nanB) {
                return std::numeric_limits<double>::infinity();
            }
            continue;
        }
        if (std::isinf(pa[i]) || std::isinf(pb[i])) {
            if (pa[i] != pb[i]) {
                return std::numeric_limits<double>::infinity();
            }
            continue;
        }
        maxDiff = std::max(maxDiff, std::abs(pa[i] - pb[i]));
        maxRef = std::max(maxRef, std::abs(pb[i]));
    }
    return maxDiff / std::max(1.0, maxRef);
}

void compare(CaseResult& result, const std::string& what, const Tensor& got, const Tensor& want,
             double tolerance) {
    result.comparisons.push_back({what, normalisedError(got, want), tolerance});
}

void expect(CaseResult& result, bool ok, const std::string& message) {
    result.comparisons.push_back(
        {message, ok ? 0.0 : std::numeric_limits<double>::infinity(), 0.0, true});
    if (!ok && result.failure.empty()) {
        result.failure = message;
    }
}

namespace {

// Output by output, names and count matching.
void compareOutputs(CaseResult& result, const Outputs& got, const Outputs& want, double tolerance) {
    if (got.size() != want.size()) {
        expect(result, false,
               std::to_string(got.size()) + " outputs where " + std::to_string(want.size()) +
                   " were expected");
        return;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        if (got[i].name != want[i].name) {
            expect(result, false,
                   "output " + std::to_string(i) + " is '" + got[i].name + "', expected '" +
                       want[i].name + "'");
            continue;
        }
        compare(result, got[i].name, got[i].value, want[i].value, tolerance);
    }
}

}  // namespace

// ---- the table and its harnesses ----------------------------------------------------------

const std::vector<OpCase>& opCases() {
    static const std::vector<OpCase> table = [] {
        std::vector<OpCase> t;
        cases::addMemoryAndLinearCases(t);
        cases::addConvolutionCases(t);
        cases::addPoolingCases(t);
        cases::addActivationCases(t);
        cases::addNormalisationCases(t);
        cases::addElementwiseCases(t);
        cases::addLossCases(t);
        cases::addOptimizerCases(t);
        return t;
    }();
    return table;
}

std::vector<const OpCase*> opCasesOf(BackendOp op) {
    std::vector<const OpCase*> found;
    for (const OpCase& c : opCases()) {
        if (c.op == op) {
            found.push_back(&c);
        }
    }
    return found;
}

const OpCase& opCase(const std::string& name) {
    static const std::map<std::string, const OpCase*> byName = [] {
        std::map<std::string, const OpCase*> m;
        for (const OpCase& c : opCases()) {
            m.emplace(c.name, &c);
        }
        return m;
    }();
    return *byName.at(name);
}

CaseResult checkAgainstReference(const OpCase& c, Backend& backend) {
    CaseResult result;
    try {
        const Outputs got = c.run(backend);
        compareOutputs(result, got, c.reference(), c.tolerance);
    } catch (const std::exception& e) {
        result.failure = std::string("threw: ") + e.what();
    }
    return result;
}

void checkParity(const OpCase& c, Backend& other, CaseResult& result) {
    const Outputs want = c.run(cpuBackend());
    const Outputs got = c.run(other);
    compareOutputs(result, got, want, c.parityTolerance);
}

// ---- what the case files share ------------------------------------------------------------

namespace cases {

Tensor seeded(const Shape& shape, DType dtype, uint64_t seed, double low, double high) {
    Tensor t = Tensor::empty(shape, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, low + (high - low) * counterUniform(seed, uint64_t(i)));
    }
    return t;
}

uint64_t seedOf(const std::string& text) {
    return stableHash(text);
}

Tensor onDevice(Backend& backend, const Tensor& host) {
    Tensor t = backend.allocate(host.shape(), host.dtype());
    backend.copy(host, t);
    return t;
}

Tensor unwritten(Backend& backend, const Shape& shape, DType dtype) {
    Tensor t = backend.allocate(shape, dtype);
    backend.fill(t, std::numeric_limits<double>::quiet_NaN());
    return t;
}

Tensor f64(const Tensor& t) {
    return t.to(DType::F64);
}

Tensor rounded(const Tensor& t, DType dtype) {
    return t.to(dtype);
}

const char* dtypeLabel(DType dtype) {
    return dtype == DType::F32 ? "float32" : "float64";
}

void addCase(std::vector<OpCase>& table, BackendOp op, const std::string& what, DType dtype,
             Tolerance tolerance, std::function<Outputs(Backend&)> run,
             std::function<Outputs()> reference) {
    auto forDtype = [dtype](double f32) {
        return dtype == DType::F32 || f32 == kExact ? f32 : kFloat64;
    };
    table.push_back({op, std::string(opName(op)) + " " + dtypeLabel(dtype) + " " + what, dtype,
                     forDtype(tolerance.reference), forDtype(tolerance.parity), std::move(run),
                     std::move(reference)});
}

}  // namespace cases

}  // namespace loom::test
