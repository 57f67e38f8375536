#include "LayerPalette.h"

#include "LayerCategoryStyle.h"

#include <loom/Layer.h>

#include <QMimeData>

#include <map>
#include <string>
#include <vector>

namespace loom {

namespace {

/// Where an item keeps the text the search box matches (type, category, description).
constexpr int kSearchTextRole = Qt::UserRole + 1;

/// The tooltip of a kind: its description, then each parameter with its help, so a person can
/// tell kinds apart before using one.
QString kindToolTip(const LayerKind& kind) {
    QString text = QStringLiteral("<b>%1</b><br>%2")
                       .arg(QString::fromStdString(kind.type),
                            QString::fromStdString(kind.description).toHtmlEscaped());
    for (const ParamSpec& spec : kind.params) {
        text += QStringLiteral("<br><i>%1</i> (%2) %3")
                    .arg(QString::fromStdString(spec.name),
                         QString::fromLatin1(paramTypeName(spec.type)),
                         QString::fromStdString(spec.help).toHtmlEscaped());
    }
    return text;
}

bool isKindItem(const QTreeWidgetItem* item) {
    return item->parent() != nullptr;
}

}  // namespace

LayerPalette::LayerPalette(QWidget* parent) : QTreeWidget(parent) {
    setObjectName(QStringLiteral("layerPalette"));
    setHeaderHidden(true);
    setColumnCount(1);
    setUniformRowHeights(true);
    setDragEnabled(true);
    setDragDropMode(QAbstractItemView::DragOnly);
    populate();
    connect(this, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        if (isKindItem(item)) {
            emit kindActivated(item->text(0));
        }
    });
}

void LayerPalette::populate() {
    // The registry is ordered by type; grouping by category in alphabetical order makes the
    // palette read the same on every start.
    std::map<std::string, std::vector<const LayerKind*>> byCategory;
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        byCategory[kind->category].push_back(kind);
    }
    for (const auto& [category, kinds] : byCategory) {
        const QString categoryName = QString::fromStdString(category);
        auto* categoryItem = new QTreeWidgetItem(this, {categoryName});
        // A category is a heading, not something to pick or drag.
        categoryItem->setFlags(Qt::ItemIsEnabled);
        QFont bold = categoryItem->font(0);
        bold.setBold(true);
        categoryItem->setFont(0, bold);
        categoryItem->setIcon(0, categoryIcon(categoryName));
        for (const LayerKind* kind : kinds) {
            auto* item = new QTreeWidgetItem(categoryItem, {QString::fromStdString(kind->type)});
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
            item->setIcon(0, categoryIcon(categoryName));
            item->setToolTip(0, kindToolTip(*kind));
            item->setData(
                0, kSearchTextRole,
                QString::fromStdString(kind->type + " " + category + " " + kind->description));
        }
    }
    expandAll();
}

void LayerPalette::setFilterText(const QString& text) {
    for (int i = 0; i < topLevelItemCount(); ++i) {
        QTreeWidgetItem* category = topLevelItem(i);
        bool anyShown = false;
        for (int k = 0; k < category->childCount(); ++k) {
            QTreeWidgetItem* item = category->child(k);
            const bool shown =
                item->data(0, kSearchTextRole).toString().contains(text, Qt::CaseInsensitive);
            item->setHidden(!shown);
            anyShown = anyShown || shown;
        }
        category->setHidden(!anyShown);
    }
}

QTreeWidgetItem* LayerPalette::kindItem(const QString& type) const {
    for (QTreeWidgetItem* item : findItems(type, Qt::MatchExactly | Qt::MatchRecursive)) {
        if (isKindItem(item)) {
            return item;
        }
    }
    return nullptr;
}

QStringList LayerPalette::mimeTypes() const {
    return {QString::fromLatin1(kLayerKindMimeType)};
}

QMimeData* LayerPalette::mimeData(const QList<QTreeWidgetItem*>& items) const {
    if (items.isEmpty() || !isKindItem(items.constFirst())) {
        return nullptr;
    }
    auto* mime = new QMimeData;
    mime->setData(QString::fromLatin1(kLayerKindMimeType), items.constFirst()->text(0).toUtf8());
    return mime;
}

}  // namespace loom
