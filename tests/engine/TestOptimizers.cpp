// Optimizers: Keras' names and defaults, each update rule against a scalar reference of
// Keras' formula, state save/restore resuming exactly, and convergence on a quadratic.

#include <loom/Error.h>
#include <loom/Optimizer.h>

#include <QtTest>

#include <cmath>
#include <functional>

using namespace loom;

namespace {

// One scalar reference step per optimizer: (weight, gradient, state, step) -> new weight.
struct ScalarState {
    double a = 0, b = 0;
};

using Reference = std::function<double(double w, double g, ScalarState& s, int t)>;

Reference referenceFor(const std::string& type, const nlohmann::json& p) {
    if (type == "sgd") {
        double lr = p.value("learning_rate", 0.01), m = p.value("momentum", 0.0);
        bool nesterov = p.value("nesterov", false);
        return [=](double w, double g, ScalarState& s, int) {
            if (m == 0.0) {
                return w - lr * g;
            }
            s.a = m * s.a - lr * g;
            return nesterov ? w + m * s.a - lr * g : w + s.a;
        };
    }
    if (type == "rmsprop") {
        return [](double w, double g, ScalarState& s, int) {
            s.a = 0.9 * s.a + 0.1 * g * g;
            return w - 0.001 * g / (std::sqrt(s.a) + 1e-7);
        };
    }
    if (type == "adagrad") {
        return [](double w, double g, ScalarState& s, int t) {
            if (t == 1) {
                s.a = 0.1;
            }
            s.a += g * g;
            return w - 0.001 * g / (std::sqrt(s.a) + 1e-7);
        };
    }
    double wd = type == "adamw" ? 0.004 : 0.0;
    return [=](double w, double g, ScalarState& s, int t) {
        w -= 0.001 * wd * w;
        double lrT = 0.001 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
        s.a = 0.9 * s.a + 0.1 * g;
        s.b = 0.999 * s.b + 0.001 * g * g;
        return w - lrT * s.a / (std::sqrt(s.b) + 1e-7);
    };
}

struct Fixture {
    Parameter p{"kernel", Tensor::full(Shape{3}, 0.5, DType::F64), Tensor(), true};
    std::vector<NamedParameter> list() { return {{"layer/kernel", &p}}; }
    void setGradient(double g) { p.grad = Tensor::full(Shape{3}, g, DType::F64); }
};

const double kGradients[] = {0.3, -1.2, 0.05, 2.0, -0.7};

}  // namespace

class TestOptimizers : public QObject {
    Q_OBJECT

private slots:
    void kerasDefaults();
    void updateMatchesKerasFormula_data();
    void updateMatchesKerasFormula();
    void stateRestoreResumesExactly_data() { updateMatchesKerasFormula_data(); }
    void stateRestoreResumesExactly();
    void convergesOnQuadratic_data() { updateMatchesKerasFormula_data(); }
    void convergesOnQuadratic();
    void namesAreCheckedAndKerasClassNamesWork();
    void frozenAndGradientlessParametersAreLeftAlone();
};

void TestOptimizers::kerasDefaults() {
    auto sgd = makeOptimizer("sgd");
    QCOMPARE(sgd->learningRate(), 0.01);
    QCOMPARE(sgd->params().getFloat("momentum"), 0.0);
    QCOMPARE(sgd->params().getBool("nesterov"), false);
    auto rms = makeOptimizer("rmsprop");
    QCOMPARE(rms->learningRate(), 0.001);
    QCOMPARE(rms->params().getFloat("rho"), 0.9);
    QCOMPARE(rms->params().getFloat("epsilon"), 1e-7);
    auto adagrad = makeOptimizer("adagrad");
    QCOMPARE(adagrad->learningRate(), 0.001);
    QCOMPARE(adagrad->params().getFloat("initial_accumulator_value"), 0.1);
    auto adam = makeOptimizer("adam");
    QCOMPARE(adam->learningRate(), 0.001);
    QCOMPARE(adam->params().getFloat("beta_1"), 0.9);
    QCOMPARE(adam->params().getFloat("beta_2"), 0.999);
    QCOMPARE(adam->params().getFloat("epsilon"), 1e-7);
    QCOMPARE(makeOptimizer("adamw")->params().getFloat("weight_decay"), 0.004);
}

void TestOptimizers::updateMatchesKerasFormula_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("params");
    QTest::newRow("sgd") << "sgd"
                         << "{}";
    QTest::newRow("sgd momentum") << "sgd"
                                  << R"({"momentum": 0.9})";
    QTest::newRow("sgd nesterov") << "sgd"
                                  << R"({"momentum": 0.9, "nesterov": true})";
    QTest::newRow("rmsprop") << "rmsprop"
                             << "{}";
    QTest::newRow("adagrad") << "adagrad"
                             << "{}";
    QTest::newRow("adam") << "adam"
                          << "{}";
    QTest::newRow("adamw") << "adamw"
                           << "{}";
}

