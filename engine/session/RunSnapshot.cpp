#include <loom/RunSnapshot.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace loom {

namespace {

/// The graph JSON without canvas positions: what the weights depend on.
nlohmann::json structureOf(const Graph& graph) {
    nlohmann::json json = graph.toJson();
    for (nlohmann::json& layer : json["layers"]) {
        layer.erase("position");
    }
    return json;
}

void copyPositions(const Graph& from, Graph& to) {
    for (const Graph::Node& node : from.nodes()) {
        if (to.contains(node.layer->name())) {
            Graph::Node& target = to.node(node.layer->name());
            target.x = node.x;
            target.y = node.y;
        }
    }
}

/// The number in a name "PREFIX N", or 0.
long numberAfter(std::string_view prefix, const std::string& name) {
    if (name.rfind(prefix, 0) != 0) {
        return 0;
    }
    char* end = nullptr;
    const long number = std::strtol(name.c_str() + prefix.size(), &end, 10);
    return end != nullptr && *end == '\0' ? number : 0;
}

/// The project's network with its own copy of the weights, and where its training stands.
void copyTrainingState(const Project& from, Project& to) {
    to.graph = from.graph.copy();
    to.hasWeights = from.hasWeights;
    to.optimizer = from.optimizer;
    to.position = from.position;
}

}  // namespace

Project runSnapshot(const Project& project, bool fromScratch) {
    Project snapshot;
    snapshot.training = project.training;
    snapshot.data = project.data;
    if (fromScratch) {
        // A graph read back from its own description has everything but the weights.
        snapshot.graph = Graph::fromJson(project.graph.toJson());
        return snapshot;
    }
    copyTrainingState(project, snapshot);
    return snapshot;
}

TrainingCheckpoint takeCheckpoint(const Graph& graph, Trainer& trainer) {
    return {graph.copy(), captureOptimizerState(trainer), trainer.position()};
}

Project projectWithRun(const Project& project, const RunInProgress& run) {
    const TrainingCheckpoint* checkpoint = run.checkpoint.get();
    Project saved;
    saved.training = project.training;
    saved.data = project.data;
    saved.art = project.art;
    saved.artImages = project.artImages;
    saved.experiment = project.experiment;
    saved.runs = project.runs;
    saved.runs.push_back(run.record);
    if (checkpoint != nullptr && structureOf(checkpoint->graph) == structureOf(project.graph)) {
        saved.graph = checkpoint->graph.copy();
        copyPositions(project.graph, saved.graph);
        saved.hasWeights = true;
        saved.optimizer = checkpoint->optimizer;
        saved.position = checkpoint->position;
        return saved;
    }
    copyTrainingState(project, saved);
    return saved;
}

size_t adoptRun(Project& project, TrainingCheckpoint& trained) {
    const size_t taken = project.graph.takeWeightsFrom(trained.graph);
    project.hasWeights = project.graph.isBuilt();
    if (project.hasWeights) {
        project.optimizer = std::move(trained.optimizer);
        project.position = trained.position;
    } else {
        project.optimizer.reset();
        project.position = TrainingPosition{};
    }
    return taken;
}

std::string nextRunName(const std::vector<RunRecord>& runs) {
    long highest = static_cast<long>(runs.size());
    for (const RunRecord& run : runs) {
        highest = std::max(highest, numberAfter("Run ", run.name));
    }
    return "Run " + std::to_string(highest + 1);
}

std::string nextExperimentName(const std::vector<RunRecord>& runs) {
    long highest = 0;
    for (const RunRecord& run : runs) {
        const nlohmann::json name = run.experiment.value("name", nlohmann::json());
        if (name.is_string()) {
            highest = std::max(highest, numberAfter("Experiment ", name.get<std::string>()));
        }
    }
    return "Experiment " + std::to_string(highest + 1);
}

}  // namespace loom
