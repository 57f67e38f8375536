#pragma once

#include <QObject>
#include <QSettings>
#include <QStringList>

#include <memory>

namespace loom {

/// RecentFiles: the projects and models opened or saved lately, newest first, kept in the
/// user's settings so File > Recent survives a restart. Files that no longer exist drop out
/// when the list is read.
class RecentFiles : public QObject {
    Q_OBJECT

public:
    static constexpr int kMaximum = 10;

    /// settingsFile: an INI file to keep the list in (tests); empty for the user's settings.
    explicit RecentFiles(const QString& settingsFile = {}, QObject* parent = nullptr);
    ~RecentFiles() override;

    QStringList files() const;
    /// Puts path first (once), keeping at most kMaximum.
    void add(const QString& path);
    void clear();

signals:
    void changed();

private:
    void store(const QStringList& files);

    std::unique_ptr<QSettings> m_settings;
};

}  // namespace loom
