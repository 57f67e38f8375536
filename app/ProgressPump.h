#pragma once

#include <loom/BackgroundRun.h>
#include <loom/Progress.h>

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <functional>
#include <vector>

namespace loom {

/// ProgressPump: the GUI end of a worker's progress. The worker reports into queue(); while
/// started, the pump drains it about 30 times a second on the GUI thread and hands the events
/// to its handler, so the window stays smooth however fast the worker reports. Watching a
/// BackgroundRun, it also tells the GUI thread when the run's job has ended. It measures how
/// long the event loop stalled between ticks and how long handling took.
class ProgressPump : public QObject {
    Q_OBJECT

public:
    using Handler = std::function<void(std::vector<ProgressEvent>&& events)>;

    /// About 30 drains a second: smooth to the eye, cheap for the GUI thread.
    static constexpr int kIntervalMs = 33;

    explicit ProgressPump(Handler handler, QObject* parent = nullptr);

    ProgressQueue& queue() { return m_queue; }
    /// Starts draining and resets the measurements.
    void start();
    /// As start(), and once `run`'s job has ended, hands on its last events, stops and calls
    /// whenEnded on the GUI thread (which may destroy the run or start another).
    void start(const BackgroundRun& run, std::function<void()> whenEnded);
    void stop();
    /// Hands on what is queued now (the last events of a run that just ended).
    void drainNow();

    /// The longest gap beyond the interval between two ticks, in milliseconds, since start().
    double longestStallMs() const { return m_longestStallMs; }
    /// The longest time one tick took, handler included.
    double longestDrainMs() const { return m_longestDrainMs; }

private:
    void tick();

    Handler m_handler;
    ProgressQueue m_queue;
    const BackgroundRun* m_run = nullptr;  ///< watched while started, or none
    std::function<void()> m_whenEnded;
    QTimer m_timer;
    QElapsedTimer m_sinceLastTick;
    double m_longestStallMs = 0, m_longestDrainMs = 0;
};

}  // namespace loom
