#pragma once

#include "LayerHealthMonitor.h"
#include "NetworkAnalysis.h"

#include <QGraphicsItem>
#include <QList>
#include <QString>
#include <QStringList>

namespace loom {

class PortItem;
class WireItem;

/// NodeItem: one layer on the canvas. It shows the layer's name on a header in its
/// category's colour, its kind, and its cost (parameters and multiply-adds per sample), so
/// cost is visible where the network is built. An invalid layer gets a red frame with the
/// engine's reason as its tooltip; a valid layer the network checks warn about gets an amber
/// body and an amber warning sign on its header, with the warnings in its tooltip (red wins
/// when both apply); the layer where a NaN or Inf first appeared in training gets a thick red
/// halo. While a network trains, a sparkline on the body follows one measure of the layer
/// (LayerHealthMonitor) and the problems the health rules find turn the layer amber too.
/// Wires attached to its ports follow it when it moves.
class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    static constexpr qreal kWidth = 184;
    static constexpr qreal kHeight = 64;

    NodeItem(const QString& name, const QString& type, const QString& category,
             Qt::Orientation flow);
    /// Deletes the wires attached to it: a wire without both ends has no meaning.
    ~NodeItem() override;

    const QString& name() const { return m_name; }
    /// The second line: the layer's type, or what a group holds.
    void setType(const QString& type);
    const QString& typeText() const { return m_type; }
    /// Drawn as a stack of cards: the node stands for a collapsed group of layers.
    void setStacked(bool stacked);
    bool isStacked() const { return m_stacked; }
    PortItem* inputPort() const { return m_input; }
    PortItem* outputPort() const { return m_output; }

    /// Shows the layer's latest analysis: cost, validity and the reason.
    void setAnalysis(const LayerAnalysis& analysis);
    /// Puts the input port upstream and the output port downstream of the flow.
    void setFlow(Qt::Orientation flow);
    /// For a model output (a layer nobody consumes): the shape it gives, written past its
    /// output port where a wire's label would be; empty for other layers.
    void setModelOutputShape(const QString& shapeText);
    const QString& modelOutputShape() const { return m_outputShape; }
    /// The network checks' warnings about this layer (see NetworkChecks.h); empty clears them.
    void setWarnings(const QStringList& messages);
    const QStringList& warnings() const { return m_warnings; }
    /// What training shows of the layer: a sparkline and its current problems.
    void setTrainingHealth(const NodeTrainingHealth& health);
    const NodeTrainingHealth& trainingHealth() const { return m_health; }
    /// True when the amber mark is drawn: there are warnings or training problems, and no red
    /// invalid mark.
    bool showsWarning() const {
        return m_valid && (!m_warnings.isEmpty() || !m_health.problems.isEmpty());
    }
    /// True when a sparkline is drawn: at least two samples of the measure.
    bool showsSparkline() const;
    void setNonFiniteOrigin(bool origin);
    bool isNonFiniteOrigin() const { return m_nonFiniteOrigin; }
    bool isValid() const { return m_valid; }
    /// The cost line as shown: "320 params · 195 k MACs", or "no weights".
    const QString& costText() const { return m_cost; }

    void attach(WireItem* wire);
    void detach(WireItem* wire);

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    int type() const override { return Type; }

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
    void paintFrame(QPainter* painter, bool selected) const;
    void paintText(QPainter* painter) const;
    void paintWarningSign(QPainter* painter) const;
    void paintModelOutput(QPainter* painter) const;
    void paintSparkline(QPainter* painter) const;
    QRectF modelOutputRect() const;
    QRectF sparklineRect() const;
    QRectF warningSignRect() const;
    /// The analysis' lines, then the warnings.
    void updateToolTip();

    QString m_name, m_type;
    QColor m_colour;
    QString m_cost;
    QString m_outputShape;
    QString m_analysisTip;
    QStringList m_warnings;
    NodeTrainingHealth m_health;
    bool m_valid = true;
    bool m_nonFiniteOrigin = false;
    bool m_stacked = false;
    PortItem* m_input;
    PortItem* m_output;
    QList<WireItem*> m_wires;
};

/// "1.2 k", "3.4 M", "5.6 G": counts short enough for a node.
QString shortCount(int64_t count);

}  // namespace loom
