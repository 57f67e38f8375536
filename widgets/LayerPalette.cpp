#include "LayerPalette.h"

#include <loom/Layer.h>

#include <map>
#include <string>
#include <vector>

namespace loom {

namespace {

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

}  // namespace

LayerPalette::LayerPalette(QWidget* parent) : QTreeWidget(parent) {
    setObjectName(QStringLiteral("layerPalette"));
    setHeaderHidden(true);
    setColumnCount(1);
    setUniformRowHeights(true);
    populate();
}

void LayerPalette::populate() {
    // The registry is ordered by type; grouping by category in alphabetical order makes the
    // palette read the same on every start.
    std::map<std::string, std::vector<const LayerKind*>> byCategory;
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        byCategory[kind->category].push_back(kind);
    }
    for (const auto& [category, kinds] : byCategory) {
        auto* categoryItem = new QTreeWidgetItem(this, {QString::fromStdString(category)});
        // A category is a heading, not something to pick.
        categoryItem->setFlags(Qt::ItemIsEnabled);
        QFont bold = categoryItem->font(0);
        bold.setBold(true);
        categoryItem->setFont(0, bold);
        for (const LayerKind* kind : kinds) {
            auto* item = new QTreeWidgetItem(categoryItem, {QString::fromStdString(kind->type)});
            item->setToolTip(0, kindToolTip(*kind));
        }
    }
    expandAll();
}

}  // namespace loom
