#include "WorkerJob.h"

namespace loom {

WorkerJob::WorkerJob(QObject* parent)
    : QObject(parent), m_pump([this](std::vector<ProgressEvent>&& events) {
          if (m_onProgress) {
              m_onProgress(std::move(events));
          }
      }) {}

WorkerJob::~WorkerJob() = default;

void WorkerJob::start(Work work, ProgressPump::Handler onProgress,
                      std::function<void()> whenEnded) {
    cancel();
    m_onProgress = std::move(onProgress);
    ProgressQueue& queue = m_pump.queue();
    m_run = std::make_unique<BackgroundRun>(
        [work = std::move(work), &queue](RunControl& control) { work(queue, control); });
    m_pump.start(*m_run, [this, whenEnded = std::move(whenEnded)] {
        m_run.reset();
        whenEnded();
    });
}

void WorkerJob::cancel() {
    m_pump.stop();
    m_run.reset();
    m_pump.queue().drain();  // what the cancelled work reported is not the next work's
}

void WorkerJob::stop() {
    if (m_run) {
        m_run->control().requestStop();
    }
}

}  // namespace loom
