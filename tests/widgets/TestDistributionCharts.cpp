#include "DistributionChart.h"
#include "HistogramChart.h"
#include "LayerDistributionsView.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSlider>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace loom;
using Quantity = LayerDistributionsView::Quantity;

/// The distribution charts as someone reading a run relies on them: the bands are the values'
/// percentiles, the marker sits at the step chosen, a live run appends cheaply, a layer without
/// the quantity says so, and the many-layers page keeps one slider for all its charts.
class TestDistributionCharts : public QObject {
    Q_OBJECT

private slots:
    void percentilesMatchTheSample_data();
    void percentilesMatchTheSample();
    void bandsAreNestedAtEveryStep();
    void markerFollowsTheCurrentStep();
    void emptyHistogramsDrawNothingAndSaySo();
    void appendingAddsPointsAndQueuesOneReplot();
    void compactModeDropsAxisTitles();
    void histogramChartShowsTheStepAndItsTrail();
    void histogramChartScalesTheTrailToTheCurrentBins();
    void viewShowsOneChartPerLayerWithTheQuantity();
    void sharedSliderMovesEveryMarker();
    void liveSamplesKeepTheSliderOnTheNewestUnlessMovedBack();
    void doubleClickChoosesTheLayer();
    void columnsFollowTheWidth();
    void wheelOverAChartScrollsThePage();
    void rendersSomething();

private:
    static Histogram histogram(std::vector<float> values);
    static Histogram normal(double mean, double sd, int n, unsigned seed);
    /// Layers "dense" and "output" with weights and gradients, "relu" with activations only.
    static StatisticsSample sample(int64_t step, int epoch);
    static std::vector<StatisticsSample> run(int samples);
    static bool hasInk(const QImage& image);
};

Histogram TestDistributionCharts::histogram(std::vector<float> values) {
    return Histogram::of(values.data(), static_cast<int64_t>(values.size()));
}

Histogram TestDistributionCharts::normal(double mean, double sd, int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d{float(mean), float(sd)};
    std::vector<float> values(static_cast<size_t>(n));
    std::generate(values.begin(), values.end(), [&] { return d(rng); });
    return histogram(values);
}

StatisticsSample TestDistributionCharts::sample(int64_t step, int epoch) {
    StatisticsSample s;
    s.step = step;
    s.epoch = epoch;
    const auto seed = static_cast<unsigned>(step);
    for (const char* name : {"dense", "relu", "output"}) {
        LayerStatistics layer;
        layer.layer = name;
        layer.activations = normal(0.01 * double(step), 1, 500, seed);
        if (std::string(name) != "relu") {
            layer.weights = normal(0, 0.1, 500, seed + 1);
            layer.gradients = normal(0, 1.0 / double(step), 500, seed + 2);
        }
        s.layers.push_back(layer);
    }
    return s;
}

std::vector<StatisticsSample> TestDistributionCharts::run(int samples) {
    std::vector<StatisticsSample> out;
    for (int i = 1; i <= samples; ++i) {
        out.push_back(sample(10 * i, (i - 1) / 2 + 1));
    }
    return out;
}

bool TestDistributionCharts::hasInk(const QImage& image) {
    const QRgb background = image.pixel(0, 0);
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            if (image.pixel(x, y) != background) {
                return true;
            }
        }
    }
    return false;
}

void TestDistributionCharts::percentilesMatchTheSample_data() {
    QTest::addColumn<bool>("uniform");
    QTest::newRow("uniform") << true;
    QTest::newRow("normal") << false;
}

