#pragma once

#include <QString>
#include <QWidget>

class QLabel;
class QTableWidget;

namespace loom {

class NetworkModel;

/// ModelSummaryView: Keras' model.summary() as a table that follows every edit: one row per
/// layer in execution order (name and type, output shape, parameters, multiply-adds, and the
/// layers it is connected to when the network branches), then the totals. Layers with
/// problems are red with the reason as the tooltip and their shape unknown.
class ModelSummaryView : public QWidget {
    Q_OBJECT

public:
    explicit ModelSummaryView(NetworkModel& model, QWidget* parent = nullptr);

    QTableWidget* table() const { return m_table; }
    /// "Total params: 1,199,882", "Trainable params: ..." and so on, on one line.
    QString totalsText() const;

signals:
    /// A row was clicked: the window selects that layer on the canvas.
    void layerActivated(const QString& layer);

private:
    void refresh();
    void fillRow(int row, size_t node);
    bool hasBranches() const;

    NetworkModel& m_model;
    QTableWidget* m_table;
    QLabel* m_totals;
};

}  // namespace loom
