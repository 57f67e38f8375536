#include "PredictView.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace loom {

namespace {

/// The model's input is often tiny (28x28): it is shown this large, unsmoothed.
constexpr int kImageSide = 168;

QString localImagePath(const QMimeData* mime) {
    if (mime == nullptr || !mime->hasUrls() || mime->urls().isEmpty()) {
        return {};
    }
    const QUrl url = mime->urls().first();
    return url.isLocalFile() ? url.toLocalFile() : QString();
}

}  // namespace

PredictView::PredictView(QWidget* parent) : QWidget(parent) {
    setAcceptDrops(true);
    m_image = new QLabel(this);
    m_image->setFixedSize(kImageSide, kImageSide);
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setFrameShape(QFrame::StyledPanel);
    m_image->setText(tr("Drop an image\nhere"));
    m_message = new QLabel(tr("Drop an image file here, or choose one, to see the model's "
                              "five likeliest classes."),
                           this);
    m_message->setWordWrap(true);
    auto* choose = new QPushButton(tr("Choose image…"), this);
    connect(choose, &QPushButton::clicked, this, &PredictView::chooseImage);
    m_bars = new QGridLayout;
    m_bars->setColumnStretch(1, 1);
    auto* right = new QVBoxLayout;
    right->addWidget(m_message);
    right->addLayout(m_bars);
    right->addStretch(1);
    right->addWidget(choose, 0, Qt::AlignLeft);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(m_image, 0, Qt::AlignTop);
    layout->addLayout(right, 1);
}

void PredictView::setPrediction(const QImage& image,
                                const std::vector<std::pair<QString, double>>& top) {
    clearBars();
    m_message->setText(tr("The model's likeliest classes:"));
    m_image->setPixmap(QPixmap::fromImage(
        image.scaled(kImageSide - 8, kImageSide - 8, Qt::KeepAspectRatio, Qt::FastTransformation)));
    int row = 0;
    for (const auto& [name, probability] : top) {
        auto* bar = new QProgressBar(this);
        bar->setRange(0, 1000);
        bar->setValue(static_cast<int>(std::lround(probability * 1000)));
        bar->setFormat(QStringLiteral("%1%").arg(probability * 100, 0, 'f', 1));
        m_bars->addWidget(new QLabel(name, this), row, 0);
        m_bars->addWidget(bar, row, 1);
        ++row;
    }
}

void PredictView::setError(const QString& message) {
    clearBars();
    m_message->setText(tr("Cannot predict: %1").arg(message));
}

std::vector<std::pair<QString, int>> PredictView::shownBars() const {
    std::vector<std::pair<QString, int>> bars;
    for (int row = 0; row < m_bars->rowCount(); ++row) {
        QLayoutItem* label = m_bars->itemAtPosition(row, 0);
        QLayoutItem* bar = m_bars->itemAtPosition(row, 1);
        if (label && bar) {
            bars.emplace_back(qobject_cast<QLabel*>(label->widget())->text(),
                              qobject_cast<QProgressBar*>(bar->widget())->value());
        }
    }
    return bars;
}

void PredictView::clearBars() {
    while (QLayoutItem* item = m_bars->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

void PredictView::chooseImage() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose an image"), QString(),
        tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"));
    if (!path.isEmpty()) {
        emit imageChosen(path);
    }
}

void PredictView::dragEnterEvent(QDragEnterEvent* event) {
    if (!localImagePath(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void PredictView::dropEvent(QDropEvent* event) {
    const QString path = localImagePath(event->mimeData());
    if (!path.isEmpty()) {
        event->acceptProposedAction();
        emit imageChosen(path);
    }
}

}  // namespace loom
