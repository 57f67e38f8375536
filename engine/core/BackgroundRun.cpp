#include <loom/BackgroundRun.h>

#include <utility>

namespace loom {

BackgroundRun::BackgroundRun(std::function<void(RunControl&)> job)
    : m_thread([this, job = std::move(job)] {
          try {
              job(m_control);
          } catch (...) {
              m_error = std::current_exception();
          }
          m_ended.store(true, std::memory_order_release);
      }) {}

BackgroundRun::~BackgroundRun() {
    m_control.requestStop();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void BackgroundRun::wait() {
    if (m_thread.joinable()) {
        m_thread.join();
    }
    if (m_error) {
        std::rethrow_exception(std::exchange(m_error, nullptr));
    }
}

}  // namespace loom
