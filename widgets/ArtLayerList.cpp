#include "ArtLayerList.h"

#include <loom/Layer.h>

#include <QHeaderView>
#include <QLineEdit>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace loom {

namespace {

enum Column { NameColumn, WeightColumn };

}  // namespace

ArtLayerList::ArtLayerList(QWidget* parent) : QWidget(parent) {
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter layers, e.g. mixed"));
    m_filter->setClearButtonEnabled(true);
    m_table = new QTableWidget(0, 2, this);
    m_table->setHorizontalHeaderLabels({tr("Layer"), tr("Weight")});
    m_table->horizontalHeader()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(WeightColumn, QHeaderView::ResizeToContents);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_filter);
    layout->addWidget(m_table, 1);
    connect(m_filter, &QLineEdit::textChanged, this, &ArtLayerList::applyFilter);
    connect(m_table, &QTableWidget::itemChanged, this, &ArtLayerList::chosenChanged);
}

void ArtLayerList::setLayers(const Graph& graph, const std::vector<LayerWeight>& chosen) {
    const QSignalBlocker blocker(m_table);
    m_table->setRowCount(0);
    for (const Graph::Node& node : graph.nodes()) {
        if (node.inputs.empty()) {
            continue;  // the picture itself
        }
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto* name = new QTableWidgetItem(QString::fromStdString(node.layer->name()));
        name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        name->setToolTip(
            QStringLiteral("%1  %2").arg(QString::fromStdString(node.layer->kind().type),
                                         QString::fromStdString(node.outputShape.str())));
        auto* weight = new QTableWidgetItem;
        weight->setData(Qt::EditRole, 1.0);
        weight->setFlags(Qt::ItemIsEnabled | Qt::ItemIsEditable);
        m_table->setItem(row, NameColumn, name);
        m_table->setItem(row, WeightColumn, weight);
    }
    setChosen(chosen);
    applyFilter(m_filter->text());
}

void ArtLayerList::setChosen(const std::vector<LayerWeight>& chosen) {
    {
        const QSignalBlocker blocker(m_table);
        for (int row = 0; row < m_table->rowCount(); ++row) {
            const std::string name = m_table->item(row, NameColumn)->text().toStdString();
            const auto it = std::find_if(chosen.begin(), chosen.end(),
                                         [&](const LayerWeight& l) { return l.layer == name; });
            m_table->item(row, NameColumn)
                ->setCheckState(it != chosen.end() ? Qt::Checked : Qt::Unchecked);
            m_table->item(row, WeightColumn)
                ->setData(Qt::EditRole, it != chosen.end() ? it->weight : 1.0);
        }
    }
    scrollToFirstChosen();
    emit chosenChanged();
}

void ArtLayerList::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    scrollToFirstChosen();
}

void ArtLayerList::scrollToFirstChosen() {
    for (int row = 0; row < m_table->rowCount(); ++row) {
        if (m_table->item(row, NameColumn)->checkState() == Qt::Checked) {
            m_table->scrollToItem(m_table->item(row, NameColumn), QAbstractItemView::PositionAtTop);
            break;
        }
    }
}

std::vector<LayerWeight> ArtLayerList::chosen() const {
    std::vector<LayerWeight> layers;
    for (int row = 0; row < m_table->rowCount(); ++row) {
        if (m_table->item(row, NameColumn)->checkState() == Qt::Checked) {
            layers.push_back({m_table->item(row, NameColumn)->text().toStdString(),
                              m_table->item(row, WeightColumn)->data(Qt::EditRole).toDouble()});
        }
    }
    return layers;
}

void ArtLayerList::applyFilter(const QString& text) {
    for (int row = 0; row < m_table->rowCount(); ++row) {
        m_table->setRowHidden(
            row, !m_table->item(row, NameColumn)->text().contains(text, Qt::CaseInsensitive));
    }
}

}  // namespace loom
