#include "NetworkCanvas.h"

#include "GraphFragment.h"
#include "LayerPalette.h"
#include "NetworkModel.h"
#include "NodeItem.h"
#include "PortItem.h"
#include "WireItem.h"

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/Json.h>
#include <loom/Layer.h>

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDragEnterEvent>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QKeyEvent>
#include <QMimeData>
#include <QPainter>
#include <QScrollBar>
#include <QSet>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

namespace loom {

namespace {

constexpr qreal kMinimumZoom = 0.1;
constexpr qreal kMaximumZoom = 4.0;
/// How far each paste lands from the last, so that copies never hide each other.
constexpr qreal kPasteStep = 30;
/// Extra room around the network that can be scrolled to, for new layers and wires.
constexpr qreal kSceneMargin = 1500;

QPixmap dotGrid() {
    QPixmap tile(24, 24);
    tile.fill(QColor(0xee, 0xf0, 0xf3));
    QPainter painter(&tile);
    painter.setPen(QColor(0xc8, 0xcc, 0xd2));
    painter.drawPoint(0, 0);
    return tile;
}

NodeItem* nodeOf(QGraphicsItem* item) {
    for (; item != nullptr; item = item->parentItem()) {
        if (item->type() == NodeItem::Type) {
            return static_cast<NodeItem*>(item);
        }
    }
    return nullptr;
}

}  // namespace

NetworkCanvas::NetworkCanvas(NetworkModel& model, QWidget* parent)
    : QGraphicsView(parent), m_model(model), m_scene(new QGraphicsScene(this)) {
    setObjectName(QStringLiteral("networkCanvas"));
    setScene(m_scene);
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setBackgroundBrush(dotGrid());
    setAcceptDrops(true);
    createActions();
    connect(&m_model, &NetworkModel::changed, this, &NetworkCanvas::synchronise);
    connect(&m_model, &NetworkModel::layersMoved, this, &NetworkCanvas::syncPositions);
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &NetworkCanvas::emitSelection);
    synchronise();
}

NetworkCanvas::~NetworkCanvas() {
    // Wires go with their nodes; the scene must not outlive the model it shows.
    disconnect(m_scene, nullptr, this, nullptr);
    qDeleteAll(m_nodes);
    qDeleteAll(m_groups);
}

QSizeF NetworkCanvas::layoutCell(Qt::Orientation flow) {
    // Vertical gaps hold one line of wire label; horizontal ones the longest shape text.
    return flow == Qt::Vertical ? QSizeF(NodeItem::kWidth + 40, NodeItem::kHeight + 46)
                                : QSizeF(NodeItem::kWidth + 150, NodeItem::kHeight + 36);
}

void NetworkCanvas::setFlow(Qt::Orientation flow) {
    m_flow = flow;
    for (const QHash<QString, NodeItem*>* shown : {&m_nodes, &m_groups}) {
        for (NodeItem* node : *shown) {
            node->setFlow(flow);
        }
    }
}

void NetworkCanvas::createActions() {
    m_deleteAction =
        addShortcutAction(tr("&Delete"), QKeySequence::Delete, &NetworkCanvas::deleteSelection);
    m_deleteAction->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    m_copyAction =
        addShortcutAction(tr("&Copy"), QKeySequence::Copy, &NetworkCanvas::copySelection);
    m_cutAction = addShortcutAction(tr("Cu&t"), QKeySequence::Cut, &NetworkCanvas::cutSelection);
    m_pasteAction = addShortcutAction(tr("&Paste"), QKeySequence::Paste, &NetworkCanvas::paste);
    m_selectAllAction =
        addShortcutAction(tr("Select &All"), QKeySequence::SelectAll, &NetworkCanvas::selectAll);
    m_tidyAction = addShortcutAction(tr("&Tidy Layout"), QKeySequence(Qt::CTRL | Qt::Key_L),
                                     &NetworkCanvas::tidyLayout);
    m_fitAction = addShortcutAction(tr("&Fit Network in View"), QKeySequence(Qt::CTRL | Qt::Key_0),
                                    &NetworkCanvas::fitAll);
    m_groupAction =
        addShortcutAction(tr("Open or Close &Group"), QKeySequence(Qt::CTRL | Qt::Key_G),
                          &NetworkCanvas::toggleSelectedGroups);
}

