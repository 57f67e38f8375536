#pragma once
// loom-cli's progress: one line rewritten in place while an epoch runs (on a terminal), a
// line per epoch, and a table at the end.

#include <loom/Progress.h>

#include <chrono>
#include <cstdio>
#include <vector>

namespace loom::cli {

class ProgressPrinter : public ProgressSink {
public:
    explicit ProgressPrinter(std::FILE* out);
    void report(const ProgressEvent& event) override;
    /// The per-epoch table, as the run's summary.
    void printTable() const;

private:
    void printBatch(const BatchProgress& b);
    void printEpoch(const EpochProgress& e);
    void printPreparation(const PreparationProgress& p);

    std::FILE* m_out;
    bool m_terminal;
    std::chrono::steady_clock::time_point m_lastLine{};
    std::vector<EpochProgress> m_epochs;
    int64_t m_preparationTenths = -1;  ///< off a terminal: the last tenth of the work printed
};

std::string formatDuration(double seconds);

}  // namespace loom::cli
