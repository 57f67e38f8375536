#pragma once
/// BackgroundRun: a long job (training, art) on its own thread. The job receives the run's
/// RunControl and checks it between steps, so stop and pause take effect within one step; the
/// destructor asks the job to stop and waits for it, so a run never outlives its owner.

#include <loom/Progress.h>

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
    /// Waits for the job to end; rethrows what it threw.
    void wait();

private:
    RunControl m_control;
    std::exception_ptr m_error;
    std::thread m_thread;
};

}  // namespace loom
