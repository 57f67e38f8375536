#pragma once

#include <loom/NetworkChecks.h>

#include "CanvasGroups.h"
#include "LayerHealthMonitor.h"

#include <QGraphicsView>
#include <QHash>
#include <QPointF>
#include <QSet>
#include <QStringList>

#include <functional>
#include <vector>

class QAction;
class QGraphicsPathItem;

namespace loom {

class NetworkModel;
class NodeItem;
class PortItem;
class WireItem;

/// NetworkCanvas: the network as nodes and wires, edited by hand. It observes a NetworkModel
/// and edits only through it, so every edit is one undo step.
///
/// A layer kind dropped from the palette is added where it lands; dragging from a port to a
/// port of the other direction wires two layers; a node drag moves layers; Delete removes the
/// selected layers and wires; copy/paste goes through the clipboard; Tidy lays the network out
/// by depth. Ctrl+wheel zooms, the middle button (or Space with the left button) pans, a drag
/// on the background selects with a rubber band. Every wire carries the shape flowing along it;
/// invalid layers and wires are red with the engine's reason as the tooltip, and layers the
/// network checks warn about are amber with the warning as the tooltip. A group of layers (a
/// pretrained base) shows as one stacked node until a double-click opens it.
class NetworkCanvas : public QGraphicsView {
    Q_OBJECT

public:
    explicit NetworkCanvas(NetworkModel& model, QWidget* parent = nullptr);
    ~NetworkCanvas() override;

    /// The room one node takes in the tidy layout of a flow, gaps for the wire labels included.
    static QSizeF layoutCell(Qt::Orientation flow);

    Qt::Orientation flow() const { return m_flow; }
    /// Top to bottom (Qt::Vertical, the default, as Keras draws models) or left to right.
    void setFlow(Qt::Orientation flow);

    /// The node showing a layer: its own, or that of the collapsed group it is in.
    NodeItem* nodeItem(const QString& layer) const;
    /// The node standing for a collapsed group; nullptr while it is open.
    NodeItem* groupItem(const QString& group) const { return m_groups.value(group, nullptr); }
    /// Groups (a pretrained base) show collapsed, as one node, until opened here or with a
    /// double-click on their node. View state only: not undone, not saved.
    void expandGroup(const QString& group);
    void collapseGroup(const QString& group);
    /// The wire carrying from's output into to, or nullptr.
    WireItem* wireItem(const QString& from, const QString& to) const;
    QList<WireItem*> wireItems() const;
    QStringList selectedLayers() const;
    void selectLayers(const QStringList& layers);

    /// Marks the layer where a NaN or Inf first appeared (a thick red halo) and brings it into
    /// view; an empty name clears the mark.
    void markNonFiniteOrigin(const QString& layer);
    QString nonFiniteOrigin() const { return m_nonFiniteOrigin; }

    /// Marks the layers these warnings name in amber, with the messages in their tooltips,
    /// replacing the last call's marks; warnings about the whole network are the list's.
    void setWarnings(const std::vector<NetworkWarning>& warnings);

    /// Shows what training says of each layer (sparkline, problems), replacing the last call's;
    /// an empty map clears it.
    void setTrainingHealth(const QHash<QString, NodeTrainingHealth>& health);

    /// Adds a layer of this kind in the middle of what is visible (a palette double-click).
    QString addLayerAtCentre(const QString& type);

    // Actions with the usual shortcuts, active while the canvas has focus; the window puts
    // them in its Edit menu.
    QAction* deleteAction() const { return m_deleteAction; }
    QAction* copyAction() const { return m_copyAction; }
    QAction* cutAction() const { return m_cutAction; }
    QAction* pasteAction() const { return m_pasteAction; }
    QAction* selectAllAction() const { return m_selectAllAction; }
    QAction* tidyAction() const { return m_tidyAction; }
    QAction* fitAction() const { return m_fitAction; }
    QAction* groupAction() const { return m_groupAction; }

public slots:
    void deleteSelection();
    void copySelection();
    void cutSelection();
    void paste();
    void selectAll();
    void tidyLayout();
    /// Zooms so that the whole network is visible, never past 100%.
    void fitAll();
    /// Opens the selected collapsed groups, or else closes the groups of the selected layers.
    void toggleSelectedGroups();

signals:
    /// The selected layers changed (empty: nothing or only wires selected).
    void selectionChanged(const QStringList& layers);
    /// A layer was clicked; the window shows its properties.
    void layerClicked(const QString& layer);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;

private:
    void createActions();
    QAction* addShortcutAction(const QString& text, const QKeySequence& shortcut,
                               void (NetworkCanvas::*slot)());
    /// Brings the items in line with the model: nodes added, removed and updated, wires
    /// re-made with their shapes and problems.
    void synchronise();
    void syncNodes();
    void syncGroupNodes(const std::vector<CollapsedGroup>& groups);
    /// The layer a wire at this node's port joins: the node's own, or for a collapsed group
    /// its exit (output side; empty on the input side, which takes no wire).
    QString layerAt(const NodeItem* node, bool outputSide) const;
    /// The messages of a collapsed group's layers, each headed by its layer's name.
    QStringList groupMessages(const QString& group,
                              const std::function<QStringList(const QString&)>& of) const;
    void markGroups();
    void syncWires();
    void syncPositions();
    /// The scroll range: what is shown, with room around it.
    void fitSceneRect();
    void emitSelection();

    PortItem* portAt(const QPoint& viewPosition) const;
    void startWire(PortItem* port);
    void dragWire(const QPointF& scenePosition);
    void finishWire(const QPoint& viewPosition);
    void commitMovedNodes();
    void startPan(const QPoint& viewPosition);
    void zoomBy(double factor);

    NetworkModel& m_model;
    QGraphicsScene* m_scene;
    Qt::Orientation m_flow = Qt::Vertical;
    QHash<QString, NodeItem*> m_nodes;        ///< by layer, for the layers shown
    QHash<QString, NodeItem*> m_groups;       ///< by group, for collapsed groups
    QHash<QString, QString> m_collapsedInto;  ///< layer -> its collapsed group
    QHash<QString, QString> m_groupExits;     ///< collapsed group -> its exit layer
    QSet<QString> m_expandedGroups;
    QString m_nonFiniteOrigin;
    QHash<QString, QStringList> m_warnings;       ///< by layer
    QHash<QString, NodeTrainingHealth> m_health;  ///< by layer, from the run in progress

    PortItem* m_wireStart = nullptr;
    QGraphicsPathItem* m_wirePreview = nullptr;
    bool m_panning = false;
    bool m_spaceHeld = false;
    QPoint m_panLast;
    int m_pasteCount = 0;

    QAction* m_deleteAction = nullptr;
    QAction* m_copyAction = nullptr;
    QAction* m_cutAction = nullptr;
    QAction* m_pasteAction = nullptr;
    QAction* m_selectAllAction = nullptr;
    QAction* m_tidyAction = nullptr;
    QAction* m_fitAction = nullptr;
    QAction* m_groupAction = nullptr;
};

}  // namespace loom
