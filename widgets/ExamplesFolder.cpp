#include "ExamplesFolder.h"

#include <QCoreApplication>
#include <QDir>

namespace loom {

QString examplesFolder() {
    const QDir installed(QCoreApplication::applicationDirPath() + "/../share/loom/examples");
    if (installed.exists()) {
        return installed.absolutePath();
    }
    return QStringLiteral(LOOM_SOURCE_DIR "/examples");
}

}  // namespace loom
