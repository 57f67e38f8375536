#include "RunsTable.h"

#include "RunColors.h"
#include "RunLabel.h"
#include "ShortestNumber.h"

#include <QDateTime>
#include <QHeaderView>
#include <QPixmap>

#include <cmath>
#include <exception>

namespace loom {

namespace {

QString number(double value, int decimals) {
    return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("–");
}

QIcon swatch(const QColor& color) {
    QPixmap pixmap(12, 12);
    pixmap.fill(color);
    return QIcon(pixmap);
}

// A setting as the person typed it: numbers with their shortest digits (0.9, not
// 0.899999976158142), everything else as JSON writes it (true, "sgd").
QString settingText(const nlohmann::json& value) {
    return value.is_number_float() ? shortestNumber(value.get<double>())
                                   : QString::fromStdString(value.dump());
}

// The hyperparameters other than the learning rate, "momentum 0.9, nesterov true".
QString otherHyperparameters(const TrainingConfig& config) {
    QStringList parts;
    for (const auto& [key, value] : config.optimizerParams.items()) {
        if (key != "learning_rate") {
            parts << QStringLiteral("%1 %2").arg(QString::fromStdString(key), settingText(value));
        }
    }
    return parts.join(QStringLiteral(", "));
}

/// Sorts by the number it holds (Qt::UserRole) when it has one, else by its text.
class SortableItem : public QTableWidgetItem {
public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem& other) const override {
        const QVariant mine = data(Qt::UserRole), theirs = other.data(Qt::UserRole);
        if (mine.isValid() && theirs.isValid()) {
            return mine.toDouble() < theirs.toDouble();
        }
        return QTableWidgetItem::operator<(other);
    }
};

constexpr int kRunRole = Qt::UserRole + 1;  ///< the run's index, on its Name cell
const QString kBestMark = QStringLiteral("★ ");

QString localTime(const std::string& iso) {
    const QDateTime time = QDateTime::fromString(QString::fromStdString(iso), Qt::ISODate);
    return time.isValid() ? QLocale().toString(time.toLocalTime(), QLocale::ShortFormat)
                          : QString::fromStdString(iso);
}

}  // namespace

RunsTable::RunsTable(QWidget* parent) : QTableWidget(0, ColumnCount, parent) {
    setHorizontalHeaderLabels({tr("Run"), tr("Optimizer"), tr("Learning rate"), tr("Batch"),
                               tr("Epochs"), tr("Loss"), tr("Accuracy"), tr("Val. loss"),
                               tr("Val. accuracy"), tr("Started")});
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    verticalHeader()->hide();
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(true);
    // A header sorts descending at first; runs are listed in their order until a click.
    horizontalHeader()->setSortIndicator(Name, Qt::AscendingOrder);
    setSortingEnabled(true);
    connect(this, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
        if (item->column() == Name) {
            emit runVisibilityChanged(item->data(kRunRole).toInt(),
                                      item->checkState() == Qt::Checked);
        }
    });
    connect(this, &QTableWidget::itemSelectionChanged, this, [this] {
        const QList<QTableWidgetItem*> items = selectedItems();
        emit runSelected(
            items.isEmpty() ? -1 : item(items.first()->row(), Name)->data(kRunRole).toInt());
    });
}

int RunsTable::rowOf(int run) const {
    for (int row = 0; row < rowCount(); ++row) {
        if (item(row, Name) != nullptr && item(row, Name)->data(kRunRole).toInt() == run) {
            return row;
        }
    }
    return -1;
}

void RunsTable::markBest(int run) {
    const QSignalBlocker quiet(this);
    for (int row = 0; row < rowCount(); ++row) {
        QTableWidgetItem* name = item(row, Name);
        QString text = name->text();
        if (text.startsWith(kBestMark)) {
            text.remove(0, kBestMark.size());
        }
        const bool best = name->data(kRunRole).toInt() == run;
        name->setText(best ? kBestMark + text : text);
        QFont font = name->font();
        font.setBold(best);
        name->setFont(font);
    }
}

void RunsTable::setRuns(const std::vector<RunRecord>& runs) {
    setRowCount(0);
    for (const RunRecord& run : runs) {
        addRun(run);
    }
}

void RunsTable::addRun(const RunRecord& run) {
    const QSignalBlocker quiet(this);
    // Sorting moves rows as their cells are set: the row is filled first, then sorted in.
    setSortingEnabled(false);
    const int row = rowCount();
    insertRow(row);
    fillRow(row, run);
    setSortingEnabled(true);
}

bool RunsTable::isRunShown(int run) const {
    const QTableWidgetItem* name = item(rowOf(run), Name);
    return name && name->checkState() == Qt::Checked;
}

void RunsTable::fillRow(int row, const RunRecord& run) {
    TrainingConfig config;
    try {
        config = TrainingConfig::fromJson(run.training);
    } catch (const std::exception&) {
        // A record from a newer Loom: its numbers still show, with the defaults' settings.
    }
    auto* name = new SortableItem(swatch(runColor(row)), QString::fromStdString(run.name));
    name->setData(kRunRole, row);
    name->setData(Qt::UserRole, row);  // sorting by name puts the runs back in their order
    name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
    name->setCheckState(Qt::Checked);
    name->setToolTip(tr("%1\nShow or hide this run on the chart")
                         .arg(QString::fromStdString(run.finished.message)));
    setItem(row, Name, name);
    const QString others = otherHyperparameters(config);
    setCell(row, Optimizer,
            others.isEmpty()
                ? QString::fromStdString(config.optimizer)
                : QStringLiteral("%1 (%2)").arg(QString::fromStdString(config.optimizer), others),
            QString::fromStdString(config.optimizerParams.dump()));
    setNumberCell(row, LearningRate, learningRateOf(config),
                  shortestNumber(learningRateOf(config)));
    // Data-parallel workers each take a batch: the run learnt from their sum.
    setNumberCell(row, BatchSize, double(config.batchSize * config.workers),
                  config.workers > 1
                      ? QStringLiteral("%1 × %2").arg(config.batchSize).arg(config.workers)
                      : QString::number(config.batchSize));
    setNumberCell(row, Epochs, double(run.epochs.size()), QString::number(run.epochs.size()));
    const EpochProgress last =
        run.epochs.empty() ? EpochProgress{0, 0, NAN, NAN, NAN, NAN} : run.epochs.back();
    setNumberCell(row, Loss, last.loss, number(last.loss, 4));
    setNumberCell(row, Accuracy, last.accuracy, number(last.accuracy, 4));
    setNumberCell(row, ValidationLoss, last.validationLoss, number(last.validationLoss, 4));
    setNumberCell(row, ValidationAccuracy, last.validationAccuracy,
                  number(last.validationAccuracy, 4));
    setCell(row, Started, localTime(run.startedAt), QString::fromStdString(run.startedAt));
}

void RunsTable::setNumberCell(int row, int column, double value, const QString& text) {
    setCell(row, column, text);
    if (std::isfinite(value)) {
        item(row, column)->setData(Qt::UserRole, value);
    }
}

void RunsTable::setCell(int row, int column, const QString& text, const QString& toolTip) {
    auto* cell = new SortableItem(text);
    cell->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    if (column != Optimizer && column != Started) {
        cell->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    cell->setToolTip(toolTip);
    setItem(row, column, cell);
}

}  // namespace loom
