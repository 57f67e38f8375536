// ParamSet against its specs: defaults for what is not given, every value checked for type,
// range, choice and list length, and each refusal a ConfigError naming the owner, the
// parameter and what was wrong; a refused set() leaves the value it had.

#include "support/Expect.h"

#include <loom/Error.h>
#include <loom/Params.h>

#include <QtTest>

#include <cmath>

using namespace loom;
using loom::testing::messageOf;

namespace {

const std::vector<ParamSpec>& specs() {
    static const std::vector<ParamSpec> s = {
        ParamSpec::integer("units", 10, 1, 1e6, "outputs"),
        ParamSpec::real("rate", 0.5, 0.0, 1.0, "dropout rate"),
        ParamSpec::boolean("use_bias", true, "adds a bias"),
        ParamSpec::choice("activation", "linear", {"linear", "relu", "softmax"}, "activation"),
        ParamSpec::intList("kernel_size", {3, 3}, 2, 2, 1, 64, "kernel height and width"),
        ParamSpec::text("note", "", "free text"),
    };
    return s;
}

const char* const kOwner = "layer 'dense_1' (Dense)";

ParamSet make(const nlohmann::json& values) {
    return ParamSet(&specs(), values, kOwner);
}

/// The ConfigError message of a ParamSet made from values.
QString refusal(const nlohmann::json& values) {
    return messageOf<ConfigError>([&] { make(values); });
}

}  // namespace

class TestParams : public QObject {
    Q_OBJECT

private slots:
    void everySpecHasItsDefault() {
        for (const nlohmann::json& none : {nlohmann::json(), nlohmann::json::object()}) {
            const ParamSet p = make(none);
            QCOMPARE(p.getInt("units"), int64_t{10});
            QCOMPARE(p.getFloat("rate"), 0.5);
            QCOMPARE(p.getBool("use_bias"), true);
            QCOMPARE(p.getString("activation"), std::string("linear"));
            QCOMPARE(p.getInts("kernel_size"), (std::vector<int64_t>{3, 3}));
            QCOMPARE(p.getString("note"), std::string());
        }
        QCOMPARE(make({}).toJson(), (nlohmann::json{{"units", 10},
                                                    {"rate", 0.5},
                                                    {"use_bias", true},
                                                    {"activation", "linear"},
                                                    {"kernel_size", {3, 3}},
                                                    {"note", ""}}));
        QCOMPARE(QString::fromStdString(make({}).owner()), QString(kOwner));
        QCOMPARE(make({}).specs().size(), size_t{6});
        QVERIFY(make({}).has("rate") && !make({}).has("Rate"));
    }

    void givenValuesAreKeptAndRoundTrip() {
        const nlohmann::json values = {{"units", 128},          {"rate", 0.25},
                                       {"use_bias", false},     {"activation", "relu"},
                                       {"kernel_size", {5, 1}}, {"note", "wide"}};
        const ParamSet p = make(values);
        QCOMPARE(p.getInt("units"), int64_t{128});
        QCOMPARE(p.getFloat("rate"), 0.25);
        QCOMPARE(p.getBool("use_bias"), false);
        QCOMPARE(p.getString("activation"), std::string("relu"));
        QCOMPARE(p.getInts("kernel_size"), (std::vector<int64_t>{5, 1}));
        QCOMPARE(p.getString("note"), std::string("wide"));
        QCOMPARE(p.toJson(), values);
        QCOMPARE(make(p.toJson()).toJson(), values);
    }

    void kerasShorthandsAreAccepted() {
        QCOMPARE(make({{"units", 64.0}}).getInt("units"), int64_t{64});  // a whole float
        QCOMPARE(make({{"rate", 1}}).getFloat("rate"), 1.0);             // an integer for a float
        // One number for a list of two, as Keras' kernel_size=3.
        QCOMPARE(make({{"kernel_size", 7}}).getInts("kernel_size"), (std::vector<int64_t>{7, 7}));
    }

