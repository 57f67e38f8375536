#include "DeviceStatus.h"

#include <loom/Devices.h>
#include <loom/Platform.h>

#include <QObject>

#include <exception>

namespace loom {

namespace {

QString mebibytes(double bytes) {
    return QStringLiteral("%1 MiB").arg(bytes / (1024.0 * 1024.0), 0, 'f', 0);
}

QString gibibytes(double bytes) {
    return QString::number(bytes / (1024.0 * 1024.0 * 1024.0), 'f', 1);
}

}  // namespace

QString deviceStatusText(const std::string& deviceSetting, int workers) {
    Device device;
    try {
        device = parseDevice(deviceSetting);
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    for (const DeviceInfo& info : availableDevices()) {
        if (!(info.device == device)) {
            continue;
        }
        const QString name = QString::fromStdString(info.name);
        if (device.kind == DeviceKind::CPU) {
            const QString place =
                workers > 1 ? QObject::tr("%1 · %2 workers").arg(name).arg(workers) : name;
            return QObject::tr("%1 · %2 in use")
                .arg(place, mebibytes(double(residentMemoryBytes())));
        }
        return QObject::tr("%1 · %2 of %3 GiB in use")
            .arg(name, gibibytes(double(info.totalMemory - info.freeMemory)),
                 gibibytes(double(info.totalMemory)));
    }
    return QObject::tr("%1 is not available: %2")
        .arg(QString::fromStdString(deviceSetting),
             QString::fromStdString(cudaUnavailableReason()));
}

}  // namespace loom
