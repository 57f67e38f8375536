// The CPU backend's loss kernels: the op case table's rows (each loss with and without its
// gradient) against float64 formulas, hand-computed known values, stability at extreme logits,
// central-difference gradients, and errors for bad labels and shapes.

#include "support/CpuBackendTesting.h"

#include <loom/Error.h>

#include <functional>

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace loom;
using namespace loom::test;

class TestCpuBackendLosses : public QObject {
    Q_OBJECT

private slots:
    // The op case table's rows of this family, against their float64 references.
    void opCases_data() {
        addOpCaseRows({BackendOp::softmaxCrossEntropy, BackendOp::sparseSoftmaxCrossEntropy,
                       BackendOp::crossEntropy, BackendOp::sigmoidBinaryCrossEntropy,
                       BackendOp::binaryCrossEntropy, BackendOp::meanSquaredError});
    }
    void opCases() { verifyOpCase(); }

    void softmaxCrossEntropyKnownValues_data() { addDtypeRows(); }
    void softmaxCrossEntropyKnownValues();
    void sparseMatchesOneHot_data() { addDtypeRows(); }
    void sparseMatchesOneHot();
    void probabilityLossesKnownValues_data() { addDtypeRows(); }
    void probabilityLossesKnownValues();
    void lossesAreStable();
    void lossGradients();
    void lossErrors();
};

void TestCpuBackendLosses::softmaxCrossEntropyKnownValues() {
    LOOM_FETCH_DTYPE;
    Tensor logits = fromValues({2, 3}, dt, {1, 2, 3, 1, 1, 1});
    Tensor target = fromValues({2, 3}, dt, {0, 0, 1, 0.5, 0.5, 0});
    Tensor loss = scalar(dt), grad = cpu().allocate({2, 3}, dt);
    cpu().softmaxCrossEntropy(logits, target, loss, &grad);
    const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    QVERIFY(std::abs(loss.at(0) - (lse0 - 3 + std::log(3.0)) / 2) < tolerance(dt));
    std::vector<double> expected;
    for (double z : {1.0, 2.0, 3.0}) {
        expected.push_back(std::exp(z - lse0));
    }
    expected[2] -= 1;
    for (double t : {0.5, 0.5, 0.0}) {
        expected.push_back(1.0 / 3.0 - t);
    }
    for (double& e : expected) {
        e /= 2;  // the mean over the batch
    }
    LOOM_VERIFY_CLOSE(grad.to(DType::F64), fromValues({2, 3}, DType::F64, expected), tolerance(dt),
                      tolerance(dt));
    Tensor lossOnly = scalar(dt);
    cpu().softmaxCrossEntropy(logits, target, lossOnly, nullptr);
    QCOMPARE(lossOnly.at(0), loss.at(0));
}