QAction* NetworkCanvas::addShortcutAction(const QString& text, const QKeySequence& shortcut,
                                          void (NetworkCanvas::*slot)()) {
    auto* action = new QAction(text, this);
    action->setShortcut(shortcut);
    // Only while the canvas has focus: Ctrl+C in a property's line edit copies its text.
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(action, &QAction::triggered, this, slot);
    addAction(action);
    return action;
}

NodeItem* NetworkCanvas::nodeItem(const QString& layer) const {
    const auto group = m_collapsedInto.constFind(layer);
    return group != m_collapsedInto.cend() ? m_groups.value(*group, nullptr)
                                           : m_nodes.value(layer, nullptr);
}

void NetworkCanvas::expandGroup(const QString& group) {
    m_expandedGroups.insert(group);
    synchronise();
}

void NetworkCanvas::collapseGroup(const QString& group) {
    m_expandedGroups.remove(group);
    synchronise();
}

void NetworkCanvas::toggleSelectedGroups() {
    QSet<QString> open, close;
    for (auto group = m_groups.cbegin(); group != m_groups.cend(); ++group) {
        if (group.value()->isSelected()) {
            open.insert(group.key());
        }
    }
    for (const QString& layer : selectedLayers()) {
        const std::string& group = m_model.graph().node(layer.toStdString()).group;
        if (!group.empty() && !m_collapsedInto.contains(layer)) {
            close.insert(QString::fromStdString(group));
        }
    }
    m_expandedGroups.unite(open);
    m_expandedGroups.subtract(open.isEmpty() ? close : QSet<QString>());
    synchronise();
}

QString NetworkCanvas::layerAt(const NodeItem* node, bool outputSide) const {
    const QString group = m_groups.key(const_cast<NodeItem*>(node));
    if (group.isEmpty()) {
        return node->name();
    }
    return outputSide ? m_groupExits.value(group) : QString();
}

WireItem* NetworkCanvas::wireItem(const QString& from, const QString& to) const {
    for (WireItem* wire : wireItems()) {
        if (wire->fromLayer() == from && wire->toLayer() == to) {
            return wire;
        }
    }
    return nullptr;
}

QList<WireItem*> NetworkCanvas::wireItems() const {
    QList<WireItem*> wires;
    for (QGraphicsItem* item : m_scene->items()) {
        if (item->type() == WireItem::Type) {
            wires.append(static_cast<WireItem*>(item));
        }
    }
    return wires;
}

QStringList NetworkCanvas::selectedLayers() const {
    QStringList names;
    for (const Graph::Node& node : m_model.graph().nodes()) {
        const QString name = QString::fromStdString(node.layer->name());
        if (NodeItem* item = nodeItem(name); item != nullptr && item->isSelected()) {
            names << name;
        }
    }
    return names;
}

void NetworkCanvas::selectLayers(const QStringList& layers) {
    const QSignalBlocker blocker(m_scene);
    m_scene->clearSelection();
    for (const QString& layer : layers) {
        if (NodeItem* item = nodeItem(layer)) {
            item->setSelected(true);
        }
    }
    emitSelection();
}

void NetworkCanvas::markNonFiniteOrigin(const QString& layer) {
    if (NodeItem* previous = nodeItem(m_nonFiniteOrigin)) {
        previous->setNonFiniteOrigin(false);
    }
    m_nonFiniteOrigin = layer;
    if (NodeItem* origin = nodeItem(layer)) {
        origin->setNonFiniteOrigin(true);
        ensureVisible(origin);
    }
}

void NetworkCanvas::setWarnings(const std::vector<NetworkWarning>& warnings) {
    m_warnings.clear();
    for (const NetworkWarning& warning : warnings) {
        if (!warning.layer.empty()) {
            m_warnings[QString::fromStdString(warning.layer)]
                << QString::fromStdString(warning.message);
        }
    }
    for (auto node = m_nodes.cbegin(); node != m_nodes.cend(); ++node) {
        node.value()->setWarnings(m_warnings.value(node.key()));
    }
    markGroups();
}

