#include "ArtModelChoice.h"

#include "ExamplesFolder.h"

#include <loom/ModelFile.h>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace loom {

namespace {

const QString kInception = QStringLiteral("inception_v3");
const QString kMobileNet = QStringLiteral("mobilenet_v2");

bool isPretrainedName(const QString& source) {
    return source == kInception || source == kMobileNet;
}

}  // namespace

ArtModelChoice::ArtModelChoice(QWidget* parent) : QWidget(parent) {
    m_combo = new QComboBox(this);
    m_combo->addItem(tr("InceptionV3 (pretrained)"), kInception);
    m_combo->addItem(tr("MobileNetV2 (pretrained)"), kMobileNet);
    m_combo->addItem(tr("Model file…"), QString());
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("modelProblem"));
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_fetchButton = new QPushButton(tr("Fetch pretrained networks"), this);
    m_fetchButton->setObjectName(QStringLiteral("fetchButton"));
    m_fetchLog = new QPlainTextEdit(this);
    m_fetchLog->setObjectName(QStringLiteral("fetchLog"));
    m_fetchLog->setReadOnly(true);
    m_fetchLog->setMaximumBlockCount(500);
    m_fetchLog->setFixedHeight(fontMetrics().height() * 6);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_combo);
    layout->addWidget(m_problem);
    layout->addWidget(m_fetchButton, 0, Qt::AlignLeft);
    layout->addWidget(m_fetchLog);
    m_problem->hide();
    m_fetchButton->hide();
    m_fetchLog->hide();

    QStringList arguments{QDir(examplesFolder()).filePath(QStringLiteral("fetch_pretrained.js"))};
    if (!qEnvironmentVariableIsEmpty("LOOM_PRETRAINED_DIR")) {
        arguments << qEnvironmentVariable("LOOM_PRETRAINED_DIR");
    }
    setFetchCommand(QStringLiteral("node"), arguments);
    m_fetch.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_fetch, &QProcess::readyRead, this, [this] {
        m_fetchLog->appendPlainText(QString::fromLocal8Bit(m_fetch.readAll()).trimmed());
    });
    connect(&m_fetch, &QProcess::finished, this, &ArtModelChoice::fetchFinished);
    connect(&m_fetch, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            m_fetchLog->appendPlainText(
                tr("Could not start %1: %2 (Debian: apt install nodejs npm)")
                    .arg(m_fetchProgram, m_fetch.errorString()));
            m_fetchButton->setEnabled(true);
        }
    });
    connect(m_fetchButton, &QPushButton::clicked, this, &ArtModelChoice::fetch);
    connect(m_combo, &QComboBox::activated, this, &ArtModelChoice::chooseFromCombo);
}

QString ArtModelChoice::problem() const {
    return m_model ? QString() : m_problem->text();
}

void ArtModelChoice::setFetchCommand(const QString& program, const QStringList& arguments) {
    m_fetchProgram = program;
    m_fetchArguments = arguments;
    m_fetchButton->setToolTip(QStringLiteral("%1 %2").arg(program, arguments.join(' ')));
}

void ArtModelChoice::chooseFromCombo(int index) {
    QString source = m_combo->itemData(index).toString();
    if (source.isEmpty()) {
        source = QFileDialog::getOpenFileName(
            this, tr("Open model"), QString(),
            tr("Models (*.loom *.h5 *.keras *.json *.onnx);;All files (*)"));
        if (source.isEmpty()) {
            m_combo->setCurrentIndex(std::max(0, m_combo->findData(m_source)));
            return;
        }
    }
    load(source);
}

void ArtModelChoice::load(const QString& source) {
    m_source = source;
    m_model.reset();
    const int index = m_combo->findData(source);
    if (index < 0) {
        m_combo->insertItem(m_combo->count() - 1, QFileInfo(source).fileName(), source);
    }
    m_combo->setCurrentIndex(m_combo->findData(source));
    QApplication::setOverrideCursor(Qt::WaitCursor);
    try {
        if (isPretrainedName(source)) {
            m_model = std::make_shared<Graph>(loadPretrainedModel(source.toStdString()));
        } else {
            ModelFile file = readModelFile(source.toStdString());
            ensureBuilt(file);
            m_model = std::make_shared<Graph>(std::move(file.graph));
        }
        m_defaults = artModelDefaults(*m_model);
        m_problem->hide();
        m_fetchButton->hide();
    } catch (const std::exception& e) {
        m_defaults = ArtModelDefaults{};
        const bool missing = isPretrainedName(source) &&
                             !QFileInfo::exists(QString::fromStdString(pretrainedFolder()) + "/" +
                                                source + "/model.json");
        showProblem(missing ? tr("The pretrained network is not installed in %1. Fetch it once "
                                 "(about 25 MB, needs node and npm) with the button below, or run: "
                                 "node examples/fetch_pretrained.js")
                                  .arg(QString::fromStdString(pretrainedFolder()))
                            : tr("Cannot load the model: %1").arg(QString::fromUtf8(e.what())),
                    missing);
    }
    QApplication::restoreOverrideCursor();
    emit modelChanged();
}

void ArtModelChoice::showProblem(const QString& message, bool offerFetch) {
    m_problem->setText(message);
    m_problem->show();
    m_fetchButton->setVisible(offerFetch);
}

void ArtModelChoice::fetch() {
    if (m_fetch.state() != QProcess::NotRunning) {
        return;
    }
    m_fetchLog->clear();
    m_fetchLog->show();
    m_fetchLog->appendPlainText(
        QStringLiteral("$ %1 %2").arg(m_fetchProgram, m_fetchArguments.join(' ')));
    m_fetchButton->setEnabled(false);
    m_fetch.start(m_fetchProgram, m_fetchArguments);
}

void ArtModelChoice::fetchFinished(int exitCode, QProcess::ExitStatus status) {
    m_fetchButton->setEnabled(true);
    const bool ok = status == QProcess::NormalExit && exitCode == 0;
    m_fetchLog->appendPlainText(ok ? tr("Fetched; loading the network.")
                                   : tr("The fetch failed (exit code %1).").arg(exitCode));
    if (ok) {
        load(m_source);
    }
}

}  // namespace loom
