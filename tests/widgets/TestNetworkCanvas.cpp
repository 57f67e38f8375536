#include "LayerHealthMonitor.h"
#include "LayerPalette.h"
#include "NetworkCanvas.h"
#include "NetworkModel.h"
#include "NodeItem.h"
#include "PortItem.h"
#include "WireItem.h"

#include <loom/Graph.h>

#include <QAction>
#include <QDropEvent>
#include <QMimeData>
#include <QSignalSpy>
#include <QTest>
#include <QUndoStack>

#include <algorithm>
#include <memory>

using namespace loom;

/// The network canvas as a person uses it: layers dropped from the palette, wires drawn from
/// port to port, shapes on the wires, wrong wires in red, delete, copy/paste, tidy, zoom and
/// the NaN/Inf mark. Every edit goes through the model's undo stack.
class TestNetworkCanvas : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void dropsLayerFromPalette();
    void wiresInputDenseDenseByDragging();
    void wireShapesFollowParameterEdits();
    void marksWrongWireWithReason();
    void refusesCycleAndWireIntoInput();
    void replacesTheOneInputOfASingleInputLayer();
    void mergesBranchesWithAddAndConcatenate();
    void deletesLayersAndWiresUndoably();
    void copiesAndPastesLayersWithTheirWires();
    void tidiesByDepth();
    void zoomsWithCtrlWheelAndFits();
    void marksNonFiniteOriginAndReportsClicks();
    void marksLayersTheChecksWarnAboutInAmber();
    void showsLayerHealthWhileTraining();
    void showsAGroupAsOneNodeUntilOpened();

private:
    /// Input(784) -> Dense(64) -> Dense(10), made through the model.
    void buildChain();
    QPoint viewPointOf(const QPointF& scenePoint) const;
    void dragWire(PortItem* from, PortItem* to);
    /// A base of 20 frozen layers in group "base" (b0 an Input, b1..b19 Dense), 100 apart
    /// downwards, under a head: head, out.
    void buildGroupedBase();
    int nodeItemCount() const;
    /// The colour painted at this point of a node (in the node's own coordinates).
    QColor colourOn(const NodeItem* node, const QPointF& point) const;

    std::unique_ptr<Graph> m_graph;
    std::unique_ptr<QUndoStack> m_undo;
    std::unique_ptr<NetworkModel> m_model;
    std::unique_ptr<NetworkCanvas> m_canvas;
};

void TestNetworkCanvas::init() {
    m_graph = std::make_unique<Graph>();
    m_undo = std::make_unique<QUndoStack>();
    m_model = std::make_unique<NetworkModel>(*m_graph, *m_undo);
    m_canvas = std::make_unique<NetworkCanvas>(*m_model);
    m_canvas->resize(1000, 800);
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
}

void TestNetworkCanvas::cleanup() {
    m_canvas.reset();
    m_model.reset();
    m_undo.reset();
    m_graph.reset();
}

void TestNetworkCanvas::buildChain() {
    QCOMPARE(m_model->addLayer("Input", {0, 0}), QStringLiteral("input"));
    QVERIFY(m_model->setParameter("input", "shape", {784}));
    QCOMPARE(m_model->addLayer("Dense", {0, 150}), QStringLiteral("dense"));
    QVERIFY(m_model->setParameter("dense", "units", 64));
    QCOMPARE(m_model->addLayer("Dense", {0, 300}), QStringLiteral("dense_1"));
    QVERIFY(m_model->connectLayers("input", "dense"));
    QVERIFY(m_model->connectLayers("dense", "dense_1"));
}

QPoint TestNetworkCanvas::viewPointOf(const QPointF& scenePoint) const {
    return m_canvas->mapFromScene(scenePoint);
}

void TestNetworkCanvas::dragWire(PortItem* from, PortItem* to) {
    const QPoint start = viewPointOf(from->scenePos());
    const QPoint end = viewPointOf(to->scenePos());
    QWidget* viewport = m_canvas->viewport();
    QTest::mousePress(viewport, Qt::LeftButton, {}, start);
    QTest::mouseMove(viewport, (start + end) / 2);
    QTest::mouseMove(viewport, end);
    QTest::mouseRelease(viewport, Qt::LeftButton, {}, end);
}

