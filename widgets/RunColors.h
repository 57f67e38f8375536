#pragma once

#include <QColor>

namespace loom {

/// The colour of a project's run number `index` (from 0), the same in the chart and the runs
/// table, so that a row and its curves are matched at a glance. Ten colours that stay apart on
/// white (Tableau 10), repeating after ten runs.
QColor runColor(int index);

}  // namespace loom
