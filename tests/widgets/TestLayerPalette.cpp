#include "LayerPalette.h"

#include <loom/Layer.h>

#include <QTest>

using namespace loom;

/// The layer palette against the engine's registry: every kind under its category, nothing else.
class TestLayerPalette : public QObject {
    Q_OBJECT

private slots:
    void listsKindUnderItsCategory_data();
    void listsKindUnderItsCategory();
    void listsNothingElse();

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

QTEST_MAIN(TestLayerPalette)
#include "TestLayerPalette.moc"
