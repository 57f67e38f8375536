#pragma once
/// BackgroundRun: a long job (training, art) on its own thread. The job receives the run's
/// RunControl and checks it between steps, so stop and pause take effect within one step; the
/// destructor asks the job to stop and waits for it, so a run never outlives its owner.

#include <loom/Progress.h>

#include <atomic>
#include <exception>
#include <functional>
#include <thread>

namespace loom {

class BackgroundRun {
public:
    explicit BackgroundRun(std::function<void(RunControl&)> job);
    ~BackgroundRun();
    BackgroundRun(const BackgroundRun&) = delete;
    BackgroundRun& operator=(const BackgroundRun&) = delete;

    RunControl& control() { return m_control; }
    /// True once the job has returned (or thrown). Everything the job wrote before it returned
    /// is visible to a thread that saw this true: the GUI thread polls it instead of being
    /// posted to, so the hand-off is one atomic that ThreadSanitizer can follow.
    bool ended() const { return m_ended.load(std::memory_order_acquire); }
    /// Waits for the job to end; rethrows what it threw.
    void wait();

private:
    RunControl m_control;
    std::exception_ptr m_error;
    std::atomic<bool> m_ended{false};
    std::thread m_thread;  ///< last: it starts the job, which uses the members above
};

}  // namespace loom