void TestCpuBackendLosses::sparseMatchesOneHot() {
    LOOM_FETCH_DTYPE;
    Tensor logits = randomTensor({3, 4}, dt, 101, -3.0, 3.0);
    Tensor labels = fromValues({3}, dt, {2, 0, 3});
    Tensor oneHot = fromValues({3, 4}, dt, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
    Tensor loss = scalar(dt), grad = cpu().allocate({3, 4}, dt);
    Tensor sparseLoss = scalar(dt), sparseGrad = cpu().allocate({3, 4}, dt);
    cpu().softmaxCrossEntropy(logits, oneHot, loss, &grad);
    cpu().sparseSoftmaxCrossEntropy(logits, labels, sparseLoss, &sparseGrad);
    QVERIFY(std::abs(sparseLoss.at(0) - loss.at(0)) < tolerance(dt));
    LOOM_VERIFY_CLOSE(sparseGrad, grad, tolerance(dt), tolerance(dt));
    // Labels as a column [N, 1] work too.
    cpu().sparseSoftmaxCrossEntropy(logits, labels.reshape({3, 1}), sparseLoss, nullptr);
    QVERIFY(std::abs(sparseLoss.at(0) - loss.at(0)) < tolerance(dt));
}

void TestCpuBackendLosses::probabilityLossesKnownValues() {
    LOOM_FETCH_DTYPE;
    const double tol = 10 * tolerance(dt);
    Tensor loss = scalar(dt);
    // Categorical cross-entropy of probabilities.
    Tensor probs = fromValues({2, 3}, dt, {0.2, 0.3, 0.5, 0.1, 0.1, 0.8});
    Tensor target = fromValues({2, 3}, dt, {0, 1, 0, 0, 0, 1});
    Tensor grad = cpu().allocate({2, 3}, dt);
    cpu().crossEntropy(probs, target, 1e-7, loss, &grad);
    QVERIFY(std::abs(loss.at(0) - (-std::log(0.3) - std::log(0.8)) / 2) < tol);
    LOOM_VERIFY_CLOSE(grad.to(DType::F64),
                      fromValues({2, 3}, DType::F64, {0, -1 / 0.6, 0, 0, 0, -1 / 1.6}), tol, tol);
    // A zero probability for the true class is clipped to eps: finite loss, no gradient.
    Tensor zero = fromValues({1, 2}, dt, {0, 1}), onFirst = fromValues({1, 2}, dt, {1, 0});
    Tensor zeroGrad = cpu().allocate({1, 2}, dt);
    cpu().crossEntropy(zero, onFirst, 1e-7, loss, &zeroGrad);
    QVERIFY(std::abs(loss.at(0) + std::log(1e-7)) < 1e-3);
    QCOMPARE(zeroGrad.at(0), 0.0);
    // Binary cross-entropy of probabilities.
    Tensor p = fromValues({2}, dt, {0.8, 0.4}), t = fromValues({2}, dt, {1, 0});
    Tensor pGrad = cpu().allocate({2}, dt);
    cpu().binaryCrossEntropy(p, t, 1e-7, loss, &pGrad);
    QVERIFY(std::abs(loss.at(0) - (-std::log(0.8) - std::log(0.6)) / 2) < tol);
    LOOM_VERIFY_CLOSE(pGrad.to(DType::F64), fromValues({2}, DType::F64, {-1 / 1.6, 1 / 1.2}), tol,
                      tol);
    // Binary cross-entropy with the sigmoid fused.
    Tensor z = fromValues({3}, dt, {0, 2, -1}), zt = fromValues({3}, dt, {1, 0, 1});
    Tensor zGrad = cpu().allocate({3}, dt);
    cpu().sigmoidBinaryCrossEntropy(z, zt, loss, &zGrad);
    double expected =
        (std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + 1 + std::log1p(std::exp(-1.0))) / 3;
    QVERIFY(std::abs(loss.at(0) - expected) < tol);
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    LOOM_VERIFY_CLOSE(zGrad.to(DType::F64),
                      fromValues({3}, DType::F64, {(0.5 - 1) / 3, sig(2) / 3, (sig(-1) - 1) / 3}),
                      tol, tol);
    // Mean squared error.
    Tensor pred = fromValues({2, 2}, dt, {1, 2, 3, 4}), want = fromValues({2, 2}, dt, {1, 0, 3, 5});
    Tensor mseGrad = cpu().allocate({2, 2}, dt);
    cpu().meanSquaredError(pred, want, loss, &mseGrad);
    QCOMPARE(loss.at(0), 1.25);
    LOOM_VERIFY_CLOSE(mseGrad, fromValues({2, 2}, dt, {0, 1, 0, -0.5}), 0.0, 0.0);
}

void TestCpuBackendLosses::lossesAreStable() {
    for (DType dt : {DType::F32, DType::F64}) {
        Tensor logits = fromValues({1, 3}, dt, {1000, 0, -1000});
        Tensor target = fromValues({1, 3}, dt, {0, 1, 0});
        Tensor loss = scalar(dt), grad = cpu().allocate({1, 3}, dt);
        cpu().softmaxCrossEntropy(logits, target, loss, &grad);
        QVERIFY(std::abs(loss.at(0) - 1000) < 1e-3);
        QCOMPARE(cpu().countNonFinite(grad), int64_t(0));
        Tensor z = fromValues({2}, dt, {1000, -1000}), t = fromValues({2}, dt, {0, 0});
        Tensor zGrad = cpu().allocate({2}, dt);
        cpu().sigmoidBinaryCrossEntropy(z, t, loss, &zGrad);
        QVERIFY(std::abs(loss.at(0) - 500) < 1e-3);
        QCOMPARE(cpu().countNonFinite(zGrad), int64_t(0));
    }
}

// Every loss's gradient against central differences of its value (float64).
void TestCpuBackendLosses::lossGradients() {
    const DType dt = DType::F64;
    Tensor logits = randomTensor({4, 5}, dt, 111, -3.0, 3.0);
    Tensor target = randomTensor({4, 5}, dt, 112, 0.1, 1.0);
    for (int64_t i = 0; i < 4; ++i) {  // rows of a probability distribution
        double s = 0;
        for (int64_t j = 0; j < 5; ++j) {
            s += target.at(i * 5 + j);
        }
        for (int64_t j = 0; j < 5; ++j) {
            target.set(i * 5 + j, target.at(i * 5 + j) / s);
        }
    }
    Tensor probs = randomTensor({4, 5}, dt, 113, 0.05, 0.95);
    Tensor binary = randomTensor({4, 5}, dt, 114, 0.0, 1.0);
    Tensor labels = fromValues({4}, dt, {4, 0, 2, 2});
    Tensor loss = scalar(dt), grad = cpu().allocate({4, 5}, dt);
    // Each loss with the tensor it differentiates (logits or probabilities).
    struct Case {
        const char* name;
        Tensor* input;
        std::function<void(Tensor&, Tensor*)> run;
    };
    std::vector<Case> cases = {
        {"softmaxCrossEntropy", &logits,
         [&](Tensor& l, Tensor* g) { cpu().softmaxCrossEntropy(logits, target, l, g); }},
        {"sparseSoftmaxCrossEntropy", &logits,
         [&](Tensor& l, Tensor* g) { cpu().sparseSoftmaxCrossEntropy(logits, labels, l, g); }},
        {"sigmoidBinaryCrossEntropy", &logits,
         [&](Tensor& l, Tensor* g) { cpu().sigmoidBinaryCrossEntropy(logits, binary, l, g); }},
        {"meanSquaredError", &logits,
         [&](Tensor& l, Tensor* g) { cpu().meanSquaredError(logits, binary, l, g); }},
        {"crossEntropy", &probs,
         [&](Tensor& l, Tensor* g) { cpu().crossEntropy(probs, target, 1e-7, l, g); }},
        {"binaryCrossEntropy", &probs,
         [&](Tensor& l, Tensor* g) { cpu().binaryCrossEntropy(probs, binary, 1e-7, l, g); }},
    };
    for (Case& c : cases) {
        c.run(loss, &grad);
        Tensor numeric = numericGradient(*c.input, [&] {
            c.run(loss, nullptr);
            return loss.at(0);
        });
        std::string why;
        QVERIFY2(allClose(grad, numeric, kGradientTolerance, kGradientTolerance, &why),
                 (std::string(c.name) + ": " + why).c_str());
    }
}

void TestCpuBackendLosses::lossErrors() {
    Tensor logits = Tensor::zeros({2, 3}), loss = Tensor::zeros({1});
    QVERIFY_THROWS_EXCEPTION(
        DataError, cpu().sparseSoftmaxCrossEntropy(
                       logits, Tensor::fromVector({2}, std::vector<float>{0, 3}), loss, nullptr));
    QVERIFY_THROWS_EXCEPTION(
        DataError, cpu().sparseSoftmaxCrossEntropy(
                       logits, Tensor::fromVector({2}, std::vector<float>{0, 1.5}), loss, nullptr));
    QVERIFY_THROWS_EXCEPTION(
        ShapeError, cpu().sparseSoftmaxCrossEntropy(logits, Tensor::zeros({3}), loss, nullptr));
    Tensor wrongTarget = Tensor::zeros({2, 4});
    try {
        cpu().softmaxCrossEntropy(logits, wrongTarget, loss, nullptr);
        QFAIL("softmaxCrossEntropy with a mismatched target did not throw");
    } catch (const ShapeError& e) {
        QString message = e.what();
        QVERIFY2(message.contains("softmaxCrossEntropy") && message.contains("(2, 3)") &&
                     message.contains("(2, 4)"),
                 e.what());
    }
    Tensor twoLosses = Tensor::zeros({2});
    QVERIFY_THROWS_EXCEPTION(ShapeError,
                             cpu().meanSquaredError(logits, logits, twoLosses, nullptr));
    Tensor wrongGrad = Tensor::zeros({3, 2});
    QVERIFY_THROWS_EXCEPTION(ShapeError, cpu().meanSquaredError(logits, logits, loss, &wrongGrad));
}

QTEST_APPLESS_MAIN(TestCpuBackendLosses)
#include "TestCpuBackendLosses.moc"
