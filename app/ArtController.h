#pragma once

#include "ArtJob.h"
#include "ProgressPump.h"

#include <loom/BackgroundRun.h>
#include <loom/Project.h>

#include <QObject>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace loom {

class ArtStudio;
class DreamStudio;
class StyleStudio;

/// ArtController: runs deep dream and style transfer on a worker thread, one job at a time,
/// as TrainingController runs training. The worker reports into a ProgressPump drained about
/// 30 times a second; every step comes out as an ArtStep with its picture, so the studio's
/// preview changes after each. Stop takes effect within one step (the engine checks between
/// steps) and keeps the picture so far. The last result of each kind, with the studio
/// settings that made it, can be written into the project (storeInProject).
class ArtController : public QObject {
    Q_OBJECT

public:
    explicit ArtController(QObject* parent = nullptr);
    ~ArtController() override;

    bool isRunning() const { return m_run != nullptr; }
    /// Wires a studio both ways: its requests start runs here, and this run's steps, end and
    /// failure go back to the studio that asked. Stop in the studio stops the run.
    void attach(DreamStudio* studio);
    void attach(StyleStudio* studio);
    /// Writes the last dream's and style transfer's studio settings into project.art["dream"]
    /// and ["style"] and their pictures into project.artImages (same names, [3, H, W] in 0..1).
    void storeInProject(Project& project) const;
    /// How long the GUI event loop stalled at most during the last run, in milliseconds.
    double longestStallMs() const { return m_pump.longestStallMs(); }

public slots:
    /// Start a job; false (and nothing else) when one is running already. Problems with the
    /// job itself arrive as failed().
    bool dream(const loom::DreamJob& job);
    bool style(const loom::StyleJob& job);
    void stop();

signals:
    void runningChanged(bool running);
    void stepReported(const loom::ArtStep& step);
    /// The job ran to the end, or was stopped (`stopped`); `result` is the final picture.
    void finished(const QImage& result, bool stopped, const QString& message);
    void failed(const QString& message);

private:
    /// One job's inputs and output; the GUI thread reads the output after the worker ended.
    struct Job {
        std::string kind;  ///< "dream" or "style", the project names of its result
        std::shared_ptr<Graph> model;
        nlohmann::json studioSettings;
        Tensor result;
        bool stopped = false;
        std::string message;
        std::string error;
    };
    /// The last result of a kind, for the project.
    struct Result {
        nlohmann::json settings;
        Tensor picture;
    };

    static std::shared_ptr<Job> newJob(std::string kind, std::shared_ptr<Graph> model,
                                       nlohmann::json studioSettings);
    void start(std::shared_ptr<Job> job,
               std::function<Tensor(Backend&, ProgressSink&, RunControl&)> work);
    void handle(std::vector<ProgressEvent>&& events);
    void finishRun();
    void attachStudio(ArtStudio* studio);

    ProgressPump m_pump;
    std::shared_ptr<Job> m_job;
    std::unique_ptr<BackgroundRun> m_run;
    ArtStudio* m_requester = nullptr;  ///< the studio the running job came from, if any
    std::map<std::string, Result> m_results;
};

}  // namespace loom
