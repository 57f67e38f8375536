// The op case table (tests/support/BackendOpCases.h) covers the Backend interface as written:
// every public op that engine/include/loom/Backend.h declares is in LOOM_BACKEND_OPS and has
// cases in float32 and float64, and nothing else is. An op added to Backend.h without cases
// fails here. The harness itself is checked too: a case that compares nothing fails, and every
// case, run twice on the CPU backend through the parity harness (as the CUDA parity suite runs
// it against the GPU), compares something and agrees with itself.

#include "BackendOpCases.h"

#include <QtTest>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace loom;
using namespace loom::test;

namespace {

// Public members of Backend that describe a backend rather than run an op.
const std::set<std::string> kNotOps = {"device", "name"};

std::string readBackendHeader() {
    const QString root = qEnvironmentVariable("LOOM_SOURCE_DIR");
    if (root.isEmpty()) {
        return {};
    }
    std::ifstream in((root + "/engine/include/loom/Backend.h").toStdString());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The names of the public member functions of class Backend, read from its header: the text
// from "class Backend {" to its first "protected:" or "private:", comments removed, cut into
// declarations at every ';', each declaration named by the first identifier before a '('.
std::set<std::string> declaredPublicFunctions(const std::string& header, std::string* why) {
    const size_t start = header.find("class Backend {");
    if (start == std::string::npos) {
        *why = "Backend.h declares no 'class Backend {'";
        return {};
    }
    const size_t end = std::min(header.find("protected:", start), header.find("private:", start));
    if (end == std::string::npos) {
        *why = "class Backend has no protected section (its ops' Impls live there)";
        return {};
    }
    std::string body = header.substr(start, end - start);
    body = std::regex_replace(body, std::regex("//[^\n]*"), "");
    std::set<std::string> names;
    const std::regex function("(~?[A-Za-z_]\\w*)\\s*\\(");
    std::stringstream declarations(body);
    std::string declaration;
    while (std::getline(declarations, declaration, ';')) {
        std::smatch match;
        if (std::regex_search(declaration, match, function)) {
            const std::string name = match[1];
            if (name != "Backend" && name != "~Backend" && name != "operator") {
                names.insert(name);
            }
        }
    }
    return names;
}

}  // namespace

class TestBackendOpCoverage : public QObject {
    Q_OBJECT

private slots:
    void everyDeclaredOpIsListed();
    void anOpAddedWithoutCasesIsFound();
    void everyOpHasCases_data();
    void everyOpHasCases();
    void caseNamesAreUnique();
    void aCaseThatComparesNothingFails();
    void everyCaseComparesAndRepeatsOnTheCpu_data();
    void everyCaseComparesAndRepeatsOnTheCpu();
};

void TestBackendOpCoverage::everyDeclaredOpIsListed() {
    const std::string header = readBackendHeader();
    QVERIFY2(!header.empty(),
             "cannot read engine/include/loom/Backend.h under LOOM_SOURCE_DIR (ctest sets it)");
    std::string why;
    const std::set<std::string> declared = declaredPublicFunctions(header, &why);
    QVERIFY2(why.empty(), why.c_str());
    // The parse found the ops at all: a sanity check on the parser, not on the table.
    QVERIFY2(declared.count("gemm") == 1 && declared.count("adamUpdate") == 1,
             "the parse of Backend.h found neither gemm nor adamUpdate");
    std::set<std::string> listed;
    for (BackendOp op : backendOps()) {
        listed.insert(opName(op));
    }
    for (const std::string& name : declared) {
        if (kNotOps.count(name) == 0) {
            QVERIFY2(listed.count(name) == 1,
                     qPrintable(QString("Backend::%1 is a public op of Backend.h without an entry "
                                        "in LOOM_BACKEND_OPS (tests/support/BackendOpCases.h), "
                                        "so it has no cases in the op case table")
                                    .arg(QString::fromStdString(name))));
        }
    }
    for (const std::string& name : listed) {
        QVERIFY2(declared.count(name) == 1 && kNotOps.count(name) == 0,
                 qPrintable(QString("LOOM_BACKEND_OPS lists %1, which Backend.h does not declare "
                                    "as a public op")
                                .arg(QString::fromStdString(name))));
    }
}

// What everyDeclaredOpIsListed sees when someone declares a new op in Backend.h and forgets the
// table: the op is found, and it is not listed.
void TestBackendOpCoverage::anOpAddedWithoutCasesIsFound() {
    std::string header = readBackendHeader();
    QVERIFY(!header.empty());
    const size_t at = header.find("\nprotected:");
    QVERIFY(at != std::string::npos);
    header.insert(at,
                  "\n    /// A new op.\n    void frobnicate(const Tensor& x,\n"
                  "                    Tensor& y);\n    virtual int64_t quux() const;\n");
    std::string why;
    const std::set<std::string> declared = declaredPublicFunctions(header, &why);
    QVERIFY2(why.empty(), why.c_str());
    QVERIFY(declared.count("frobnicate") == 1 && declared.count("quux") == 1);
    for (BackendOp op : backendOps()) {
        QVERIFY(std::string(opName(op)) != "frobnicate");
    }
    // Declared after protected:, an Impl is no public op.
    QVERIFY(declared.count("gemmImpl") == 0);
}

void TestBackendOpCoverage::everyOpHasCases_data() {
    QTest::addColumn<int>("op");
    for (BackendOp op : backendOps()) {
        QTest::newRow(opName(op)) << int(op);
    }
}

// Every op has cases in both dtypes, so that the CPU's reference suites and the CUDA parity
// suite check it in float32 and float64.
void TestBackendOpCoverage::everyOpHasCases() {
    QFETCH(int, op);
    int f32 = 0, f64 = 0;
    for (const OpCase* c : opCasesOf(BackendOp(op))) {
        (c->dtype == DType::F32 ? f32 : f64)++;
        QVERIFY2(c->run && c->reference, c->name.c_str());
    }
    QVERIFY2(f32 > 0, "no float32 case in the op case table");
    QVERIFY2(f64 > 0, "no float64 case in the op case table");
}

void TestBackendOpCoverage::caseNamesAreUnique() {
    std::set<std::string> names;
    for (const OpCase& c : opCases()) {
        QVERIFY2(names.insert(c.name).second, ("two cases are named " + c.name).c_str());
    }
}

void TestBackendOpCoverage::aCaseThatComparesNothingFails() {
    QVERIFY(!CaseResult{}.passed());
    QVERIFY(QString::fromStdString(CaseResult{}.summary()).contains("no comparison"));
    const OpCase silent{BackendOp::add,
                        "add float32 that compares nothing",
                        DType::F32,
                        0.0,
                        0.0,
                        [](Backend&) { return Outputs{}; },
                        [] { return Outputs{}; }};
    QVERIFY(!checkAgainstReference(silent, cpuBackend()).passed());
    CaseResult parity;
    checkParity(silent, cpuBackend(), parity);
    QVERIFY(!parity.passed());
    // An output missing from one side fails rather than being skipped.
    const OpCase lopsided{BackendOp::add,
                          "add float32 with an output too few",
                          DType::F32,
                          0.0,
                          0.0,
                          [](Backend&) { return Outputs{}; },
                          [] {
                              return Outputs{{"y", Tensor::zeros({2})}};
                          }};
    QVERIFY(!checkAgainstReference(lopsided, cpuBackend()).passed());
    // One comparison that holds passes.
    CaseResult one;
    compare(one, "y", Tensor::zeros({2}), Tensor::zeros({2}), 0.0);
    QVERIFY(one.passed());
    // NaN matches NaN only.
    const Tensor nan = Tensor::full({1}, NAN), zero = Tensor::zeros({1});
    QCOMPARE(normalisedError(nan, nan), 0.0);
    QVERIFY(std::isinf(normalisedError(nan, zero)));
    QVERIFY(std::isinf(normalisedError(zero, nan)));
}

void TestBackendOpCoverage::everyCaseComparesAndRepeatsOnTheCpu_data() {
    QTest::addColumn<QString>("name");
    for (const OpCase& c : opCases()) {
        QTest::newRow(c.name.c_str()) << QString::fromStdString(c.name);
    }
}

// The parity harness with the CPU backend on both sides: what the CUDA parity suite does with
// a GPU, here where there may be none. Every case makes at least one comparison and the CPU
// backend agrees with itself within the case's parity tolerance (it is deterministic).
void TestBackendOpCoverage::everyCaseComparesAndRepeatsOnTheCpu() {
    QFETCH(QString, name);
    CaseResult result;
    try {
        checkParity(opCase(name.toStdString()), cpuBackend(), result);
    } catch (const std::exception& e) {
        QFAIL(e.what());
    }
    QVERIFY2(!result.comparisons.empty(), "the case compared nothing");
    QVERIFY2(result.passed(), result.summary().c_str());
}

QTEST_APPLESS_MAIN(TestBackendOpCoverage)
#include "TestBackendOpCoverage.moc"
