#include "LayerCategoryStyle.h"

#include <QHash>
#include <QPainter>
#include <QPixmap>

namespace loom {

QColor categoryColour(const QString& category) {
    // Hues far apart on the wheel and mid saturation: distinct side by side, and white text on
    // them stays readable.
    static const QHash<QString, QColor> colours{
        {QStringLiteral("Core"), QColor(0x3b, 0x6e, 0xa8)},
        {QStringLiteral("Convolution"), QColor(0x2e, 0x8b, 0x57)},
        {QStringLiteral("Pooling"), QColor(0x1f, 0x8a, 0x8a)},
        {QStringLiteral("Normalisation"), QColor(0x8a, 0x5a, 0xb5)},
        {QStringLiteral("Regularisation"), QColor(0xb5, 0x7a, 0x1f)},
        {QStringLiteral("Merge"), QColor(0xa8, 0x3b, 0x6e)},
        {QStringLiteral("Activation"), QColor(0x6e, 0x7a, 0x2a)},
        {QStringLiteral("Group"), QColor(0x37, 0x47, 0x4f)},
    };
    return colours.value(category, QColor(0x70, 0x70, 0x70));
}

QIcon categoryIcon(const QString& category) {
    QIcon icon;
    for (int size : {16, 32}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(Qt::NoPen);
        painter.setBrush(categoryColour(category));
        painter.drawRoundedRect(QRectF(1, 1, size - 2, size - 2), size / 5.0, size / 5.0);
        QFont font = painter.font();
        font.setPixelSize(size * 2 / 3);
        font.setBold(true);
        painter.setFont(font);
        painter.setPen(Qt::white);
        painter.drawText(pixmap.rect(), Qt::AlignCenter, category.left(1));
        painter.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}

}  // namespace loom