void TestNetworkCanvas::dropsLayerFromPalette() {
    LayerPalette palette;
    QTreeWidgetItem* dense = palette.kindItem("Dense");
    QVERIFY(dense);
    palette.setCurrentItem(dense);
    // What the palette hands to QDrag when the item is dragged out.
    std::unique_ptr<QMimeData> mime(palette.model()->mimeData({palette.currentIndex()}));
    QVERIFY(mime);
    QCOMPARE(mime->data(kLayerKindMimeType), QByteArray("Dense"));

    const QPoint dropAt(500, 400);
    QDragEnterEvent enter(dropAt, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_canvas->viewport(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(dropAt, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_canvas->viewport(), &drop);
    QVERIFY(drop.isAccepted());

    QVERIFY(m_graph->contains("dense"));
    NodeItem* node = m_canvas->nodeItem("dense");
    QVERIFY(node);
    // Centred under the pointer, and selected.
    const QPointF centre = node->pos() + QPointF(NodeItem::kWidth / 2, NodeItem::kHeight / 2);
    QVERIFY((m_canvas->mapToScene(dropAt) - centre).manhattanLength() < 2);
    QCOMPARE(m_canvas->selectedLayers(), QStringList{"dense"});
    QVERIFY(!node->isValid());  // no input yet
    QVERIFY(node->toolTip().contains("input"));

    m_undo->undo();
    QVERIFY(!m_graph->contains("dense"));
    QVERIFY(!m_canvas->nodeItem("dense"));
    m_undo->redo();
    QVERIFY(m_canvas->nodeItem("dense"));
}

void TestNetworkCanvas::wiresInputDenseDenseByDragging() {
    m_model->addLayer("Input", {0, 0});
    m_model->addLayer("Dense", {0, 160});
    m_model->setParameter("dense", "units", 128);
    m_model->addLayer("Dense", {0, 320});

    dragWire(m_canvas->nodeItem("input")->outputPort(), m_canvas->nodeItem("dense")->inputPort());
    // From an input port back to an output port works as well.
    dragWire(m_canvas->nodeItem("dense_1")->inputPort(), m_canvas->nodeItem("dense")->outputPort());

    QCOMPARE(m_graph->node("dense").inputs, std::vector<std::string>{"input"});
    QCOMPARE(m_graph->node("dense_1").inputs, std::vector<std::string>{"dense"});
    WireItem* first = m_canvas->wireItem("input", "dense");
    WireItem* second = m_canvas->wireItem("dense", "dense_1");
    QVERIFY(first && second);
    QCOMPARE(first->shapeText(), QStringLiteral("(None, 784)"));
    QCOMPARE(second->shapeText(), QStringLiteral("(None, 128)"));
    QVERIFY(first->isValid() && second->isValid());
    // The model's output shape is written past the last layer's output port.
    QCOMPARE(m_canvas->nodeItem("dense_1")->modelOutputShape(), QStringLiteral("(None, 10)"));
    QVERIFY(m_canvas->nodeItem("dense")->modelOutputShape().isEmpty());
    QVERIFY(m_model->analysis().isValid());
    // Each node shows its cost: 784*128 + 128 parameters, 784*128 multiply-adds.
    QCOMPARE(m_canvas->nodeItem("dense")->costText(), QStringLiteral("100 k params · 100 k MACs"));
    QCOMPARE(*m_model->analysis().find("dense")->parameters, 784 * 128 + 128);
    QCOMPARE(*m_model->analysis().find("dense")->multiplyAdds, 784 * 128);

    // Two undo steps take both wires away again.
    m_undo->undo();
    m_undo->undo();
    QCOMPARE(m_canvas->wireItems().size(), 0);
}

void TestNetworkCanvas::wireShapesFollowParameterEdits() {
    buildChain();
    QCOMPARE(m_canvas->wireItem("dense", "dense_1")->shapeText(), QStringLiteral("(None, 64)"));
    QVERIFY(m_model->setParameter("dense", "units", 32));
    QCOMPARE(m_canvas->wireItem("dense", "dense_1")->shapeText(), QStringLiteral("(None, 32)"));
    QVERIFY(m_model->setParameter("input", "shape", {1, 28, 28}));
    // Dense wants a flat input: the wire into it turns red and says why.
    WireItem* intoDense = m_canvas->wireItem("input", "dense");
    QCOMPARE(intoDense->shapeText(), QStringLiteral("(None, 1, 28, 28)"));
    QVERIFY(!intoDense->isValid());
    QVERIFY2(intoDense->toolTip().contains("flat input"), qPrintable(intoDense->toolTip()));
    // Downstream of a bad layer the shape is unknown, not wrong.
    QCOMPARE(m_canvas->wireItem("dense", "dense_1")->shapeText(), QStringLiteral("?"));
    m_undo->undo();
    QVERIFY(m_canvas->wireItem("input", "dense")->isValid());
}

void TestNetworkCanvas::marksWrongWireWithReason() {
    buildChain();
    m_model->addLayer("Conv2D", {0, 450});
    QVERIFY(m_model->connectLayers("dense_1", "conv2d"));
    WireItem* wrong = m_canvas->wireItem("dense_1", "conv2d");
    QVERIFY(wrong);
    QVERIFY(!wrong->isValid());
    QVERIFY2(wrong->toolTip().contains("image"), qPrintable(wrong->toolTip()));
    NodeItem* conv = m_canvas->nodeItem("conv2d");
    QVERIFY(!conv->isValid());
    QVERIFY2(conv->toolTip().contains("image"), qPrintable(conv->toolTip()));
    QVERIFY(m_canvas->wireItem("input", "dense")->isValid());
    QVERIFY(m_canvas->nodeItem("dense_1")->isValid());
}

void TestNetworkCanvas::refusesCycleAndWireIntoInput() {
    buildChain();
    QSignalSpy refused(m_model.get(), &NetworkModel::editRefused);
    const int steps = m_undo->count();
    QVERIFY(!m_model->connectLayers("dense_1", "dense"));
    QVERIFY(refused.last().first().toString().contains("cycle"));
    QVERIFY(!m_model->connectLayers("dense", "input"));
    QVERIFY(refused.last().first().toString().contains("Input"));
    QVERIFY(!m_model->setParameter("dense", "units", -3));
    QVERIFY(refused.last().first().toString().contains("units"));
    QCOMPARE(m_undo->count(), steps);
    QCOMPARE(m_graph->node("dense").inputs, std::vector<std::string>{"input"});
}

void TestNetworkCanvas::replacesTheOneInputOfASingleInputLayer() {
    buildChain();
    m_model->addLayer("Input", {300, 0});
    m_model->setParameter("input_1", "shape", {20});
    QVERIFY(m_model->connectLayers("input_1", "dense"));
    QCOMPARE(m_graph->node("dense").inputs, std::vector<std::string>{"input_1"});
    QCOMPARE(m_canvas->wireItem("input_1", "dense")->shapeText(), QStringLiteral("(None, 20)"));
    QVERIFY(!m_canvas->wireItem("input", "dense"));
    m_undo->undo();
    QCOMPARE(m_graph->node("dense").inputs, std::vector<std::string>{"input"});
}

void TestNetworkCanvas::mergesBranchesWithAddAndConcatenate() {
    buildChain();
    m_model->addLayer("Dense", {300, 300});
    m_model->setParameter("dense_2", "units", 10);
    m_model->connectLayers("dense", "dense_2");
    m_model->addLayer("Add", {150, 450});
    m_model->connectLayers("dense_1", "add");
    QVERIFY(!m_canvas->nodeItem("add")->isValid());  // Add takes at least two inputs
    m_model->connectLayers("dense_2", "add");
    QVERIFY(m_canvas->nodeItem("add")->isValid());
    QCOMPARE(m_canvas->wireItem("dense_2", "add")->shapeText(), QStringLiteral("(None, 10)"));

    m_model->addLayer("Concatenate", {150, 600});
    m_model->connectLayers("dense_1", "concatenate");
    m_model->connectLayers("add", "concatenate");
    QVERIFY(m_model->analysis().isValid());
    QCOMPARE(m_model->analysis().find("concatenate")->outputShape, Shape({20}));
    QCOMPARE(m_graph->node("concatenate").inputs, (std::vector<std::string>{"dense_1", "add"}));
}

void TestNetworkCanvas::deletesLayersAndWiresUndoably() {
    buildChain();
    m_canvas->selectLayers({"dense"});
    m_canvas->deleteAction()->trigger();
    QVERIFY(!m_graph->contains("dense"));
    QVERIFY(!m_canvas->nodeItem("dense"));
    QCOMPARE(m_canvas->wireItems().size(), 0);
    QVERIFY(m_graph->node("dense_1").inputs.empty());
    m_undo->undo();
    QCOMPARE(m_graph->node("dense").inputs, std::vector<std::string>{"input"});
    QCOMPARE(m_graph->node("dense_1").inputs, std::vector<std::string>{"dense"});
    QCOMPARE(m_graph->layer("dense").params().getInt("units"), 64);
    QCOMPARE(m_canvas->nodeItem("dense")->pos(), QPointF(0, 150));
    QCOMPARE(m_canvas->wireItems().size(), 2);

    // A selected wire alone is disconnected.
    m_canvas->scene()->clearSelection();
    m_canvas->wireItem("dense", "dense_1")->setSelected(true);
    m_canvas->deleteSelection();
    QVERIFY(m_graph->node("dense_1").inputs.empty());
    QVERIFY(m_graph->contains("dense"));
    m_undo->undo();
    QCOMPARE(m_graph->node("dense_1").inputs, std::vector<std::string>{"dense"});
}

void TestNetworkCanvas::copiesAndPastesLayersWithTheirWires() {
    buildChain();
    m_canvas->selectLayers({"dense", "dense_1"});
    m_canvas->copyAction()->trigger();
    m_canvas->pasteAction()->trigger();

    QVERIFY(m_graph->contains("dense_2") && m_graph->contains("dense_3"));
    QCOMPARE(m_canvas->selectedLayers(), (QStringList{"dense_2", "dense_3"}));
    // The wire between the copies is copied, the one from the input is not.
    QVERIFY(m_graph->node("dense_2").inputs.empty());
    QCOMPARE(m_graph->node("dense_3").inputs, std::vector<std::string>{"dense_2"});
    QCOMPARE(m_graph->layer("dense_2").params().getInt("units"), 64);
    QCOMPARE(m_canvas->nodeItem("dense_2")->pos(),
             m_canvas->nodeItem("dense")->pos() + QPointF(30, 30));
    // A second paste lands further on, with fresh names again.
    m_canvas->paste();
    QVERIFY(m_graph->contains("dense_4") && m_graph->contains("dense_5"));
    QCOMPARE(m_canvas->nodeItem("dense_4")->pos(), QPointF(60, 210));

    m_undo->undo();
    m_undo->undo();
    QCOMPARE(m_graph->nodes().size(), size_t(3));
}

void TestNetworkCanvas::tidiesByDepth() {
    buildChain();
    m_model->addLayer("Dense", {900, 900});
    m_model->connectLayers("dense", "dense_2");
    m_model->moveLayers({{"input", {400, 700}}, {"dense", {-300, 20}}});
    m_canvas->tidyAction()->trigger();

    const auto at = [&](const char* layer) { return m_canvas->nodeItem(layer)->pos(); };
    // Top to bottom by depth; the two layers at depth 2 side by side on one row.
    QVERIFY(at("input").y() < at("dense").y());
    QVERIFY(at("dense").y() < at("dense_1").y());
    QCOMPARE(at("dense_1").y(), at("dense_2").y());
    QVERIFY(at("dense_1").x() != at("dense_2").x());
    QCOMPARE(at("input").x(), at("dense").x());

    m_undo->undo();
    QCOMPARE(at("input"), QPointF(400, 700));
    QCOMPARE(at("dense_2"), QPointF(900, 900));

    m_canvas->setFlow(Qt::Horizontal);
    m_canvas->tidyLayout();
    QVERIFY(at("input").x() < at("dense").x());
    QCOMPARE(at("input").y(), at("dense").y());
}

void TestNetworkCanvas::zoomsWithCtrlWheelAndFits() {
    buildChain();
    const qreal before = m_canvas->transform().m11();
    const QPoint centre = m_canvas->viewport()->rect().center();
    QWheelEvent wheel(centre, m_canvas->viewport()->mapToGlobal(centre), QPoint(), QPoint(0, 120),
                      Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(m_canvas->viewport(), &wheel);
    QVERIFY(m_canvas->transform().m11() > before);

    for (int i = 0; i < 20; ++i) {
        m_model->addLayer("Dense", {0, 200.0 * i + 600});
    }
    m_canvas->fitAll();
    QVERIFY(m_canvas->transform().m11() < 1.0);
    const QRectF visible = m_canvas->mapToScene(m_canvas->viewport()->rect()).boundingRect();
    for (const char* layer : {"input", "dense_21"}) {
        QVERIFY(visible.contains(m_canvas->nodeItem(layer)->sceneBoundingRect()));
    }
}

void TestNetworkCanvas::marksNonFiniteOriginAndReportsClicks() {
    buildChain();
    m_canvas->markNonFiniteOrigin("dense");
    QVERIFY(m_canvas->nodeItem("dense")->isNonFiniteOrigin());
    // The mark survives edits elsewhere and moves with a new mark.
    m_model->setParameter("dense_1", "units", 5);
    QVERIFY(m_canvas->nodeItem("dense")->isNonFiniteOrigin());
    m_canvas->markNonFiniteOrigin("dense_1");
    QVERIFY(!m_canvas->nodeItem("dense")->isNonFiniteOrigin());

    QSignalSpy clicked(m_canvas.get(), &NetworkCanvas::layerClicked);
    QSignalSpy selection(m_canvas.get(), &NetworkCanvas::selectionChanged);
    NodeItem* node = m_canvas->nodeItem("dense_1");
    const QPoint body = viewPointOf(node->pos() + QPointF(NodeItem::kWidth / 3, 40));
    QTest::mouseClick(m_canvas->viewport(), Qt::LeftButton, {}, body);
    QCOMPARE(clicked.size(), 1);
    QCOMPARE(clicked.first().first().toString(), QStringLiteral("dense_1"));
    QVERIFY(!selection.isEmpty());
    QCOMPARE(selection.last().first().toStringList(), QStringList{"dense_1"});
    // A click is not a move: nothing new on the undo stack.
    QCOMPARE(m_undo->undoText(), m_undo->text(m_undo->count() - 1));
    m_canvas->markNonFiniteOrigin(QString());
    QVERIFY(!node->isNonFiniteOrigin());
}

QColor TestNetworkCanvas::colourOn(const NodeItem* node, const QPointF& point) const {
    const QImage shot = m_canvas->viewport()->grab().toImage();
    return shot.pixelColor(viewPointOf(node->mapToScene(point)));
}

void TestNetworkCanvas::marksLayersTheChecksWarnAboutInAmber() {
    buildChain();  // dense_1 has no softmax
    NetworkCheckInputs inputs;
    inputs.training.loss = "categorical_crossentropy";
    const std::vector<NetworkWarning> warnings = checkNetwork(m_model->graph(), inputs);
    QCOMPARE(warnings.size(), size_t{1});
    m_canvas->setWarnings(warnings);
    NodeItem* output = m_canvas->nodeItem("dense_1");
    NodeItem* hidden = m_canvas->nodeItem("dense");
    QVERIFY(output->showsWarning());
    QVERIFY(!hidden->showsWarning());
    QVERIFY2(output->toolTip().contains("has no softmax"), qPrintable(output->toolTip()));
    // The body turns amber, below the text, where a plain layer's stays near white.
    const QPointF bodyCorner(NodeItem::kWidth - 12, NodeItem::kHeight - 6);
    const QColor amber = colourOn(output, bodyCorner);
    const QColor plain = colourOn(hidden, bodyCorner);
    QVERIFY2(amber.blue() < 225 && amber.red() > 240, qPrintable(amber.name()));
    QVERIFY2(plain.blue() > 240, qPrintable(plain.name()));

    // Red wins: an invalid layer shows its problem, not the warning.
    QVERIFY(m_model->setParameter("input", "shape", {1, 28, 28}));
    QVERIFY(!output->isValid());
    QVERIFY(!output->showsWarning());
    m_undo->undo();
    QVERIFY(output->showsWarning());

    // The warnings of the next check replace these; the mark goes with its warning.
    m_canvas->setWarnings({});
    QVERIFY(!output->showsWarning());
    QVERIFY(!output->toolTip().contains("has no softmax"));
    QVERIFY(colourOn(output, bodyCorner).blue() > 240);
}

void TestNetworkCanvas::showsLayerHealthWhileTraining() {
    buildChain();
    LayerHealthMonitor monitor;
    connect(&monitor, &LayerHealthMonitor::changed, m_canvas.get(),
            [&] { m_canvas->setTrainingHealth(monitor.health()); });
    // dense's ReLUs all died; dense_1 is healthy. Gradients shrink step by step.
    const auto sample = [](int64_t step, double deadFraction) {
        LayerStatistics dense, output;
        dense.layer = "dense";
        dense.deadFraction = deadFraction;
        dense.weightCount = output.weightCount = 100;
        dense.gradientNorm = 1.0 / double(step);
        output.layer = "dense_1";
        output.gradientNorm = 2.0 / double(step);
        dense.updateRatio = output.updateRatio = 1e-3;
        return StatisticsSample{step, 1, {dense, output}};
    };
    NodeItem* dense = m_canvas->nodeItem("dense");
    NodeItem* output = m_canvas->nodeItem("dense_1");
    monitor.addSample(sample(1, 0.1));
    QVERIFY(!dense->showsSparkline());  // one point is no line
    monitor.addSample(sample(2, 0.1));
    monitor.addSample(sample(3, 1.0));
    QVERIFY(dense->showsSparkline());
    QVERIFY(dense->showsWarning());
    QVERIFY(!output->showsWarning());
    QVERIFY2(dense->toolTip().contains("dead units") && dense->toolTip().contains("100%") &&
                 dense->toolTip().contains("LeakyReLU") &&
                 dense->toolTip().contains("gradient norm: 3.3e-01"),
             qPrintable(dense->toolTip()));
    // The sparkline is drawn in the body's top right: dark ink where the body is near white.
    const QImage shot = m_canvas->viewport()->grab().toImage();
    const QRect line = QRect(viewPointOf(output->mapToScene(QPointF(NodeItem::kWidth - 72, 25))),
                             viewPointOf(output->mapToScene(QPointF(NodeItem::kWidth - 8, 40))));
    int ink = 0;
    for (int y = line.top(); y <= line.bottom(); ++y) {
        for (int x = line.left(); x <= line.right(); ++x) {
            ink += shot.pixelColor(x, y).lightness() < 160 ? 1 : 0;
        }
    }
    QVERIFY2(ink > 10, qPrintable(QString::number(ink)));
    // The view's other measure, and a new run clears everything.
    monitor.setMeasure(LayerHealthMonitor::Measure::UpdateRatio);
    QVERIFY(dense->toolTip().contains("update ratio: 1.0e-03"));
    monitor.clear();
    QVERIFY(!dense->showsWarning());
    QVERIFY(!dense->showsSparkline());
}

void TestNetworkCanvas::buildGroupedBase() {
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"name", "b0"}, {"type", "Input"}, {"params", {{"shape", {8}}}}});
    for (int i = 1; i < 20; ++i) {
        layers.push_back({{"name", "b" + std::to_string(i)},
                          {"type", "Dense"},
                          {"params", {{"units", 8}}},
                          {"inputs", {"b" + std::to_string(i - 1)}}});
    }
    for (size_t i = 0; i < layers.size(); ++i) {
        layers[i]["group"] = "base";
        layers[i]["trainable"] = false;
        layers[i]["position"] = {0, 100 * double(i)};
    }
    layers.push_back({{"name", "head"},
                      {"type", "Dense"},
                      {"params", {{"units", 4}}},
                      {"inputs", {"b19"}},
                      {"position", {0, 2000}}});
    layers.push_back({{"name", "out"},
                      {"type", "Dense"},
                      {"params", {{"units", 2}, {"activation", "softmax"}}},
                      {"inputs", {"head"}},
                      {"position", {0, 2100}}});
    *m_graph = Graph::fromJson({{"format", "loom-graph"}, {"version", 1}, {"layers", layers}});
    m_model->reset();
}