void NetworkCanvas::setTrainingHealth(const QHash<QString, NodeTrainingHealth>& health) {
    m_health = health;
    for (auto node = m_nodes.cbegin(); node != m_nodes.cend(); ++node) {
        node.value()->setTrainingHealth(m_health.value(node.key()));
    }
    markGroups();
}

QStringList NetworkCanvas::groupMessages(
    const QString& group, const std::function<QStringList(const QString&)>& of) const {
    QStringList messages;
    for (const Graph::Node& node : m_model.graph().nodes()) {
        const QString layer = QString::fromStdString(node.layer->name());
        if (m_collapsedInto.value(layer) == group) {
            for (const QString& message : of(layer)) {
                messages << QStringLiteral("%1: %2").arg(layer, message);
            }
        }
    }
    return messages;
}

void NetworkCanvas::markGroups() {
    for (auto item = m_groups.cbegin(); item != m_groups.cend(); ++item) {
        item.value()->setWarnings(groupMessages(
            item.key(), [this](const QString& layer) { return m_warnings.value(layer); }));
        NodeTrainingHealth health;
        health.problems = groupMessages(
            item.key(), [this](const QString& layer) { return m_health.value(layer).problems; });
        item.value()->setTrainingHealth(health);
        item.value()->setNonFiniteOrigin(m_collapsedInto.value(m_nonFiniteOrigin) == item.key());
    }
}

QString NetworkCanvas::addLayerAtCentre(const QString& type) {
    const QPointF centre = mapToScene(viewport()->rect().center());
    const QString name =
        m_model.addLayer(type, centre - QPointF(NodeItem::kWidth / 2, NodeItem::kHeight / 2));
    selectLayers({name});
    return name;
}

void NetworkCanvas::synchronise() {
    syncNodes();
    syncWires();
    fitSceneRect();
}

void NetworkCanvas::fitSceneRect() {
    m_scene->setSceneRect(m_scene->itemsBoundingRect().adjusted(-kSceneMargin, -kSceneMargin,
                                                                kSceneMargin, kSceneMargin));
}

void NetworkCanvas::syncNodes() {
    const std::vector<CollapsedGroup> groups =
        collapsedGroups(m_model.graph(), m_model.analysis(), m_expandedGroups);
    m_collapsedInto.clear();
    for (const CollapsedGroup& group : groups) {
        for (const QString& member : group.members) {
            m_collapsedInto.insert(member, group.name);
        }
    }
    QHash<QString, NodeItem*> kept;
    for (const Graph::Node& node : m_model.graph().nodes()) {
        const QString name = QString::fromStdString(node.layer->name());
        if (m_collapsedInto.contains(name)) {
            continue;
        }
        NodeItem* item = m_nodes.take(name);
        if (item == nullptr) {
            item = new NodeItem(name, QString::fromStdString(node.layer->type()),
                                QString::fromStdString(node.layer->kind().category), m_flow);
            m_scene->addItem(item);
        }
        if (const LayerAnalysis* analysis = m_model.analysis().find(node.layer->name())) {
            item->setAnalysis(*analysis);
        }
        item->setPos(node.x, node.y);
        item->setNonFiniteOrigin(name == m_nonFiniteOrigin);
        item->setWarnings(m_warnings.value(name));
        item->setTrainingHealth(m_health.value(name));
        kept.insert(name, item);
    }
    // What is left was removed from the graph (or went into a collapsed group); its wires go
    // with it.
    qDeleteAll(m_nodes);
    m_nodes = std::move(kept);
    syncGroupNodes(groups);
}

void NetworkCanvas::syncGroupNodes(const std::vector<CollapsedGroup>& groups) {
    QHash<QString, NodeItem*> kept;
    m_groupExits.clear();
    for (const CollapsedGroup& group : groups) {
        NodeItem* item = m_groups.take(group.name);
        if (item == nullptr) {
            item = new NodeItem(group.name, QString(), QStringLiteral("Group"), m_flow);
            item->setStacked(true);
            m_scene->addItem(item);
        }
        item->setType(groupDescription(group));
        item->setAnalysis(group.summary);
        item->setPos(group.position);
        m_groupExits.insert(group.name, group.exit);
        kept.insert(group.name, item);
    }
    qDeleteAll(m_groups);
    m_groups = std::move(kept);
    markGroups();
}

