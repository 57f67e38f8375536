#include "ModelSummaryView.h"

#include "NetworkModel.h"

#include <loom/Layer.h>

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>
#include <QVBoxLayout>

#include <set>

namespace loom {

namespace {

enum Column { LayerColumn, ShapeColumn, ParamsColumn, MultiplyAddsColumn, ConnectedColumn };

/// Counts as Keras prints them: "1,199,882".
QString withThousands(int64_t count) {
    return QLocale(QLocale::English, QLocale::UnitedStates).toString(qlonglong(count));
}

QTableWidgetItem* cell(const QString& text, Qt::Alignment alignment = Qt::AlignLeft) {
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(alignment | Qt::AlignVCenter);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return item;
}

/// Execution order, then whatever a cycle kept out of it, so that every layer has a row.
std::vector<size_t> rowOrder(const Graph& graph) {
    std::vector<size_t> order = graph.order();
    std::set<size_t> listed(order.begin(), order.end());
    for (size_t i = 0; i < graph.nodes().size(); ++i) {
        if (!listed.count(i)) {
            order.push_back(i);
        }
    }
    return order;
}

}  // namespace

ModelSummaryView::ModelSummaryView(NetworkModel& model, QWidget* parent)
    : QWidget(parent), m_model(model), m_table(new QTableWidget(this)), m_totals(new QLabel(this)) {
    setObjectName(QStringLiteral("modelSummary"));
    m_table->setColumnCount(5);
    m_table->setHorizontalHeaderLabels({tr("Layer (type)"), tr("Output Shape"), tr("Param #"),
                                        tr("Mult-adds"), tr("Connected to")});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table);
    layout->addWidget(m_totals);
    connect(&m_model, &NetworkModel::changed, this, &ModelSummaryView::refresh);
    connect(m_table, &QTableWidget::cellClicked, this, [this](int row) {
        emit layerActivated(m_table->item(row, LayerColumn)->data(Qt::UserRole).toString());
    });
    refresh();
}

QString ModelSummaryView::totalsText() const {
    return m_totals->text();
}

void ModelSummaryView::refresh() {
    const std::vector<size_t> order = rowOrder(m_model.graph());
    m_table->setRowCount(int(order.size()));
    for (size_t row = 0; row < order.size(); ++row) {
        fillRow(int(row), order[row]);
    }
    m_table->setColumnHidden(ConnectedColumn, !hasBranches());
    const NetworkAnalysis& analysis = m_model.analysis();
    // One line, so the dock's height goes to the table.
    QString totals =
        tr("Total params: %1      Trainable params: %2      "
           "Non-trainable params: %3      Multiply-adds per sample: %4")
            .arg(withThousands(analysis.totalParameters),
                 withThousands(analysis.trainableParameters),
                 withThousands(analysis.totalParameters - analysis.trainableParameters),
                 withThousands(analysis.totalMultiplyAdds));
    if (!analysis.isValid()) {
        totals += tr("      (counts cover the valid layers only)");
    }
    m_totals->setText(totals);
}

void ModelSummaryView::fillRow(int row, size_t node) {
    const Graph::Node& n = m_model.graph().nodes()[node];
    const QString name = QString::fromStdString(n.layer->name());
    const LayerAnalysis* analysis = m_model.analysis().find(n.layer->name());
    const bool valid = analysis != nullptr && analysis->valid;
    QStringList inputs;
    for (const std::string& input : n.inputs) {
        inputs << QString::fromStdString(input);
    }
    QTableWidgetItem* layer =
        cell(QStringLiteral("%1 (%2)").arg(name, QString::fromStdString(n.layer->type())));
    layer->setData(Qt::UserRole, name);
    m_table->setItem(row, LayerColumn, layer);
    m_table->setItem(row, ShapeColumn,
                     cell(valid ? QString::fromStdString(analysis->outputShape.str("None"))
                                : QStringLiteral("?")));
    const bool counted = analysis != nullptr && analysis->parameters.has_value();
    m_table->setItem(
        row, ParamsColumn,
        cell(counted ? withThousands(*analysis->parameters) : QStringLiteral("?"), Qt::AlignRight));
    m_table->setItem(
        row, MultiplyAddsColumn,
        cell(counted ? withThousands(analysis->multiplyAdds.value_or(0)) : QStringLiteral("?"),
             Qt::AlignRight));
    m_table->setItem(row, ConnectedColumn, cell(inputs.join(QStringLiteral(", "))));
    const QString problem = analysis != nullptr ? QString::fromStdString(analysis->problem) : "";
    for (int column = 0; column < m_table->columnCount(); ++column) {
        QTableWidgetItem* item = m_table->item(row, column);
        item->setForeground(valid ? palette().text() : QBrush(QColor(0xd3, 0x2f, 0x2f)));
        item->setToolTip(problem);
    }
}

bool ModelSummaryView::hasBranches() const {
    std::set<std::string> consumed;
    for (const Graph::Node& node : m_model.graph().nodes()) {
        if (node.inputs.size() > 1) {
            return true;
        }
        for (const std::string& input : node.inputs) {
            if (!consumed.insert(input).second) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace loom