int TestNetworkCanvas::nodeItemCount() const {
    const QList<QGraphicsItem*> items = m_canvas->scene()->items();
    return int(std::count_if(items.begin(), items.end(), [](const QGraphicsItem* item) {
        return item->type() == NodeItem::Type;
    }));
}

void TestNetworkCanvas::showsAGroupAsOneNodeUntilOpened() {
    buildGroupedBase();
    NodeItem* base = m_canvas->groupItem("base");
    QVERIFY(base);
    QCOMPARE(nodeItemCount(), 3);
    QCOMPARE(m_canvas->wireItems().size(), 2);
    QCOMPARE(m_canvas->nodeItem("b7"), base);
    QCOMPARE(base->typeText(), QStringLiteral("20 layers · frozen"));
    QCOMPARE(base->pos(), QPointF(0, 1900));  // where b19, which feeds the head, stands
    QCOMPARE(base->costText(), QStringLiteral("1.37 k params · 1.22 k MACs"));
    QVERIFY(m_canvas->wireItem("b19", "head"));

    // Selecting the group selects its layers; selecting a layer selects the group.
    m_canvas->selectLayers({"b3"});
    QVERIFY(base->isSelected());
    QCOMPARE(m_canvas->selectedLayers().size(), 20);

    // Dragging the group moves its 20 layers, one undo step.
    const int steps = m_undo->count();
    const QPoint grab = viewPointOf(base->scenePos() + QPointF(40, 30));
    QTest::mousePress(m_canvas->viewport(), Qt::LeftButton, {}, grab);
    QTest::mouseMove(m_canvas->viewport(), grab + QPoint(25, 10));
    QTest::mouseMove(m_canvas->viewport(), grab + QPoint(50, 20));
    QTest::mouseRelease(m_canvas->viewport(), Qt::LeftButton, {}, grab + QPoint(50, 20));
    QCOMPARE(m_undo->count(), steps + 1);
    QCOMPARE(m_model->position("b0"), QPointF(50, 20));
    QCOMPARE(m_model->position("b19"), QPointF(50, 1920));
    QCOMPARE(m_model->position("head"), QPointF(0, 2000));
    // A layout that moves everything far away keeps it in scrolling range.
    QHash<QString, QPointF> far;
    for (const Graph::Node& node : m_graph->nodes()) {
        far.insert(QString::fromStdString(node.layer->name()), QPointF(node.x, node.y + 9000));
    }
    m_model->moveLayers(far);
    QVERIFY(m_canvas->sceneRect().contains(m_canvas->nodeItem("out")->sceneBoundingRect()));
    m_undo->undo();
    m_undo->undo();
    QCOMPARE(m_model->position("b0"), QPointF(0, 0));
    QCOMPARE(m_canvas->groupItem("base")->pos(), QPointF(0, 1900));

    // A warning about a layer inside shows on the group, naming the layer.
    m_canvas->setWarnings({NetworkWarning{"b3", "a made-up problem", std::nullopt}});
    QVERIFY(m_canvas->groupItem("base")->showsWarning());
    QVERIFY(m_canvas->groupItem("base")->toolTip().contains("b3: a made-up problem"));

    // A double-click opens it: every layer and wire of its own.
    QTest::mouseDClick(m_canvas->viewport(), Qt::LeftButton, {},
                       viewPointOf(m_canvas->groupItem("base")->scenePos() + QPointF(40, 30)));
    QVERIFY(!m_canvas->groupItem("base"));
    QCOMPARE(nodeItemCount(), 22);
    QCOMPARE(m_canvas->wireItems().size(), 21);
    QVERIFY(m_canvas->nodeItem("b3")->showsWarning());
    // Open or Close Group on one of its layers closes it again.
    m_canvas->selectLayers({"b12"});
    m_canvas->groupAction()->trigger();
    QCOMPARE(nodeItemCount(), 3);

    // Edits of the layers inside keep the group whole: a deleted exit and its undo.
    m_model->removeLayers({"b19"});
    QCOMPARE(m_canvas->groupItem("base")->typeText(), QStringLiteral("19 layers · frozen"));
    m_undo->undo();
    QCOMPARE(m_canvas->groupItem("base")->typeText(), QStringLiteral("20 layers · frozen"));
    QCOMPARE(m_canvas->wireItems().size(), 2);
    // Fine-tuning shows on the group's line.
    QVERIFY(m_model->fineTuneFrom("b15", 0.1));
    QCOMPARE(m_canvas->groupItem("base")->typeText(), QStringLiteral("20 layers · 5 of 19 train"));
}

QTEST_MAIN(TestNetworkCanvas)
#include "TestNetworkCanvas.moc"
