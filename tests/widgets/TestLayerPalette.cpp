#include "LayerPalette.h"
#include "LayerPalettePanel.h"

#include <loom/Layer.h>

#include <QLineEdit>
#include <QMimeData>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace loom;

/// The layer palette against the engine's registry: every kind under its category with its
/// category's icon, nothing else; the search box narrows it; kinds drag out as their type.
class TestLayerPalette : public QObject {
    Q_OBJECT

private slots:
    void listsKindUnderItsCategory_data();
    void listsKindUnderItsCategory();
    void listsNothingElse();
    void searchNarrowsToMatchingKinds();
    void dragsAKindAsItsType();

private:
    static QTreeWidgetItem* findCategory(const LayerPalette& palette, const QString& category);
};

QTreeWidgetItem* TestLayerPalette::findCategory(const LayerPalette& palette,
                                                const QString& category) {
    for (int i = 0; i < palette.topLevelItemCount(); ++i) {
        if (palette.topLevelItem(i)->text(0) == category) {
            return palette.topLevelItem(i);
        }
    }
    return nullptr;
}

void TestLayerPalette::listsKindUnderItsCategory_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("category");
    QTest::addColumn<QString>("description");
    // An empty registry would make this suite pass vacuously; the engine always has Dense.
    QVERIFY(LayerRegistry::instance().tryFind("Dense") != nullptr);
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        QTest::newRow(kind->type.c_str())
            << QString::fromStdString(kind->type) << QString::fromStdString(kind->category)
            << QString::fromStdString(kind->description);
    }
}

void TestLayerPalette::listsKindUnderItsCategory() {
    QFETCH(QString, type);
    QFETCH(QString, category);
    QFETCH(QString, description);
    LayerPalette palette;
    QTreeWidgetItem* categoryItem = findCategory(palette, category);
    QVERIFY2(categoryItem, qPrintable("no category item " + category));
    QTreeWidgetItem* kindItem = nullptr;
    for (int i = 0; i < categoryItem->childCount(); ++i) {
        if (categoryItem->child(i)->text(0) == type) {
            kindItem = categoryItem->child(i);
        }
    }
    QVERIFY2(kindItem, qPrintable(type + " is not under " + category));
    QVERIFY(kindItem->toolTip(0).contains(description.toHtmlEscaped()));
}

void TestLayerPalette::listsNothingElse() {
    LayerPalette palette;
    size_t kinds = 0;
    for (int i = 0; i < palette.topLevelItemCount(); ++i) {
        QVERIFY(palette.topLevelItem(i)->childCount() > 0);
        kinds += palette.topLevelItem(i)->childCount();
    }
    QCOMPARE(kinds, LayerRegistry::instance().all().size());
}

void TestLayerPalette::searchNarrowsToMatchingKinds() {
    LayerPalettePanel panel;
    LayerPalette* palette = panel.palette();
    QTest::keyClicks(panel.searchBox(), "pool");
    QVERIFY(!palette->kindItem("MaxPool2D")->isHidden());
    QVERIFY(!palette->kindItem("GlobalAveragePool2D")->isHidden());
    QVERIFY(palette->kindItem("Dense")->isHidden());
    QVERIFY(findCategory(*palette, "Core")->isHidden());
    QVERIFY(!findCategory(*palette, "Pooling")->isHidden());
    // Descriptions match too, in any case.
    panel.searchBox()->setText("DROP");
    QVERIFY(!palette->kindItem("Dropout")->isHidden());
    panel.searchBox()->clear();
    QVERIFY(!palette->kindItem("Dense")->isHidden());
    QVERIFY(!findCategory(*palette, "Core")->isHidden());
}

void TestLayerPalette::dragsAKindAsItsType() {
    LayerPalette palette;
    QTreeWidgetItem* conv = palette.kindItem("Conv2D");
    QVERIFY(conv);
    QVERIFY(conv->flags().testFlag(Qt::ItemIsDragEnabled));
    QVERIFY(!conv->icon(0).isNull());
    QVERIFY(!conv->parent()->flags().testFlag(Qt::ItemIsDragEnabled));
    palette.setCurrentItem(conv);
    std::unique_ptr<QMimeData> mime(palette.model()->mimeData({palette.currentIndex()}));
    QVERIFY(mime);
    QCOMPARE(mime->data(kLayerKindMimeType), QByteArray("Conv2D"));

    QSignalSpy activated(&palette, &LayerPalette::kindActivated);
    emit palette.itemActivated(conv, 0);
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().first().toString(), QStringLiteral("Conv2D"));
}

QTEST_MAIN(TestLayerPalette)
#include "TestLayerPalette.moc"
