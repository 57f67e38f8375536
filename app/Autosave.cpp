#include "Autosave.h"

#include "ProjectDocument.h"

#include <loom/Error.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QUuid>

namespace loom {

namespace {

/// Beside each copy, what it is a copy of: the copy itself is a plain project.
QString sidecarOf(const QString& recoveryPath) {
    return recoveryPath + ".json";
}

}  // namespace

Autosave::Autosave(ProjectDocument& document, const QString& recoveryFolder, int intervalMs,
                   QObject* parent)
    : QObject(parent),
      m_document(document),
      m_folder(recoveryFolder),
      // One file per session, so two windows or a crashed earlier session never collide.
      m_recoveryPath(QDir(recoveryFolder)
                         .filePath(QUuid::createUuid().toString(QUuid::WithoutBraces) + ".loom")) {
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &Autosave::saveNow);
    connect(&document, &ProjectDocument::modifiedChanged, this, [this](bool modified) {
        if (!modified) {
            discard();
        }
    });
    connect(&document, &ProjectDocument::projectReplaced, this, &Autosave::discard);
    m_timer.start();
}

Autosave::~Autosave() {
    discard();
}

QString Autosave::defaultFolder() {
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath("recovery");
}

bool Autosave::saveNow() {
    try {
        if (!QDir().mkpath(m_folder)) {
            throw IoError("cannot create the recovery folder " + m_folder.toStdString());
        }
        if (!m_document.writeUnsavedCopy(m_recoveryPath)) {
            return true;
        }
        QFile sidecar(sidecarOf(m_recoveryPath));
        const QJsonObject about{{"originalPath", m_document.path()},
                                {"savedAt", QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}};
        if (!sidecar.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            sidecar.write(QJsonDocument(about).toJson()) < 0) {
            throw IoError("cannot write " + sidecar.fileName().toStdString());
        }
    } catch (const std::exception& e) {
        emit failed(QString("Autosave failed: %1").arg(e.what()));
        return false;
    }
    emit saved(m_recoveryPath);
    return true;
}

void Autosave::discard() {
    removeLeftover({m_recoveryPath, {}, {}});
}

void Autosave::removeLeftover(const Leftover& leftover) {
    QFile::remove(leftover.recoveryPath);
    QFile::remove(sidecarOf(leftover.recoveryPath));
}

std::vector<Autosave::Leftover> Autosave::leftovers(const QString& recoveryFolder) {
    std::vector<Leftover> found;
    const QDir folder(recoveryFolder);
    for (const QString& name : folder.entryList({"*.loom"}, QDir::Files)) {
        Leftover leftover{folder.filePath(name), {}, {}};
        QFile sidecar(sidecarOf(leftover.recoveryPath));
        if (sidecar.open(QIODevice::ReadOnly)) {
            const QJsonObject about = QJsonDocument::fromJson(sidecar.readAll()).object();
            leftover.originalPath = about.value("originalPath").toString();
            leftover.savedAt =
                QDateTime::fromString(about.value("savedAt").toString(), Qt::ISODate);
        }
        if (!leftover.savedAt.isValid()) {
            leftover.savedAt = QFileInfo(leftover.recoveryPath).lastModified();
        }
        found.push_back(leftover);
    }
    std::sort(found.begin(), found.end(),
              [](const Leftover& a, const Leftover& b) { return a.savedAt > b.savedAt; });
    return found;
}

}  // namespace loom
