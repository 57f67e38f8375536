#include "CompactDoubleSpinBox.h"
#include "RunLabel.h"
#include "ShortestNumber.h"

#include <QSignalSpy>
#include <QTest>

using namespace loom;

/// Settings are float32 in the engine and reach the widgets widened to double (0.9f is
/// 0.89999997615814209). Every setting shows as the person typed it, with the shortest digits
/// that give the same float32 back, and what is typed is stored as that same number.
class TestShortestNumber : public QObject {
    Q_OBJECT

private slots:
    void showsTheShortestDigitsOfTheFloat_data();
    void showsTheShortestDigitsOfTheFloat();
    void valuesBeyondFloatRangeKeepDoubleDigits();
    void spinBoxShowsTheFloatAsTyped_data();
    void spinBoxShowsTheFloatAsTyped();
    void typedValueIsStoredAsShown_data();
    void typedValueIsStoredAsShown();
    void enterOnUnchangedTextIsNoEdit();
    void readsThePersonsLocaleToo();
    void runLabelShowsTheLearningRateAsTyped();

private:
    static void type(CompactDoubleSpinBox& box, const QString& text);
};

namespace {

void addTypedNumbers() {
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("shown");
    QTest::newRow("0.9") << "0.9"
                         << "0.9";
    QTest::newRow("0.1") << "0.1"
                         << "0.1";
    QTest::newRow("1e-3") << "1e-3"
                          << "0.001";
    QTest::newRow("3e-5") << "3e-5"
                          << "3e-05";
    QTest::newRow("0.95") << "0.95"
                          << "0.95";
    QTest::newRow("1e-7") << "1e-7"
                          << "1e-07";
    QTest::newRow("123.456") << "123.456"
                             << "123.456";
    QTest::newRow("1e-5") << "0.00001"
                          << "1e-05";
    QTest::newRow("0.99") << "0.99"
                          << "0.99";
    QTest::newRow("100000") << "100000"
                            << "100000";
}

}  // namespace

void TestShortestNumber::showsTheShortestDigitsOfTheFloat_data() {
    addTypedNumbers();
}

void TestShortestNumber::showsTheShortestDigitsOfTheFloat() {
    QFETCH(QString, typed);
    QFETCH(QString, shown);
    const float engineValue = typed.toFloat();
    QCOMPARE(shortestNumber(double(engineValue)), shown);
    QCOMPARE(shortestNumber(typed.toDouble()), shown);
    QCOMPARE(float(shortestValue(double(engineValue))), engineValue);
    QCOMPARE(shortestValue(double(engineValue)), shown.toDouble());
}

void TestShortestNumber::valuesBeyondFloatRangeKeepDoubleDigits() {
    QCOMPARE(shortestNumber(1e300), QStringLiteral("1e+300"));
    QCOMPARE(shortestNumber(-1e300), QStringLiteral("-1e+300"));
    QCOMPARE(shortestValue(1e300), 1e300);
}

void TestShortestNumber::spinBoxShowsTheFloatAsTyped_data() {
    addTypedNumbers();
}

void TestShortestNumber::spinBoxShowsTheFloatAsTyped() {
    QFETCH(QString, typed);
    QFETCH(QString, shown);
    CompactDoubleSpinBox box;
    box.setRange(0, 1e15);
    box.setValue(double(typed.toFloat()));
    QCOMPARE(box.text(), shown);
    QCOMPARE(float(box.value()), typed.toFloat());
}

void TestShortestNumber::typedValueIsStoredAsShown_data() {
    addTypedNumbers();
}

void TestShortestNumber::typedValueIsStoredAsShown() {
    QFETCH(QString, typed);
    QFETCH(QString, shown);
    CompactDoubleSpinBox box;
    box.setRange(0, 1e15);
    box.setValue(7);
    QSignalSpy edited(&box, &QDoubleSpinBox::valueChanged);
    type(box, typed);
    QCOMPARE(edited.size(), 1);
    QCOMPARE(edited.first().first().toDouble(), shown.toDouble());
    QCOMPARE(float(box.value()), typed.toFloat());
    QCOMPARE(box.text(), shown);
}

void TestShortestNumber::enterOnUnchangedTextIsNoEdit() {
    CompactDoubleSpinBox box;
    box.setValue(double(0.9f));
    QSignalSpy edited(&box, &QDoubleSpinBox::valueChanged);
    type(box, QStringLiteral("0.9"));
    QCOMPARE(edited.size(), 0);
    QCOMPARE(box.value(), double(0.9f));

    // Digits beyond a float32's are dropped: what is stored is what is shown.
    type(box, QStringLiteral("0.500000001"));
    QCOMPARE(box.value(), 0.5);
    QCOMPARE(box.text(), QStringLiteral("0.5"));
}

void TestShortestNumber::readsThePersonsLocaleToo() {
    CompactDoubleSpinBox box;
    box.setLocale(QLocale(QLocale::German, QLocale::Germany));
    box.setValue(2);
    type(box, QStringLiteral("0,25"));
    QCOMPARE(box.value(), 0.25);
    QCOMPARE(box.text(), QStringLiteral("0.25"));
    type(box, QStringLiteral("0.75"));
    QCOMPARE(box.value(), 0.75);
}

void TestShortestNumber::runLabelShowsTheLearningRateAsTyped() {
    const auto training = [](double learningRate) {
        return nlohmann::json{
            {"optimizer", {{"type", "rmsprop"}, {"params", {{"learning_rate", learningRate}}}}}};
    };
    QCOMPARE(runLabel("Run 2", training(double(0.001f))),
             QStringLiteral("Run 2 (rmsprop, lr 0.001)"));
    QCOMPARE(runLabel("Run 3", training(0.00012345)),
             QStringLiteral("Run 3 (rmsprop, lr 0.00012345)"));
}

/// As a person does it: select the text, type, press Enter.
void TestShortestNumber::type(CompactDoubleSpinBox& box, const QString& text) {
    box.setFocus();
    box.selectAll();
    QTest::keyClicks(&box, text);
    QTest::keyClick(&box, Qt::Key_Return);
}

QTEST_MAIN(TestShortestNumber)
#include "TestShortestNumber.moc"
