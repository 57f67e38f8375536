#include "ArtStudio.h"

#include "ArtModelChoice.h"
#include "ImagePreview.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <cmath>

namespace loom {

namespace {

/// The settings column keeps this width so the pictures get the rest.
constexpr int kSettingsWidth = 300;

QString clock(double seconds) {
    const auto s = static_cast<long long>(std::lround(std::max(0.0, seconds)));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

ArtStudio::ArtStudio(const QString& resultCaption, QWidget* parent) : QWidget(parent) {
    m_modelChoice = new ArtModelChoice(this);
    m_settingsPanel = new QWidget;
    m_settingsLayout = new QVBoxLayout(m_settingsPanel);
    m_settingsLayout->setContentsMargins(0, 0, 4, 0);
    m_settingsLayout->addWidget(new QLabel(tr("Network"), m_settingsPanel));
    m_settingsLayout->addWidget(m_modelChoice);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_settingsPanel);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setFixedWidth(kSettingsWidth);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    m_result = new ImagePreview(resultCaption, this);
    m_result->setPlaceholder(tr("Press Run: the picture changes here after every step."));
    m_runButton = new QPushButton(tr("Run"), this);
    m_runButton->setObjectName(QStringLiteral("runButton"));
    m_stopButton = new QPushButton(tr("Stop"), this);
    m_stopButton->setObjectName(QStringLiteral("stopButton"));
    m_saveButton = new QPushButton(tr("Save picture…"), this);
    m_saveButton->setObjectName(QStringLiteral("saveButton"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("progress"));
    m_progress->setTextVisible(true);
    m_progress->setFormat(QString());
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_runButton);
    buttons->addWidget(m_stopButton);
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_saveButton);
    m_mainColumn = new QVBoxLayout;
    m_mainColumn->addLayout(buttons);
    m_mainColumn->addWidget(m_status);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(scroll);
    layout->addLayout(m_mainColumn, 1);

    connect(m_runButton, &QPushButton::clicked, this, &ArtStudio::run);
    connect(m_stopButton, &QPushButton::clicked, this, &ArtStudio::stopRequested);
    connect(m_saveButton, &QPushButton::clicked, this, &ArtStudio::saveWithDialog);
    connect(m_modelChoice, &ArtModelChoice::modelChanged, this, [this] {
        m_runButton->setEnabled(!m_running && m_modelChoice->model() != nullptr);
        modelLoaded();
    });
    setRunning(false);
}

void ArtStudio::setPicturesArea(QLayout* pictures) {
    m_mainColumn->insertLayout(0, pictures, 1);
}

QImage ArtStudio::result() const {
    return m_result->image();
}

bool ArtStudio::saveResult(const QString& path) const {
    return savePicture(result(), path);
}

void ArtStudio::saveWithDialog() {
    const QString path = savePictureWithDialog(this, result(), resultName());
    if (!path.isEmpty()) {
        m_status->setText(tr("Saved %1").arg(path));
    }
}

void ArtStudio::setRunning(bool running) {
    m_running = running;
    m_settingsPanel->setEnabled(!running);
    m_runButton->setEnabled(!running && m_modelChoice->model() != nullptr);
    m_stopButton->setEnabled(running);
    m_saveButton->setEnabled(!running && !result().isNull());
    if (running) {
        m_progress->setValue(0);
        m_progress->setFormat(tr("starting…"));
        m_status->clear();
    }
}

void ArtStudio::showStep(const ArtStep& step) {
    m_result->setImage(step.image);
    m_progress->setRange(0, static_cast<int>(step.steps));
    m_progress->setValue(static_cast<int>(step.step));
    const double left =
        step.seconds / double(std::max<int64_t>(step.step, 1)) * double(step.steps - step.step);
    QString text = tr("step %1/%2").arg(step.step).arg(step.steps);
    if (!step.stage.isEmpty()) {
        text += QStringLiteral(" · ") + step.stage;
    }
    text += tr(" · loss %1 · %2 left").arg(step.loss, 0, 'g', 4).arg(clock(left));
    m_progress->setFormat(text);
    stepShown(step);
}

void ArtStudio::stepShown(const ArtStep&) {}

void ArtStudio::showFinished(const QImage& result, const QString& message) {
    if (!result.isNull()) {
        m_result->setImage(result);
    }
    m_status->setStyleSheet(QString());
    m_status->setText(message);
    setRunning(false);
}

void ArtStudio::showFailure(const QString& message) {
    m_status->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_status->setText(message);
    setRunning(false);
}

ImagePreview* ArtStudio::makeSourcePreview(const QString& caption) {
    auto* preview = new ImagePreview(caption, this);
    preview->setAcceptsImageDrops(true);
    preview->setPlaceholder(tr("Drop an image here, or double-click to open one."));
    connect(preview, &ImagePreview::imageDropped, this,
            [this, preview](const QString& path) { openSource(preview, path); });
    connect(preview, &ImagePreview::openRequested, this, [this, preview] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open image"), QFileInfo(sourcePath(preview)).path(),
            tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff);;All files (*)"));
        if (!path.isEmpty()) {
            openSource(preview, path);
        }
    });
    return preview;
}

bool ArtStudio::openSource(ImagePreview* preview, const QString& path) {
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QImage image = reader.read();
    if (image.isNull()) {
        showFailure(tr("Cannot read the image %1: %2").arg(path, reader.errorString()));
        return false;
    }
    preview->setImage(image);
    preview->setProperty("path", path);
    preview->setToolTip(path);
    m_status->clear();
    return true;
}

void ArtStudio::addOpenButton(const QString& text, ImagePreview* preview) {
    auto* button = new QPushButton(text, m_settingsPanel);
    connect(button, &QPushButton::clicked, preview, &ImagePreview::openRequested);
    m_settingsLayout->addWidget(button);
}

QString ArtStudio::sourcePath(const ImagePreview* preview) {
    return preview->property("path").toString();
}

}  // namespace loom