void TestDistributionCharts::percentilesMatchTheSample() {
    QFETCH(bool, uniform);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> flat(-2, 3);
    std::normal_distribution<float> bell(0.5f, 2.0f);
    std::vector<float> values(20000);
    for (float& v : values) {
        v = uniform ? flat(rng) : bell(rng);
    }
    const Histogram h = histogram(values);
    DistributionChart chart;
    chart.setSeries({{100, h}});
    std::sort(values.begin(), values.end());
    const double binWidth = (h.high - h.low) / double(Histogram::kBins);
    for (int k = 0; k < DistributionChart::kPercentileCount; ++k) {
        const double q = DistributionChart::kPercentiles[size_t(k)] / 100;
        const double empirical = values[size_t(std::lround(q * double(values.size() - 1)))];
        QVERIFY2(std::abs(chart.percentileAt(0, k) - empirical) <= binWidth,
                 qPrintable(QStringLiteral("percentile %1: %2, the sample's %3")
                                .arg(q)
                                .arg(chart.percentileAt(0, k))
                                .arg(empirical)));
        // What is drawn is what is computed.
        QCOMPARE(chart.percentileSeries(k), QVector<double>{chart.percentileAt(0, k)});
    }
    QCOMPARE(chart.percentileAt(0, 0), double(values.front()));
    QCOMPARE(chart.percentileAt(0, DistributionChart::kPercentileCount - 1), double(values.back()));
}

void TestDistributionCharts::bandsAreNestedAtEveryStep() {
    DistributionChart chart;
    std::vector<DistributionPoint> points;
    for (int i = 0; i < 20; ++i) {
        points.push_back({i * 5, normal(0.1 * i, 1 + 0.2 * i, 1000, unsigned(i))});
    }
    chart.setSeries(points);
    QCOMPARE(chart.sampleCount(), 20);
    QCOMPARE(chart.stepAt(19), int64_t(95));
    for (int i = 0; i < chart.sampleCount(); ++i) {
        for (int k = 1; k < DistributionChart::kPercentileCount; ++k) {
            QVERIFY(chart.percentileAt(i, k - 1) <= chart.percentileAt(i, k));
        }
    }
    // One graph per percentile, each with a point per step; the value axis holds them all.
    QCOMPARE(chart.plot()->graphCount(), DistributionChart::kPercentileCount);
    for (int g = 0; g < chart.plot()->graphCount(); ++g) {
        QCOMPARE(chart.plot()->graph(g)->dataCount(), 20);
    }
    QVERIFY(chart.plot()->yAxis->range().contains(chart.percentileAt(19, 8)));
    QVERIFY(chart.plot()->yAxis->range().contains(chart.percentileAt(0, 0)));
}

void TestDistributionCharts::markerFollowsTheCurrentStep() {
    DistributionChart chart;
    chart.setSeries({{10, normal(0, 1, 100, 1)}, {20, normal(0, 1, 100, 2)}});
    QVERIFY(std::isnan(chart.markerPosition()));
    chart.setCurrentStep(20);
    QCOMPARE(chart.currentStep(), int64_t(20));
    QCOMPARE(chart.markerPosition(), 20.0);
    chart.setCurrentStep(13);
    QCOMPARE(chart.markerPosition(), 13.0);
}

void TestDistributionCharts::emptyHistogramsDrawNothingAndSaySo() {
    DistributionChart chart;
    chart.setValueLabel(QStringLiteral("weights"));
    chart.setSeries({{1, Histogram{}}, {2, Histogram{}}});
    QVERIFY(!chart.hasData());
    QVERIFY(chart.isEmptyTextShown());
    QCOMPARE(chart.emptyText(), QStringLiteral("no weights"));
    QVERIFY(std::isnan(chart.percentileAt(1, DistributionChart::kMedian)));
    QVERIFY(std::isfinite(chart.plot()->yAxis->range().size()));
    // Values arriving later replace the text; an empty step among them is a gap, not a zero.
    chart.appendPoint({3, normal(1, 1, 200, 3)});
    QVERIFY(chart.hasData());
    QVERIFY(!chart.isEmptyTextShown());
    chart.appendPoint({4, Histogram{}});
    QVERIFY(std::isnan(chart.percentileSeries(DistributionChart::kMedian).back()));
    chart.appendPoint({5, normal(1, 1, 200, 5)});
    chart.redraw();  // bands with a gap in them

    HistogramChart histogramChart;
    histogramChart.setValueLabel(QStringLiteral("gradients"));
    histogramChart.setSeries({{1, Histogram{}}});
    QVERIFY(histogramChart.isEmptyTextShown());
    QCOMPARE(histogramChart.currentGraph()->dataCount(), 0);
}

