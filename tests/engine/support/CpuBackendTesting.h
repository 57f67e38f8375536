#pragma once
// What the CPU backend's suites (TestCpuBackend*.cpp, one per op family) share: the backend,
// dtype rows, tolerances, a close-enough check that says where two tensors differ, and the rows
// of the op case table (tests/support/BackendOpCases.h) checked against their float64
// references.

#include "BackendOpCases.h"
#include "ReferenceOps.h"

#include <loom/Backend.h>

#include <QtTest>

#include <initializer_list>
#include <string>

Q_DECLARE_METATYPE(loom::Shape)

namespace loom::test {

inline Backend& cpu() {
    return cpuBackend();
}

/// Absolute and relative tolerance for results computed in dtype from data of magnitude ~1.
inline double tolerance(DType dtype) {
    return dtype == DType::F32 ? 2e-5 : 1e-12;
}

/// Gradients by central differences in float64 agree with analytic ones to about h^2.
constexpr double kGradientTolerance = 1e-7;

inline void addDtypeColumn() {
    QTest::addColumn<int>("dtype");
}

inline void addDtypeRows() {
    addDtypeColumn();
    QTest::newRow("float32") << int(DType::F32);
    QTest::newRow("float64") << int(DType::F64);
}

inline Tensor scalar(DType dtype) {
    return Tensor::zeros({1}, dtype);
}

/// One row per case of these ops in the op case table, named as the case.
inline void addOpCaseRows(std::initializer_list<BackendOp> ops) {
    QTest::addColumn<QString>("name");
    for (BackendOp op : ops) {
        for (const OpCase* c : opCasesOf(op)) {
            QTest::newRow(c->name.c_str()) << QString::fromStdString(c->name);
        }
    }
}

/// Checks the row's case on the CPU backend against its float64 reference.
inline void verifyOpCase() {
    QFETCH(QString, name);
    const CaseResult result = checkAgainstReference(opCase(name.toStdString()), cpu());
    QVERIFY2(result.passed(), result.summary().c_str());
}

}  // namespace loom::test

#define LOOM_VERIFY_CLOSE(got, want, atol, rtol)                                \
    do {                                                                        \
        std::string why_;                                                       \
        QVERIFY2(allClose((got), (want), (atol), (rtol), &why_), why_.c_str()); \
    } while (0)

#define LOOM_FETCH_DTYPE \
    QFETCH(int, dtype);  \
    const DType dt = DType(dtype)