void NetworkCanvas::syncWires() {
    qDeleteAll(wireItems());
    const NetworkAnalysis& analysis = m_model.analysis();
    QSet<QString> consumed;
    for (const Graph::Node& node : m_model.graph().nodes()) {
        for (const std::string& input : node.inputs) {
            consumed.insert(QString::fromStdString(input));
        }
    }
    for (const Graph::Node& node : m_model.graph().nodes()) {
        const QString name = QString::fromStdString(node.layer->name());
        const LayerAnalysis* own = analysis.find(node.layer->name());
        if (m_collapsedInto.contains(name)) {
            continue;  // the group's node shows no layer's output of its own
        }
        const bool showsOutput = !consumed.contains(name) && own != nullptr && own->valid;
        nodeItem(name)->setModelOutputShape(
            showsOutput ? QString::fromStdString(own->outputShape.str("None")) : QString());
    }
    for (const Graph::Node& node : m_model.graph().nodes()) {
        NodeItem* target = nodeItem(QString::fromStdString(node.layer->name()));
        const LayerAnalysis* targetAnalysis = analysis.find(node.layer->name());
        for (const std::string& input : node.inputs) {
            NodeItem* source = nodeItem(QString::fromStdString(input));
            const LayerAnalysis* sourceAnalysis = analysis.find(input);
            if (source == nullptr || sourceAnalysis == nullptr || source == target) {
                // A dangling input (the target's own diagnostic says so), or a wire inside a
                // collapsed group.
                continue;
            }
            auto* wire = new WireItem(source, target, QString::fromStdString(input),
                                      QString::fromStdString(node.layer->name()));
            m_scene->addItem(wire);
            wire->setState(sourceAnalysis->valid
                               ? QString::fromStdString(sourceAnalysis->outputShape.str("None"))
                               : QStringLiteral("?"),
                           targetAnalysis != nullptr
                               ? QString::fromStdString(targetAnalysis->problem)
                               : QString());
        }
    }
}

void NetworkCanvas::syncPositions() {
    for (const Graph::Node& node : m_model.graph().nodes()) {
        const QString name = QString::fromStdString(node.layer->name());
        if (NodeItem* item = m_nodes.value(name)) {
            item->setPos(node.x, node.y);
        }
    }
    for (auto exit = m_groupExits.cbegin(); exit != m_groupExits.cend(); ++exit) {
        m_groups.value(exit.key())->setPos(m_model.position(exit.value()));
    }
    // A layout moves everything at once (a new network's first): the scroll range follows.
    fitSceneRect();
}

void NetworkCanvas::emitSelection() {
    emit selectionChanged(selectedLayers());
}

void NetworkCanvas::deleteSelection() {
    const QStringList layers = selectedLayers();
    QList<WireItem*> wires;
    for (QGraphicsItem* item : m_scene->selectedItems()) {
        if (item->type() == WireItem::Type) {
            auto* wire = static_cast<WireItem*>(item);
            if (!layers.contains(wire->fromLayer()) && !layers.contains(wire->toLayer())) {
                wires.append(wire);
            }
        }
    }
    if (layers.isEmpty() && wires.isEmpty()) {
        return;
    }
    QList<QPair<QString, QString>> ends;
    for (WireItem* wire : wires) {
        ends.append({wire->fromLayer(), wire->toLayer()});
    }
    m_model.undoStack().beginMacro(tr("Delete"));
    m_model.removeLayers(layers);
    for (const auto& [from, to] : ends) {
        m_model.disconnectLayers(from, to);
    }
    m_model.undoStack().endMacro();
}

void NetworkCanvas::copySelection() {
    const QStringList layers = selectedLayers();
    if (layers.isEmpty()) {
        return;
    }
    const std::string fragment = copyLayers(m_model.graph(), layers).dump();
    auto* mime = new QMimeData;
    mime->setData(QString::fromLatin1(kLayersMimeType), QByteArray::fromStdString(fragment));
    mime->setText(QString::fromStdString(fragment));
    QApplication::clipboard()->setMimeData(mime);
    m_pasteCount = 0;
}

void NetworkCanvas::cutSelection() {
    copySelection();
    deleteSelection();
}