void TestDistributionCharts::appendingAddsPointsAndQueuesOneReplot() {
    DistributionChart chart;
    chart.resize(400, 300);
    chart.show();
    chart.setSeries({{1, normal(0, 1, 300, 1)}});
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QTest::qWait(20);  // showing replots too: let it settle
    QSignalSpy replots(chart.plot(), &QCustomPlot::afterReplot);
    const auto median = chart.plot()->graph(0)->data();
    for (int step = 2; step <= 6; ++step) {
        chart.appendPoint({step, normal(step, 1, 300, unsigned(step))});
    }
    // The same data containers, grown by a point each: nothing was rebuilt.
    QCOMPARE(chart.plot()->graph(0)->data(), median);
    QCOMPARE(chart.plot()->graph(0)->dataCount(), 6);
    QCOMPARE(chart.plot()->xAxis->range().upper, 6.0);
    QVERIFY(chart.plot()->yAxis->range().contains(chart.percentileAt(5, 8)));
    // Five samples, one replot, on the next pass of the event loop.
    QCOMPARE(replots.count(), 0);
    QTRY_COMPARE(replots.count(), 1);
    QTest::qWait(20);
    QCOMPARE(replots.count(), 1);
}

void TestDistributionCharts::compactModeDropsAxisTitles() {
    DistributionChart chart;
    chart.setValueLabel(QStringLiteral("activations"));
    QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("activations"));
    QCOMPARE(chart.plot()->xAxis->label(), QStringLiteral("step"));
    chart.setCompact(true);
    QVERIFY(chart.isCompact());
    QVERIFY(chart.plot()->xAxis->label().isEmpty());
    QVERIFY(chart.plot()->yAxis->label().isEmpty());
    chart.setCompact(false);
    QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("activations"));
}

void TestDistributionCharts::histogramChartShowsTheStepAndItsTrail() {
    HistogramChart chart;
    std::vector<DistributionPoint> points;
    for (int i = 0; i < 10; ++i) {
        points.push_back({10 * (i + 1), normal(i, 1, 400, unsigned(i))});
    }
    chart.setSeries(points);
    QCOMPARE(chart.currentIndex(), 9);  // the newest, until told otherwise
    chart.setCurrentStep(75);           // between samples: the one before
    QCOMPARE(chart.currentIndex(), 6);
    const Histogram& current = points[6].histogram;
    // One point per bin edge, and a drop to zero at each end.
    QCOMPARE(chart.currentGraph()->dataCount(), int(Histogram::kBins) + 3);
    QCOMPARE(chart.currentGraph()->data()->at(1)->key, current.low);
    QCOMPARE(chart.currentGraph()->data()->at(1)->value, current.counts[0]);
    bool ok = false;
    QCOMPARE(chart.currentGraph()->getValueRange(ok).upper,
             *std::max_element(current.counts.begin(), current.counts.end()));
    QCOMPARE(int(chart.trailGraphs().size()), HistogramChart::kDefaultTrail);
    // The trail's newest is the sample just before; all four are drawn.
    QCOMPARE(chart.trailGraphs().back()->data()->at(1)->key, points[5].histogram.low);
    for (QCPGraph* graph : chart.trailGraphs()) {
        QVERIFY(graph->dataCount() > 0);
    }
    chart.setCurrentStep(20);
    QCOMPARE(chart.currentIndex(), 1);
    QCOMPARE(chart.trailGraphs().front()->dataCount(), 0);
    QVERIFY(chart.trailGraphs().back()->dataCount() > 0);
    chart.setTrailLength(1);
    QCOMPARE(int(chart.trailGraphs().size()), 1);
    QVERIFY(chart.trailGraphs().front()->dataCount() > 0);
    // A live run: looked back, it stays there.
    chart.appendPoint({110, normal(0, 1, 400, 11)});
    QCOMPARE(chart.currentIndex(), 1);
}

