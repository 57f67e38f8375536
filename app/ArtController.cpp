#include "ArtController.h"

#include "DreamStudio.h"
#include "StyleStudio.h"

#include <loom/Devices.h>

#include <algorithm>

namespace loom {

ArtController::ArtController(QObject* parent)
    : QObject(parent),
      m_pump([this](std::vector<ProgressEvent>&& events) { handle(std::move(events)); }) {
    qRegisterMetaType<ArtStep>();
}

ArtController::~ArtController() {
    // The worker reports into m_pump's queue: it must end before the pump goes.
    m_run.reset();
}

std::shared_ptr<ArtController::Job> ArtController::newJob(std::string kind,
                                                          std::shared_ptr<Graph> model,
                                                          nlohmann::json studioSettings) {
    auto job = std::make_shared<Job>();
    job->kind = std::move(kind);
    job->model = std::move(model);
    job->studioSettings = std::move(studioSettings);
    return job;
}

bool ArtController::dream(const DreamJob& request) {
    if (isRunning()) {
        return false;
    }
    auto job = newJob("dream", request.model, request.studioSettings);
    start(job, [job, picture = request.picture, settings = request.settings](
                   Backend& backend, ProgressSink& sink, RunControl& control) mutable {
        return deepDream(*job->model, backend, picture, settings, &sink, &control);
    });
    return true;
}

bool ArtController::style(const StyleJob& request) {
    if (isRunning()) {
        return false;
    }
    auto job = newJob("style", request.model, request.studioSettings);
    start(job, [job, content = request.content, style = request.style, settings = request.settings](
                   Backend& backend, ProgressSink& sink, RunControl& control) mutable {
        return styleTransfer(*job->model, backend, content, style, settings, &sink, &control);
    });
    return true;
}

void ArtController::start(std::shared_ptr<Job> job,
                          std::function<Tensor(Backend&, ProgressSink&, RunControl&)> work) {
    m_job = job;
    ProgressQueue& queue = m_pump.queue();
    m_run = std::make_unique<BackgroundRun>([job, work, &queue](RunControl& control) {
        try {
            job->result = work(backendFor(parseDevice("auto")), queue, control);
        } catch (const std::exception& e) {
            job->error = e.what();
        }
    });
    m_pump.start(*m_run, [this] { finishRun(); });
    emit runningChanged(true);
}

void ArtController::stop() {
    if (m_run) {
        m_run->control().requestStop();
    }
}

void ArtController::handle(std::vector<ProgressEvent>&& events) {
    for (const ProgressEvent& event : events) {
        if (const auto* step = std::get_if<ImageProgress>(&event)) {
            emit stepReported(artStep(*step));
        } else if (const auto* end = std::get_if<RunFinished>(&event)) {
            m_job->stopped = end->reason == RunFinished::Reason::Stopped;
            m_job->message = end->message;
        }
    }
}

void ArtController::finishRun() {
    m_pump.drainNow();
    m_pump.stop();
    m_run.reset();
    const std::shared_ptr<Job> job = std::move(m_job);
    emit runningChanged(false);
    if (!job->error.empty()) {
        emit failed(QString::fromUtf8(job->error.c_str()));
        return;
    }
    m_results[job->kind] = {job->studioSettings, job->result};
    emit finished(pictureToImage(job->result), job->stopped, QString::fromStdString(job->message));
}

void ArtController::storeInProject(Project& project) const {
    for (const auto& [kind, result] : m_results) {
        project.art[kind] = result.settings;
        Tensor unit = result.picture.to(DType::F32).clone();
        float* data = unit.data<float>();
        for (int64_t i = 0; i < unit.numel(); ++i) {
            data[i] = std::clamp(data[i] / 255.0f, 0.0f, 1.0f);
        }
        project.artImages[kind] = unit;
    }
}

void ArtController::attach(DreamStudio* studio) {
    connect(studio, &DreamStudio::dreamRequested, this, [this, studio](const DreamJob& job) {
        m_requester = studio;
        if (!dream(job)) {
            studio->showFailure(tr("A picture is being made already: stop it or wait."));
        }
    });
    attachStudio(studio);
}

void ArtController::attach(StyleStudio* studio) {
    connect(studio, &StyleStudio::styleRequested, this, [this, studio](const StyleJob& job) {
        m_requester = studio;
        if (!style(job)) {
            studio->showFailure(tr("A picture is being made already: stop it or wait."));
        }
    });
    attachStudio(studio);
}

void ArtController::attachStudio(ArtStudio* studio) {
    connect(studio, &ArtStudio::stopRequested, this, [this, studio] {
        if (m_requester == studio) {
            stop();
        }
    });
    connect(this, &ArtController::runningChanged, studio, [this, studio](bool running) {
        if (m_requester == studio) {
            studio->setRunning(running);
        }
    });
    connect(this, &ArtController::stepReported, studio, [this, studio](const ArtStep& step) {
        if (m_requester == studio) {
            studio->showStep(step);
        }
    });
    connect(this, &ArtController::finished, studio,
            [this, studio](const QImage& result, bool, const QString& message) {
                if (m_requester == studio) {
                    studio->showFinished(result, message);
                }
            });
    connect(this, &ArtController::failed, studio, [this, studio](const QString& message) {
        if (m_requester == studio) {
            studio->showFailure(message);
        }
    });
}

}  // namespace loom
