#include "DatasetPanel.h"
#include "NetworkChecksView.h"

#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

using namespace loom;

namespace {

const NetworkWarning kNoSoftmax{"dense", "The output layer 'dense' has no softmax.",
                                SetLayerParameter{"dense", "activation", "softmax"}};
const NetworkWarning kTooBig{"", "Training needs about 75.7 GiB.", std::nullopt};

}  // namespace

/// The list of the network checks' warnings as a person uses it: each warning with its Fix
/// button when it has a fix, a click on a warning selects its layer, and "No problems found"
/// when there is nothing to say. Also the data facts the checks read from the Data tab.
class TestNetworkChecksView : public QObject {
    Q_OBJECT

private slots:
    void saysNoProblemsFoundWhenEmpty();
    void listsEachWarningWithItsFix();
    void fixButtonAsksForTheFix();
    void fixThatReplacesTheWarningsIsSafe();
    void clickOnAWarningAsksForItsLayer();
    void countsParametersFromTheAnalysis();
    void dataTabGivesTheFactsOfItsPreview();

private:
    static QList<QFrame*> rows(const NetworkChecksView& view);
    static QList<QToolButton*> fixButtons(const NetworkChecksView& view);
};

QList<QFrame*> TestNetworkChecksView::rows(const NetworkChecksView& view) {
    return view.findChildren<QFrame*>(QStringLiteral("networkWarning"));
}

QList<QToolButton*> TestNetworkChecksView::fixButtons(const NetworkChecksView& view) {
    return view.findChildren<QToolButton*>();
}

void TestNetworkChecksView::saysNoProblemsFoundWhenEmpty() {
    NetworkChecksView view;
    view.show();
    auto* noProblems = view.findChild<QLabel*>(QStringLiteral("noProblems"));
    QVERIFY(noProblems);
    QCOMPARE(noProblems->text(), QStringLiteral("No problems found"));
    QVERIFY(noProblems->isVisible());
    view.setWarnings({kNoSoftmax});
    QVERIFY(!noProblems->isVisible());
    view.setWarnings({});
    QVERIFY(noProblems->isVisible());
    QVERIFY(rows(view).isEmpty());
}

void TestNetworkChecksView::listsEachWarningWithItsFix() {
    NetworkChecksView view;
    view.setWarnings({kNoSoftmax, kTooBig});
    const QList<QFrame*> shown = rows(view);
    QCOMPARE(shown.size(), 2);
    QStringList messages;
    for (const QFrame* row : shown) {
        for (const QLabel* label : row->findChildren<QLabel*>()) {
            messages << label->text();
        }
    }
    QVERIFY(messages.contains(QString::fromStdString(kNoSoftmax.message)));
    QVERIFY(messages.contains(QString::fromStdString(kTooBig.message)));
    // Only the warning with a fix has a button, which says what it will do.
    const QList<QToolButton*> buttons = fixButtons(view);
    QCOMPARE(buttons.size(), 1);
    QCOMPARE(buttons[0]->text(), QStringLiteral("Fix"));
    QCOMPARE(buttons[0]->toolTip(), QStringLiteral("Set the activation of 'dense' to softmax"));
    // New warnings replace the old ones.
    view.setWarnings({kTooBig});
    QCOMPARE(rows(view).size(), 1);
    QVERIFY(fixButtons(view).isEmpty());
}

void TestNetworkChecksView::fixButtonAsksForTheFix() {
    NetworkChecksView view;
    view.show();
    view.setWarnings({kTooBig, kNoSoftmax});
    QSignalSpy requested(&view, &NetworkChecksView::fixRequested);
    QTest::mouseClick(fixButtons(view).first(), Qt::LeftButton);
    QVERIFY(requested.wait(5000));
    QCOMPARE(requested.size(), 1);
    QVERIFY(requested.first().first().value<NetworkFix>() == *kNoSoftmax.fix);
}

void TestNetworkChecksView::fixThatReplacesTheWarningsIsSafe() {
    // The window applies the fix and checks again, which replaces the button that was clicked.
    NetworkChecksView view;
    view.show();
    view.setWarnings({kNoSoftmax});
    connect(&view, &NetworkChecksView::fixRequested, &view, [&view] { view.setWarnings({}); });
    QSignalSpy requested(&view, &NetworkChecksView::fixRequested);
    QTest::mouseClick(fixButtons(view).first(), Qt::LeftButton);
    QVERIFY(requested.wait(5000));
    QVERIFY(rows(view).isEmpty());
}

void TestNetworkChecksView::clickOnAWarningAsksForItsLayer() {
    NetworkChecksView view;
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setWarnings({kNoSoftmax, kTooBig});
    QSignalSpy activated(&view, &NetworkChecksView::layerActivated);
    for (QFrame* row : rows(view)) {
        auto* message = row->findChildren<QLabel*>().last();
        QTest::mouseClick(message, Qt::LeftButton);
    }
    // The warning about the whole network names no layer to go to.
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().first().toString(), QStringLiteral("dense"));
}

void TestNetworkChecksView::countsParametersFromTheAnalysis() {
    NetworkAnalysis analysis;
    analysis.layers["input"].parameters = 0;
    analysis.layers["dense"].parameters = 7850;
    analysis.layers["unwired"];  // invalid: not counted
    const std::map<std::string, int64_t> counts = parameterCountsOf(analysis);
    QCOMPARE(counts.size(), size_t{2});
    QCOMPARE(counts.at("dense"), int64_t{7850});
}

void TestNetworkChecksView::dataTabGivesTheFactsOfItsPreview() {
    if (!QFile::exists(QStringLiteral("/usr/share/datasets/fashion-mnist"))) {
        QSKIP("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
    }
    DatasetPanel panel;
    panel.setDataSection({{"source", "fashion-mnist"}});
    QVERIFY(!panel.dataFacts());
    QSignalSpy changed(&panel, &DatasetPanel::dataFactsChanged);
    QSignalSpy loaded(&panel, &DatasetPanel::previewLoaded);
    panel.loadPreview();
    QVERIFY(loaded.wait(60000));
    QCOMPARE(changed.size(), 1);
    QVERIFY(panel.dataFacts());
    QVERIFY(panel.dataFacts()->classification);
    QCOMPARE(panel.dataFacts()->classCount, int64_t{10});
    QCOMPARE(panel.dataFacts()->sampleShape, (Shape{1, 28, 28}));
    // A split or another normalisation leaves the classes and the samples as they were...
    panel.setDataSection(
        {{"source", "fashion-mnist"}, {"validation_split", 0.25}, {"normalization", "none"}});
    QVERIFY(panel.dataFacts());
    QCOMPARE(changed.size(), 1);
    // ...another source does not.
    panel.setDataSection({{"source", "csv:/nowhere/table.csv"}});
    QVERIFY(!panel.dataFacts());
    QCOMPARE(changed.size(), 2);
}

QTEST_MAIN(TestNetworkChecksView)
#include "TestNetworkChecksView.moc"
