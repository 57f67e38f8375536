#include "RunColors.h"

#include <array>

namespace loom {

QColor runColor(int index) {
    static const std::array<QRgb, 10> kColors = {0x4e79a7, 0xe15759, 0x59a14f, 0xf28e2b, 0xb07aa1,
                                                 0x76b7b2, 0xedc948, 0xff9da7, 0x9c755f, 0xbab0ac};
    return QColor(kColors[static_cast<size_t>(index) % kColors.size()]);
}

}  // namespace loom