void TestOptimizers::updateMatchesKerasFormula() {
    QFETCH(QString, type);
    QFETCH(QString, params);
    nlohmann::json p = nlohmann::json::parse(params.toStdString());
    auto optimizer = makeOptimizer(type.toStdString(), p);
    Reference reference = referenceFor(type.toStdString(), p);
    Fixture f;
    double w = 0.5;
    ScalarState state;
    int t = 0;
    for (double g : kGradients) {
        f.setGradient(g);
        optimizer->step(cpuBackend(), f.list());
        w = reference(w, g, state, ++t);
        for (int64_t i = 0; i < 3; ++i) {
            QVERIFY2(std::abs(f.p.value.at(i) - w) < 1e-12,
                     qPrintable(QString("step %1: %2 vs reference %3")
                                    .arg(t)
                                    .arg(f.p.value.at(i), 0, 'g', 17)
                                    .arg(w, 0, 'g', 17)));
        }
    }
    QCOMPARE(optimizer->iterations(), int64_t{5});
}

void TestOptimizers::stateRestoreResumesExactly() {
    QFETCH(QString, type);
    QFETCH(QString, params);
    nlohmann::json p = nlohmann::json::parse(params.toStdString());
    auto straight = makeOptimizer(type.toStdString(), p);
    Fixture a;
    for (int i = 0; i < 3; ++i) {
        a.setGradient(kGradients[i]);
        straight->step(cpuBackend(), a.list());
    }
    auto resumed = makeOptimizer(type.toStdString(), p);
    std::map<std::string, Tensor> saved;
    for (const auto& [name, tensor] : straight->stateTensors()) {
        saved[name] = tensor.clone();
    }
    resumed->restoreState(saved, straight->iterations());
    Fixture b;
    b.p.value.copyFrom(a.p.value);
    for (int i = 3; i < 5; ++i) {
        a.setGradient(kGradients[i]);
        b.setGradient(kGradients[i]);
        straight->step(cpuBackend(), a.list());
        resumed->step(cpuBackend(), b.list());
    }
    for (int64_t i = 0; i < 3; ++i) {
        QCOMPARE(b.p.value.at(i), a.p.value.at(i));
    }
}

void TestOptimizers::convergesOnQuadratic() {
    QFETCH(QString, type);
    QFETCH(QString, params);
    nlohmann::json p = nlohmann::json::parse(params.toStdString());
    // Adagrad's steps shrink with the accumulated gradient, so it needs a larger rate.
    p["learning_rate"] = type == "adagrad" ? 0.5 : 0.05;
    auto optimizer = makeOptimizer(type.toStdString(), p);
    // f(w) = sum (w - c)^2 with c = (1, -2, 3); gradient 2 (w - c).
    const double c[] = {1.0, -2.0, 3.0};
    Fixture f;
    auto loss = [&] {
        double s = 0;
        for (int64_t i = 0; i < 3; ++i) {
            s += (f.p.value.at(i) - c[i]) * (f.p.value.at(i) - c[i]);
        }
        return s;
    };
    const double initial = loss();
    for (int step = 0; step < 500; ++step) {
        Tensor g = Tensor::empty(Shape{3}, DType::F64);
        for (int64_t i = 0; i < 3; ++i) {
            g.set(i, 2 * (f.p.value.at(i) - c[i]));
        }
        f.p.grad = g;
        optimizer->step(cpuBackend(), f.list());
    }
    QVERIFY2(loss() < initial * 1e-2,
             qPrintable(QString("loss %1 -> %2").arg(initial).arg(loss())));
}

void TestOptimizers::namesAreCheckedAndKerasClassNamesWork() {
    QCOMPARE(makeOptimizer("SGD")->type(), std::string("sgd"));
    QCOMPARE(makeOptimizer("RMSprop")->type(), std::string("rmsprop"));
    try {
        makeOptimizer("adamax2");
        QFAIL("no exception");
    } catch (const ConfigError& e) {
        QVERIFY(QString(e.what()).contains("rmsprop"));
    }
    try {
        makeOptimizer("adam", {{"beta_1", 1.5}});
        QFAIL("no exception");
    } catch (const ConfigError& e) {
        QVERIFY(QString(e.what()).contains("beta_1"));
    }
}

void TestOptimizers::frozenAndGradientlessParametersAreLeftAlone() {
    auto optimizer = makeOptimizer("adam");
    Parameter frozen{"moving_mean", Tensor::full(Shape{2}, 1.0, DType::F64),
                     Tensor::full(Shape{2}, 5.0, DType::F64), false};
    Parameter noGrad{"kernel", Tensor::full(Shape{2}, 1.0, DType::F64), Tensor(), true};
    optimizer->step(cpuBackend(), {{"a/moving_mean", &frozen}, {"a/kernel", &noGrad}});
    QCOMPARE(frozen.value.at(0), 1.0);
    QCOMPARE(noGrad.value.at(1), 1.0);
}

QTEST_APPLESS_MAIN(TestOptimizers)
#include "TestOptimizers.moc"