void TestDistributionCharts::histogramChartScalesTheTrailToTheCurrentBins() {
    // The same 64 values, then spread twice as wide: its bins are twice as wide, so drawn in
    // the current step's bins it holds half as many per bin.
    std::vector<float> narrow, wide;
    for (int i = 0; i < 64; ++i) {
        narrow.push_back(float(i) + 0.5f);
        wide.push_back(2 * float(i) + 1);
    }
    HistogramChart chart;
    chart.setSeries({{1, histogram(wide)}, {2, histogram(narrow)}});
    QCOMPARE(chart.currentIndex(), 1);
    bool ok = false;
    const double current = chart.currentGraph()->getValueRange(ok).upper;
    QCOMPARE(current, 1.0);
    QCOMPARE(chart.trailGraphs().back()->getValueRange(ok).upper, 0.5);
}

void TestDistributionCharts::viewShowsOneChartPerLayerWithTheQuantity() {
    LayerDistributionsView view;
    QCOMPARE(view.currentSample(), -1);
    view.setSamples(run(5));
    QCOMPARE(view.chartedLayers(), (QStringList{QStringLiteral("dense"), QStringLiteral("relu"),
                                                QStringLiteral("output")}));
    QVERIFY(view.leftOutLayers().isEmpty());
    QVERIFY(view.chart(QStringLiteral("relu"))->isCompact());
    QCOMPARE(view.chart(QStringLiteral("dense"))->sampleCount(), 5);

    view.quantityBox()->setCurrentIndex(view.quantityBox()->findData(int(Quantity::Weights)));
    QCOMPARE(view.quantity(), Quantity::Weights);
    QCOMPARE(view.chartedLayers(),
             (QStringList{QStringLiteral("dense"), QStringLiteral("output")}));
    QCOMPARE(view.leftOutLayers(), QStringList{QStringLiteral("relu")});
    QVERIFY(!view.chart(QStringLiteral("relu")));
    QVERIFY(view.findChild<QLabel*>(QStringLiteral("leftOutNote"))->text().contains("relu"));
    // The weights' charts show weights: their median is near the weights' 0, not activations'.
    QVERIFY(std::abs(view.chart(QStringLiteral("dense"))->percentileAt(4, 4)) < 0.05);

    view.setQuantity(Quantity::Gradients);
    QCOMPARE(view.quantityBox()->currentData().toInt(), int(Quantity::Gradients));
    QCOMPARE(view.chartedLayers().size(), 2);
    view.clear();
    QVERIFY(view.chartedLayers().isEmpty());
    QCOMPARE(view.sampleCount(), 0);
}

void TestDistributionCharts::sharedSliderMovesEveryMarker() {
    LayerDistributionsView view;
    QSignalSpy steps(&view, &LayerDistributionsView::currentStepChanged);
    view.setSamples(run(6));
    QCOMPARE(view.slider()->maximum(), 5);
    QCOMPARE(view.slider()->value(), 5);  // a finished run opens on its end
    QCOMPARE(view.stepLabel()->text(), QStringLiteral("step 60 (epoch 3)"));
    view.slider()->setValue(2);
    QCOMPARE(view.currentSample(), 2);
    QCOMPARE(view.stepLabel()->text(), QStringLiteral("step 30 (epoch 2)"));
    for (const QString& layer : view.chartedLayers()) {
        QCOMPARE(view.chart(layer)->markerPosition(), 30.0);
    }
    QCOMPARE(steps.last().at(0).toLongLong(), 30);
    // Switching the quantity makes new charts; they mark the same step.
    view.setQuantity(Quantity::Weights);
    for (const QString& layer : view.chartedLayers()) {
        QCOMPARE(view.chart(layer)->markerPosition(), 30.0);
    }
}

void TestDistributionCharts::liveSamplesKeepTheSliderOnTheNewestUnlessMovedBack() {
    LayerDistributionsView view;
    view.setQuantity(Quantity::Gradients);
    for (int i = 1; i <= 4; ++i) {
        view.addSample(sample(10 * i, 1));
    }
    QCOMPARE(view.chartedLayers().size(), 2);
    DistributionChart* dense = view.chart(QStringLiteral("dense"));
    QCOMPARE(dense->sampleCount(), 4);
    QCOMPARE(view.slider()->value(), 3);
    QCOMPARE(dense->markerPosition(), 40.0);
    // The charts were appended to, not made again.
    view.addSample(sample(50, 2));
    QCOMPARE(view.chart(QStringLiteral("dense")), dense);
    QCOMPARE(dense->sampleCount(), 5);
    QCOMPARE(view.slider()->value(), 4);
    QCOMPARE(view.stepLabel()->text(), QStringLiteral("step 50 (epoch 2)"));

    view.slider()->setValue(1);
    view.addSample(sample(60, 2));
    QCOMPARE(view.slider()->maximum(), 5);
    QCOMPARE(view.slider()->value(), 1);
    QCOMPARE(dense->markerPosition(), 20.0);
    // Back at the newest, it follows again.
    view.slider()->setValue(5);
    view.addSample(sample(70, 3));
    QCOMPARE(view.slider()->value(), 6);
    QCOMPARE(dense->markerPosition(), 70.0);
}

