#include <loom/RunRecorder.h>

namespace loom {

void RunRecorder::report(const ProgressEvent& event) {
    if (const auto* batch = std::get_if<BatchProgress>(&event)) {
        m_batches.push_back(*batch);
    } else if (const auto* epoch = std::get_if<EpochProgress>(&event)) {
        m_epochs.push_back(*epoch);
    } else if (const auto* sample = std::get_if<StatisticsSample>(&event)) {
        m_statistics.push_back(*sample);
    }
    if (m_next != nullptr) {
        m_next->report(event);
    }
}

RunRecord RunRecorder::partialRun(const Project& project, const std::string& startedAt) const {
    TrainingHistory soFar{m_epochs, m_statistics, {RunFinished::Reason::Stopped, "checkpoint", ""}};
    return makeRunRecord(project, soFar, m_batches, startedAt);
}

}  // namespace loom
