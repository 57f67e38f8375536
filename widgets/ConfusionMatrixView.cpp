#include "ConfusionMatrixView.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace loom {

/// Where things are drawn, from the widget's size and the class names' widths.
struct ConfusionMatrixView::Geometry {
    int classes = 0;
    int labelWidth = 0;    ///< row labels, left of the cells
    int headerHeight = 0;  ///< column labels (rotated), above the cells
    int cell = 0;
    int accuracyWidth = 0;
    QRect cellRect(int row, int column) const {
        return {labelWidth + column * cell, headerHeight + row * cell, cell, cell};
    }
};

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ConfusionMatrixView::setMatrix(const QStringList& classNames,
                                    const std::vector<int64_t>& confusion) {
    const auto n = static_cast<size_t>(classNames.size());
    m_classes = classNames;
    m_counts = confusion.size() == n * n ? confusion : std::vector<int64_t>(n * n, 0);
    updateGeometry();
    update();
}

int64_t ConfusionMatrixView::count(int trueClass, int predictedClass) const {
    return m_counts.at(static_cast<size_t>(trueClass * m_classes.size() + predictedClass));
}

int64_t ConfusionMatrixView::rowTotal(int trueClass) const {
    int64_t total = 0;
    for (int p = 0; p < m_classes.size(); ++p) {
        total += count(trueClass, p);
    }
    return total;
}

double ConfusionMatrixView::classAccuracy(int trueClass) const {
    const int64_t total = rowTotal(trueClass);
    return total > 0 ? double(count(trueClass, trueClass)) / double(total) : NAN;
}

ConfusionMatrixView::Geometry ConfusionMatrixView::geometry() const {
    Geometry g;
    g.classes = static_cast<int>(m_classes.size());
    int widest = fontMetrics().horizontalAdvance(tr("true \\ predicted"));
    for (const QString& name : m_classes) {
        widest = std::max(widest, fontMetrics().horizontalAdvance(name));
    }
    g.labelWidth = widest + 12;
    g.headerHeight = widest + 12;
    g.accuracyWidth = fontMetrics().horizontalAdvance(tr("accuracy")) + 16;
    const int room = std::min(width() - g.labelWidth - g.accuracyWidth, height() - g.headerHeight);
    g.cell = std::max(g.classes > 0 ? room / g.classes : 0, fontMetrics().height() + 4);
    return g;
}

QSize ConfusionMatrixView::sizeHint() const {
    const Geometry g = geometry();
    const int cells = g.classes * 48;
    return {g.labelWidth + cells + g.accuracyWidth, g.headerHeight + cells};
}

QSize ConfusionMatrixView::minimumSizeHint() const {
    const Geometry g = geometry();
    const int cells = g.classes * (fontMetrics().horizontalAdvance(QStringLiteral("0000")) + 6);
    return {g.labelWidth + cells + g.accuracyWidth, g.headerHeight + cells};
}

void ConfusionMatrixView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    if (m_classes.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Train a classifier to see its mistakes."));
        return;
    }
    const Geometry g = geometry();
    paintLabels(painter, g);
    paintCells(painter, g);
}

void ConfusionMatrixView::paintLabels(QPainter& painter, const Geometry& g) const {
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRect(0, 0, g.labelWidth, g.headerHeight), Qt::AlignLeft | Qt::AlignBottom,
                     tr("true \\ predicted"));
    for (int i = 0; i < g.classes; ++i) {
        const QRect row = g.cellRect(i, 0);
        painter.drawText(QRect(0, row.top(), g.labelWidth - 6, g.cell),
                         Qt::AlignRight | Qt::AlignVCenter, m_classes[i]);
        // Column labels read upwards, so long class names fit above narrow columns.
        const QRect column = g.cellRect(0, i);
        painter.save();
        painter.translate(column.center().x(), g.headerHeight - 6);
        painter.rotate(-90);
        painter.drawText(QRect(0, -g.cell / 2, g.headerHeight - 6, g.cell),
                         Qt::AlignLeft | Qt::AlignVCenter, m_classes[i]);
        painter.restore();
    }
    const QRect corner = g.cellRect(0, g.classes);
    painter.drawText(QRect(corner.left() + 8, 0, g.accuracyWidth, g.headerHeight),
                     Qt::AlignLeft | Qt::AlignBottom, tr("accuracy"));
}

void ConfusionMatrixView::paintCells(QPainter& painter, const Geometry& g) const {
    const QColor strong(31, 92, 153);
    for (int t = 0; t < g.classes; ++t) {
        const double total = std::max<double>(double(rowTotal(t)), 1);
        for (int p = 0; p < g.classes; ++p) {
            const double share = double(count(t, p)) / total;
            const QRect r = g.cellRect(t, p);
            // White to blue by the share of the row; a square root lifts the small confusions
            // a person is looking for out of the white.
            const double shade = std::sqrt(share);
            painter.fillRect(r, QColor::fromRgbF(1 - shade * (1 - strong.redF()),
                                                 1 - shade * (1 - strong.greenF()),
                                                 1 - shade * (1 - strong.blueF())));
            painter.setPen(shade > 0.55 ? Qt::white : Qt::black);
            painter.drawText(r, Qt::AlignCenter, QString::number(count(t, p)));
        }
        const QRect accuracy(g.cellRect(t, g.classes).left() + 8, g.cellRect(t, 0).top(),
                             g.accuracyWidth, g.cell);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(accuracy, Qt::AlignLeft | Qt::AlignVCenter,
                         QStringLiteral("%1%").arg(classAccuracy(t) * 100, 0, 'f', 1));
    }
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawRect(g.cellRect(0, 0).united(g.cellRect(g.classes - 1, g.classes - 1)));
}

bool ConfusionMatrixView::event(QEvent* event) {
    if (event->type() != QEvent::ToolTip || m_classes.isEmpty()) {
        return QWidget::event(event);
    }
    const auto* help = static_cast<QHelpEvent*>(event);
    const Geometry g = geometry();
    for (int t = 0; t < g.classes; ++t) {
        for (int p = 0; p < g.classes; ++p) {
            if (g.cellRect(t, p).contains(help->pos())) {
                QToolTip::showText(help->globalPos(),
                                   tr("%1 of %2 %3 predicted as %4")
                                       .arg(count(t, p))
                                       .arg(rowTotal(t))
                                       .arg(m_classes[t], m_classes[p]),
                                   this);
                return true;
            }
        }
    }
    QToolTip::hideText();
    return true;
}

}  // namespace loom