void TestDistributionCharts::doubleClickChoosesTheLayer() {
    LayerDistributionsView view;
    view.setSamples(run(3));
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy chosen(&view, &LayerDistributionsView::layerChosen);
    QCustomPlot* plot = view.chart(QStringLiteral("output"))->plot();
    QTest::mouseDClick(plot, Qt::LeftButton, {}, plot->rect().center());
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.at(0).at(0).toString(), QStringLiteral("output"));
}

void TestDistributionCharts::columnsFollowTheWidth() {
    LayerDistributionsView view;
    view.setSamples(run(2));
    view.show();
    view.resize(1200, 600);
    QTRY_COMPARE(view.columnCount(), LayerDistributionsView::kMaxColumns);
    view.resize(870, 600);
    QTRY_COMPARE(view.columnCount(), 3);
    view.resize(400, 600);
    QTRY_COMPARE(view.columnCount(), LayerDistributionsView::kMinColumns);
}

void TestDistributionCharts::wheelOverAChartScrollsThePage() {
    std::vector<StatisticsSample> samples = run(3);
    // Twenty layers: far more than 300 pixels show.
    for (StatisticsSample& s : samples) {
        for (int i = 0; i < 20; ++i) {
            LayerStatistics extra = s.layers.front();
            extra.layer = "extra" + std::to_string(i);
            s.layers.push_back(extra);
        }
    }
    LayerDistributionsView view;
    view.setSamples(samples);
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QScrollBar* bar = view.findChild<QScrollArea*>()->verticalScrollBar();
    QTRY_VERIFY(bar->maximum() > 0);
    QCOMPARE(bar->value(), 0);
    QCustomPlot* plot = view.chart(QStringLiteral("dense"))->plot();
    const QPointF at = plot->rect().center();
    QWheelEvent wheel(at, plot->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    // As from the window system (as QTest sends mouse events): only such wheel events go on
    // to the parents of a widget that ignores them, and sendEvent would unmark it.
    QSpontaneKeyEvent::setSpontaneous(&wheel);
    qApp->notify(plot, &wheel);
    QVERIFY(bar->value() > 0);
}

void TestDistributionCharts::rendersSomething() {
    LayerDistributionsView view;
    view.setSamples(run(8));
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    DistributionChart* chart = view.chart(QStringLiteral("dense"));
    chart->redraw();
    const QImage image = chart->grab().toImage();
    QVERIFY(hasInk(image));
    // The bands themselves: the middle of the plot at the median, in the chart's hue.
    const QCPAxisRect* rect = chart->plot()->axisRect();
    const int x = int(chart->plot()->xAxis->coordToPixel(45));
    const int y = int(chart->plot()->yAxis->coordToPixel(chart->percentileAt(4, 4) + 0.3));
    QVERIFY(rect->rect().contains(x, y));
    const QColor band = image.pixelColor(x, y);
    QVERIFY2(band.red() > band.blue() + 40, qPrintable(band.name()));

    HistogramChart histogram;
    histogram.setSeries({{1, normal(0, 1, 500, 1)}, {2, normal(0.5, 1, 500, 2)}});
    histogram.resize(400, 300);
    histogram.show();
    QVERIFY(QTest::qWaitForWindowExposed(&histogram));
    histogram.redraw();
    QVERIFY(hasInk(histogram.grab().toImage()));
}

QTEST_MAIN(TestDistributionCharts)
#include "TestDistributionCharts.moc"