    void unknownNamesAreRefusedListingTheKnownOnes() {
        const QString message = refusal({{"unit", 3}});
        QVERIFY2(message.startsWith(kOwner) && message.contains("unknown parameter 'unit'") &&
                     message.contains("known: units, rate, use_bias, activation, kernel_size, "
                                      "note"),
                 qPrintable(message));
        static const std::vector<ParamSpec> none;
        const QString noParams = messageOf<ConfigError>([] {
            ParamSet(&none, {{"units", 3}}, "layer 'flat'");
        });
        QVERIFY2(noParams.contains("layer 'flat'") && noParams.contains("(it takes none)"),
                 qPrintable(noParams));
        QVERIFY(messageOf<ConfigError>([] { make({}).get("units_"); }).contains("'units_'"));
    }

    void wrongValuesAreRefusedNamingTheParameter_data() {
        QTest::addColumn<QString>("values");
        QTest::addColumn<QString>("parameter");
        QTest::addColumn<QString>("reason");
        QTest::newRow("text for an int") << R"({"units": "ten"})"
                                         << "units"
                                         << "expected a whole number, got \"ten\"";
        QTest::newRow("fraction for an int") << R"({"units": 3.5})"
                                             << "units"
                                             << "expected a whole number, got 3.5";
        QTest::newRow("int below its range") << R"({"units": 0})"
                                             << "units"
                                             << "0 is outside the allowed range [1, 1e+06]";
        QTest::newRow("float above its range") << R"({"rate": 1.5})"
                                               << "rate"
                                               << "1.5 is outside the allowed range [0, 1]";
        QTest::newRow("text for a float") << R"({"rate": "high"})"
                                          << "rate"
                                          << "expected a number";
        QTest::newRow("number for a bool") << R"({"use_bias": 1})"
                                           << "use_bias"
                                           << "expected true or false";
        QTest::newRow("unknown choice") << R"({"activation": "sigmoid"})"
                                        << "activation"
                                        << "'sigmoid' is not one of: linear, relu, softmax";
        QTest::newRow("number for a choice") << R"({"activation": 2})"
                                             << "activation"
                                             << "expected one of its choices";
        QTest::newRow("list too long") << R"({"kernel_size": [3, 3, 3]})"
                                       << "kernel_size"
                                       << "expected 2 values, got 3";
        QTest::newRow("list item out of range") << R"({"kernel_size": [3, 65]})"
                                                << "kernel_size"
                                                << "65 is outside";
        QTest::newRow("text for a list") << R"({"kernel_size": "3x3"})"
                                         << "kernel_size"
                                         << "expected a list of whole numbers";
        QTest::newRow("number for text") << R"({"note": 5})"
                                         << "note"
                                         << "expected a string";
    }

    void wrongValuesAreRefusedNamingTheParameter() {
        QFETCH(QString, values);
        QFETCH(QString, parameter);
        QFETCH(QString, reason);
        const QString message = refusal(nlohmann::json::parse(values.toStdString()));
        QVERIFY2(message.startsWith(QString("%1, parameter '%2': ").arg(kOwner, parameter)) &&
                     message.contains(reason),
                 qPrintable(message));
    }

    void nanIsOutsideEveryRange() {
        const QString message = refusal({{"rate", std::nan("")}});
        QVERIFY2(message.contains("parameter 'rate'") && message.contains("outside"),
                 qPrintable(message));
    }

    void parametersMustBeAnObject() {
        const QString message = refusal(nlohmann::json::array({1, 2}));
        QVERIFY2(message.startsWith(kOwner) && message.contains("must be a JSON object"),
                 qPrintable(message));
    }

    void setValidatesAndKeepsTheOldValueWhenRefused() {
        ParamSet p = make({{"units", 32}});
        p.set("units", 64);
        QCOMPARE(p.getInt("units"), int64_t{64});
        const QString message = messageOf<ConfigError>([&] { p.set("units", -3); });
        QVERIFY2(message.contains("parameter 'units'") && message.contains("-3"),
                 qPrintable(message));
        QCOMPARE(p.getInt("units"), int64_t{64});
        QVERIFY(messageOf<ConfigError>([&] { p.set("rate", "x"); }).contains("'rate'"));
        QCOMPARE(p.getFloat("rate"), 0.5);
        QVERIFY(messageOf<ConfigError>([&] { p.set("bias", true); }).contains("'bias'"));
        QCOMPARE(p.toJson()["units"], 64);
    }
};

QTEST_APPLESS_MAIN(TestParams)
#include "TestParams.moc"
