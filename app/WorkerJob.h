#pragma once

#include "ProgressPump.h"

#include <loom/BackgroundRun.h>

#include <QObject>

#include <functional>
#include <memory>

namespace loom {

/// WorkerJob: work that must not hold up the window (an explanation, a layer's feature maps, an
/// embedding) on a worker thread, on its own copies of what it needs. What it reports and its
/// end reach the GUI thread through a ProgressPump. Starting another asks the one in progress
/// to stop and waits for it, so at most one runs and a replaced job's end is never delivered.
class WorkerJob : public QObject {
    Q_OBJECT

public:
    using Work = std::function<void(ProgressSink& progress, RunControl& control)>;

    explicit WorkerJob(QObject* parent = nullptr);
    ~WorkerJob() override;

    /// onProgress gets, on the GUI thread about 30 times a second, what the work reported since
    /// (possibly nothing); whenEnded comes once, after the last of it.
    void start(Work work, ProgressPump::Handler onProgress, std::function<void()> whenEnded);
    /// Asks the work to stop at its next checkpoint; whenEnded still comes.
    void stop();
    /// Stops the work and waits for it (up to one of its steps); whenEnded never comes.
    void cancel();
    bool isRunning() const { return m_run != nullptr; }

private:
    ProgressPump::Handler m_onProgress;
    ProgressPump m_pump;
    std::unique_ptr<BackgroundRun> m_run;  ///< after m_pump: the work reports into its queue
};

}  // namespace loom
