#include <loom/Progress.h>

namespace loom {

void ProgressQueue::report(const ProgressEvent& event) {
    std::lock_guard lock(m_mutex);
    m_events.push_back(event);
}

std::vector<ProgressEvent> ProgressQueue::drain() {
    std::lock_guard lock(m_mutex);
    std::vector<ProgressEvent> events;
    events.swap(m_events);
    return events;
}

void RunControl::requestStop() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_resumed.notify_all();
}

void RunControl::setPaused(bool paused) {
    {
        std::lock_guard lock(m_mutex);
        m_paused = paused;
    }
    m_resumed.notify_all();
}

bool RunControl::checkpoint() {
    std::unique_lock lock(m_mutex);
    const auto free = [this] { return !m_paused.load() || m_stop.load(); };
    if (!free()) {
        ++m_held;
        m_heldChanged.notify_all();
        m_resumed.wait(lock, free);
        --m_held;
    }
    return !m_stop.load();
}

bool RunControl::waitUntilHeld(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    return m_heldChanged.wait_for(lock, timeout, [this] { return m_held > 0; });
}

}  // namespace loom
