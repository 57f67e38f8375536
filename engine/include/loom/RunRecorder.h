#pragma once
/// RunRecorder: a progress sink between a trainer and whoever watches it that keeps the
/// per-batch numbers, epochs and layer statistics for the project's run history, passing every
/// event on unchanged.

#include <loom/Progress.h>
#include <loom/Project.h>

#include <string>
#include <vector>

namespace loom {

class RunRecorder : public ProgressSink {
public:
    explicit RunRecorder(ProgressSink* next) : m_next(next) {}
    void report(const ProgressEvent& event) override;
    /// The run so far, as a checkpoint saves it.
    RunRecord partialRun(const Project& project, const std::string& startedAt) const;
    std::vector<BatchProgress> takeBatches() { return std::move(m_batches); }

private:
    ProgressSink* m_next;  ///< may be null
    std::vector<BatchProgress> m_batches;
    std::vector<EpochProgress> m_epochs;
    std::vector<StatisticsSample> m_statistics;
};

}  // namespace loom
