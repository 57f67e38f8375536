#pragma once
/// A run's layer statistics in the .loom file (io/ProjectFile.cpp's /runs/run_NNNN/statistics):
///   layers      the layer names, as a string list attribute of the group
///   steps       [S, 2] float64: step, epoch
///   scalars     [S, L, 10] float64: see kScalarColumns (its "columns" attribute)
///   histograms  [S, L, 3, 66] float32: activations, weights, gradients; low, high, 64 counts

#include <loom/StatisticsSample.h>

#include "io/Hdf5File.h"

#include <string>
#include <vector>

namespace loom {

/// Writes nothing for a run without statistics.
void writeRunStatistics(h5::File& file, const std::string& runGroup,
                        const std::vector<StatisticsSample>& samples);
/// None when the run has no statistics group; IoError for one with inconsistent shapes or
/// impossible counts.
std::vector<StatisticsSample> readRunStatistics(const h5::File& file, const std::string& runGroup);

}  // namespace loom
