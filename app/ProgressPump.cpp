#include "ProgressPump.h"

#include <algorithm>

namespace loom {

ProgressPump::ProgressPump(Handler handler, QObject* parent)
    : QObject(parent), m_handler(std::move(handler)) {
    m_timer.setInterval(kIntervalMs);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ProgressPump::tick);
}

void ProgressPump::start() {
    m_longestStallMs = m_longestDrainMs = 0;
    m_sinceLastTick.start();
    m_timer.start();
}

void ProgressPump::start(const BackgroundRun& run, std::function<void()> whenEnded) {
    start();
    m_run = &run;
    m_whenEnded = std::move(whenEnded);
}

void ProgressPump::stop() {
    m_timer.stop();
    m_run = nullptr;
    m_whenEnded = nullptr;
}

void ProgressPump::drainNow() {
    QElapsedTimer work;
    work.start();
    m_handler(m_queue.drain());
    m_longestDrainMs = std::max(m_longestDrainMs, static_cast<double>(work.nsecsElapsed()) / 1e6);
}

void ProgressPump::tick() {
    const double gap = static_cast<double>(m_sinceLastTick.nsecsElapsed()) / 1e6;
    m_sinceLastTick.start();
    m_longestStallMs = std::max(m_longestStallMs, gap - kIntervalMs);
    // Asked before draining: a job that ended reported everything before it did.
    const bool ended = m_run && m_run->ended();
    drainNow();
    if (ended) {
        const std::function<void()> whenEnded = std::move(m_whenEnded);
        stop();
        whenEnded();
    }
}

}  // namespace loom