void NetworkCanvas::paste() {
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    const QByteArray bytes =
        mime != nullptr ? mime->data(QString::fromLatin1(kLayersMimeType)) : QByteArray();
    // Anything that is not a fragment (an empty clipboard included) reaches the model as null,
    // which refuses it with a message.
    nlohmann::json fragment;
    try {
        fragment = loom::parseJson(std::string_view(bytes.constData(), size_t(bytes.size())),
                                   "the clipboard");
    } catch (const loom::Error&) {
        fragment = nullptr;
    }
    ++m_pasteCount;
    const QStringList pasted =
        m_model.paste(fragment, QPointF(kPasteStep, kPasteStep) * m_pasteCount);
    if (!pasted.isEmpty()) {
        selectLayers(pasted);
    }
}

void NetworkCanvas::selectAll() {
    QStringList layers;
    for (const Graph::Node& node : m_model.graph().nodes()) {
        layers << QString::fromStdString(node.layer->name());
    }
    selectLayers(layers);
}

void NetworkCanvas::tidyLayout() {
    m_model.tidyLayout(m_flow, layoutCell(m_flow));
}

void NetworkCanvas::fitAll() {
    if (m_nodes.isEmpty() && m_groups.isEmpty()) {
        return;
    }
    QRectF bounds;
    for (const QHash<QString, NodeItem*>* shown : {&m_nodes, &m_groups}) {
        for (NodeItem* node : *shown) {
            bounds |= node->sceneBoundingRect();
        }
    }
    for (WireItem* wire : wireItems()) {
        bounds |= wire->sceneBoundingRect();
    }
    bounds.adjust(-30, -30, 30, 30);
    fitInView(bounds, Qt::KeepAspectRatio);
    if (transform().m11() > 1.0) {
        resetTransform();
    }
    centerOn(bounds.center());
}

void NetworkCanvas::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasFormat(QString::fromLatin1(kLayerKindMimeType))) {
        event->acceptProposedAction();
    } else {
        QGraphicsView::dragEnterEvent(event);
    }
}

void NetworkCanvas::dragMoveEvent(QDragMoveEvent* event) {
    if (event->mimeData()->hasFormat(QString::fromLatin1(kLayerKindMimeType))) {
        event->acceptProposedAction();
    } else {
        QGraphicsView::dragMoveEvent(event);
    }
}

void NetworkCanvas::dropEvent(QDropEvent* event) {
    const QByteArray kind = event->mimeData()->data(QString::fromLatin1(kLayerKindMimeType));
    if (kind.isEmpty()) {
        QGraphicsView::dropEvent(event);
        return;
    }
    // The layer lands centred under the pointer.
    const QPointF at = mapToScene(event->position().toPoint()) -
                       QPointF(NodeItem::kWidth / 2, NodeItem::kHeight / 2);
    const QString name = m_model.addLayer(QString::fromUtf8(kind), at);
    if (!name.isEmpty()) {
        selectLayers({name});
        setFocus();
    }
    event->acceptProposedAction();
}

PortItem* NetworkCanvas::portAt(const QPoint& viewPosition) const {
    // A few pixels of slack: ports are small, smaller still when zoomed out.
    const QRect around(viewPosition - QPoint(4, 4), QSize(9, 9));
    for (QGraphicsItem* item : items(around)) {
        if (item->type() == PortItem::Type) {
            return static_cast<PortItem*>(item);
        }
    }
    return nullptr;
}

void NetworkCanvas::mousePressEvent(QMouseEvent* event) {
    const bool panButton =
        event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_spaceHeld);
    if (panButton) {
        startPan(event->position().toPoint());
        return;
    }
    if (event->button() == Qt::LeftButton) {
        if (PortItem* port = portAt(event->position().toPoint())) {
            startWire(port);
            return;
        }
    }
    QGraphicsView::mousePressEvent(event);
    if (NodeItem* node = nodeOf(itemAt(event->position().toPoint()));
        node != nullptr && !node->isStacked()) {
        emit layerClicked(node->name());
    }
}

