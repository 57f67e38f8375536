#include <loom/Backend.h>
#include <loom/Collective.h>
#include <loom/Error.h>
#include <loom/LocalRanks.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

namespace loom {

namespace {

/// A new, empty folder for the ranks' file rendezvous, removed with what they wrote to it.
class RendezvousFolder {
public:
    RendezvousFolder() {
        m_path = (std::filesystem::temp_directory_path() / "loom-ranks-XXXXXX").string();
        if (mkdtemp(m_path.data()) == nullptr) {
            throw Error("cannot make a folder for the workers to meet in, in " +
                        std::filesystem::temp_directory_path().string());
        }
    }
    ~RendezvousFolder() {
        std::error_code ignored;  // a folder left in the temporary directory harms nothing
        std::filesystem::remove_all(m_path, ignored);
    }
    RendezvousFolder(const RendezvousFolder&) = delete;
    RendezvousFolder& operator=(const RendezvousFolder&) = delete;

    JobPlace place(int rank, int workers) const {
        JobPlace place;
        place.rank = rank;
        place.worldSize = workers;
        place.rendezvous = "file:" + m_path;
        place.host = "127.0.0.1";
        return place;
    }

private:
    std::string m_path;
};

/// Trains rank `rank` of the job: connects, then fits `trainer` with the others. What goes
/// wrong ends in the history, as fit() reports its own failures.
TrainingHistory fitAsRank(Trainer& trainer, const RendezvousFolder& folder, int rank, int workers,
                          const Dataset& train, const Dataset* validation, ProgressSink* sink,
                          RunControl* control) {
    try {
        const std::unique_ptr<Collective> job = connectCollective(folder.place(rank, workers));
        trainer.setCollective(*job);
        TrainingHistory history = trainer.fit(train, validation, sink, control);
        trainer.leaveJob();
        return history;
    } catch (const std::exception& e) {
        trainer.leaveJob();
        TrainingHistory history;
        history.finished = RunFinished{RunFinished::Reason::Failed, e.what(), ""};
        return history;
    }
}

bool failed(const TrainingHistory& history) {
    return history.finished.reason == RunFinished::Reason::Failed;
}

}  // namespace

std::string dataParallelUnavailableReason() {
#ifdef LOOM_HAVE_GLOO
    return {};
#else
    return "this Loom was built without Gloo (libgloo-dev), so it trains in one process only";
#endif
}

TrainingHistory fitOnLocalRanks(Trainer& trainer, Graph& graph, int workers,
                                const std::function<void(Trainer&)>& prepare, const Dataset& train,
                                const Dataset* validation, ProgressSink* sink,
                                RunControl* control) {
    if (workers <= 1) {
        return trainer.fit(train, validation, sink, control);
    }
    const RendezvousFolder folder;
    const int callerThreads = cpuThreads();
    const int threads = std::max(1, callerThreads / workers);
    std::vector<TrainingHistory> histories(static_cast<size_t>(workers));
    std::vector<std::thread> ranks;
    for (int rank = 1; rank < workers; ++rank) {
        ranks.emplace_back([&, rank] {
            TrainingHistory& history = histories[static_cast<size_t>(rank)];
            try {
                setCpuThreads(threads);
                Graph copy = graph.copy();
                Trainer rankTrainer(copy, trainer.config(), cpuBackend());
                prepare(rankTrainer);
                history = fitAsRank(rankTrainer, folder, rank, workers, train, validation, nullptr,
                                    control);
            } catch (const std::exception& e) {
                history.finished = RunFinished{RunFinished::Reason::Failed, e.what(), ""};
            }
        });
    }
    setCpuThreads(threads);
    TrainingHistory& history = histories[0];
    history = fitAsRank(trainer, folder, 0, workers, train, validation, sink, control);
    for (std::thread& rank : ranks) {
        rank.join();
    }
    setCpuThreads(callerThreads);
    // Rank 0 reports the others' losing their connection; what made them lose it is theirs.
    for (int rank = 1; rank < workers && failed(history); ++rank) {
        const RunFinished& theirs = histories[static_cast<size_t>(rank)].finished;
        if (failed(histories[static_cast<size_t>(rank)]) &&
            theirs.message != history.finished.message) {
            history.finished.message += "; worker " + std::to_string(rank) + ": " + theirs.message;
        }
    }
    return history;
}

}  // namespace loom
