#pragma once

#include <QString>

namespace loom {

/// The example projects and scripts (fetch_pretrained.js among them): where the package
/// installs them beside the program (share/loom/examples), else in the source tree the
/// program was built from.
QString examplesFolder();

}  // namespace loom