void NetworkCanvas::mouseMoveEvent(QMouseEvent* event) {
    if (m_panning) {
        const QPoint delta = event->position().toPoint() - m_panLast;
        m_panLast = event->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
        return;
    }
    if (m_wireStart != nullptr) {
        dragWire(mapToScene(event->position().toPoint()));
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void NetworkCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (m_panning) {
        m_panning = false;
        viewport()->setCursor(m_spaceHeld ? Qt::OpenHandCursor : Qt::ArrowCursor);
        return;
    }
    if (m_wireStart != nullptr) {
        finishWire(event->position().toPoint());
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
    commitMovedNodes();
}

void NetworkCanvas::mouseDoubleClickEvent(QMouseEvent* event) {
    if (NodeItem* node = nodeOf(itemAt(event->position().toPoint()));
        node != nullptr && node->isStacked()) {
        expandGroup(node->name());
        return;
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

void NetworkCanvas::startPan(const QPoint& viewPosition) {
    m_panning = true;
    m_panLast = viewPosition;
    viewport()->setCursor(Qt::ClosedHandCursor);
}

void NetworkCanvas::startWire(PortItem* port) {
    m_wireStart = port;
    m_wirePreview =
        m_scene->addPath(QPainterPath(), QPen(QColor(0xff, 0xa0, 0x00), 2, Qt::DashLine));
    m_wirePreview->setZValue(2);
    dragWire(port->scenePos());
}

void NetworkCanvas::dragWire(const QPointF& scenePosition) {
    const QPointF start = m_wireStart->scenePos();
    const bool fromOutput = m_wireStart->direction() == PortItem::Direction::Output;
    m_wirePreview->setPath(fromOutput ? wirePath(start, scenePosition, m_flow)
                                      : wirePath(scenePosition, start, m_flow));
}

void NetworkCanvas::finishWire(const QPoint& viewPosition) {
    PortItem* start = m_wireStart;
    m_wireStart = nullptr;
    delete m_wirePreview;
    m_wirePreview = nullptr;
    // Dropping on a node's body counts as its port of the other direction.
    NodeItem* target = nullptr;
    if (PortItem* port = portAt(viewPosition); port != nullptr) {
        target = port->direction() != start->direction() ? port->node() : nullptr;
    } else {
        target = nodeOf(itemAt(viewPosition));
    }
    if (target == nullptr || target == start->node()) {
        return;
    }
    const bool fromOutput = start->direction() == PortItem::Direction::Output;
    const QString from = layerAt(fromOutput ? start->node() : target, true);
    const QString to = layerAt(fromOutput ? target : start->node(), false);
    if (to.isEmpty()) {
        // Into a collapsed group: which of its layers was meant is not to be guessed.
        expandGroup(m_groups.key(fromOutput ? target : start->node()));
        return;
    }
    m_model.connectLayers(from, to);
}

void NetworkCanvas::commitMovedNodes() {
    QHash<QString, QPointF> moved;
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it) {
        if (m_model.contains(it.key()) && it.value()->pos() != m_model.position(it.key())) {
            moved.insert(it.key(), it.value()->pos());
        }
    }
    // A collapsed group's node, placed where its exit layer is, moves all its layers by as much.
    for (auto member = m_collapsedInto.cbegin(); member != m_collapsedInto.cend(); ++member) {
        const QPointF delta = m_groups.value(member.value())->pos() -
                              m_model.position(m_groupExits.value(member.value()));
        if (!delta.isNull()) {
            moved.insert(member.key(), m_model.position(member.key()) + delta);
        }
    }
    m_model.moveLayers(moved);
}

void NetworkCanvas::zoomBy(double factor) {
    const double current = transform().m11();
    const double target = std::clamp(current * factor, kMinimumZoom, kMaximumZoom);
    scale(target / current, target / current);
}

void NetworkCanvas::wheelEvent(QWheelEvent* event) {
    if (event->modifiers().testFlag(Qt::ControlModifier)) {
        // 120 units per notch of a common wheel: about 20% per notch.
        zoomBy(std::pow(1.0015, event->angleDelta().y()));
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

void NetworkCanvas::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        return;
    }
    if (event->key() == Qt::Key_Escape && m_wireStart != nullptr) {
        m_wireStart = nullptr;
        delete m_wirePreview;
        m_wirePreview = nullptr;
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

void NetworkCanvas::keyReleaseEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = false;
        viewport()->setCursor(Qt::ArrowCursor);
        return;
    }
    QGraphicsView::keyReleaseEvent(event);
}

}  // namespace loom
