#include "TrainingProgress.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>

#include <cmath>

namespace loom {

namespace {

/// The bar counts in tenths of a percent, so that long runs still visibly move.
constexpr int kBarSteps = 1000;

}  // namespace

QString formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        return QStringLiteral("–");
    }
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total < 60) {
        return QStringLiteral("%1 s").arg(total);
    }
    const long long h = total / 3600, m = total / 60 % 60, s = total % 60;
    const QString mmss =
        QStringLiteral("%1:%2").arg(m, h > 0 ? 2 : 1, 10, QChar('0')).arg(s, 2, 10, QChar('0'));
    return h > 0 ? QStringLiteral("%1:%2").arg(h).arg(mmss) : mmss;
}

TrainingProgress::TrainingProgress(QWidget* parent) : QWidget(parent) {
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("trainingProgressBar"));
    m_bar->setRange(0, kBarSteps);
    m_bar->setMinimumWidth(200);
    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("trainingDetails"));
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A run's closing message can be a long sentence: it wraps rather than widening the window
    // past the screen.
    m_details->setWordWrap(true);
    m_device = new QLabel(this);
    m_device->setObjectName(QStringLiteral("deviceStatus"));
    m_device->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_bar, 1);
    layout->addWidget(m_details, 2);
    layout->addWidget(m_device);
    reset();
}

void TrainingProgress::reset() {
    m_bar->setValue(0);
    m_bar->setFormat(QString());
    m_details->setText(tr("Not training"));
}

void TrainingProgress::showBatch(const BatchProgress& b) {
    const double batches = static_cast<double>(std::max<int64_t>(b.batches, 1));
    const double done = ((b.epoch - 1) * batches + static_cast<double>(b.batch)) /
                        (std::max(b.epochs, 1) * batches);
    m_bar->setValue(static_cast<int>(std::lround(done * kBarSteps)));
    m_bar->setFormat(QStringLiteral("%1%").arg(done * 100, 0, 'f', 1));
    m_details->setText(tr("Epoch %1/%2 · batch %3/%4 · %5 samples/s · %6 left")
                           .arg(b.epoch)
                           .arg(b.epochs)
                           .arg(b.batch)
                           .arg(b.batches)
                           .arg(QLocale().toString(std::lround(b.samplesPerSecond)))
                           .arg(formatDuration(b.etaSeconds)));
}

void TrainingProgress::showPreparation(const PreparationProgress& p) {
    const double done = double(p.done) / double(std::max<int64_t>(p.total, 1));
    m_bar->setValue(static_cast<int>(std::lround(done * kBarSteps)));
    m_bar->setFormat(QStringLiteral("%1%").arg(done * 100, 0, 'f', 1));
    m_details->setText(tr("%1 · %2/%3 samples · %4 left")
                           .arg(QString::fromStdString(p.stage))
                           .arg(QLocale().toString(static_cast<qlonglong>(p.done)))
                           .arg(QLocale().toString(static_cast<qlonglong>(p.total)))
                           .arg(formatDuration(p.etaSeconds)));
}

void TrainingProgress::showFinished(const QString& message) {
    m_details->setText(message);
}

void TrainingProgress::setDeviceStatus(const QString& status) {
    m_device->setText(status);
}

QString TrainingProgress::detailsText() const {
    return m_details->text();
}

int TrainingProgress::percent() const {
    return m_bar->value() * 100 / kBarSteps;
}

}  // namespace loom
