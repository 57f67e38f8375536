#include "RecentFiles.h"

#include <QFileInfo>

namespace loom {

namespace {
const char* const kKey = "recentFiles";
}

RecentFiles::RecentFiles(const QString& settingsFile, QObject* parent)
    : QObject(parent),
      m_settings(settingsFile.isEmpty()
                     ? std::make_unique<QSettings>()
                     : std::make_unique<QSettings>(settingsFile, QSettings::IniFormat)) {}

RecentFiles::~RecentFiles() = default;

QStringList RecentFiles::files() const {
    QStringList existing;
    for (const QString& path : m_settings->value(kKey).toStringList()) {
        if (QFileInfo::exists(path)) {
            existing << path;
        }
    }
    return existing;
}

void RecentFiles::add(const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = files();
    list.removeAll(absolute);
    list.prepend(absolute);
    store(list.mid(0, kMaximum));
}

void RecentFiles::clear() {
    store({});
}

void RecentFiles::store(const QStringList& files) {
    m_settings->setValue(kKey, files);
    m_settings->sync();
    emit changed();
}

}  // namespace loom
