#include "ProjectDocument.h"

#include "LayeredLayout.h"
#include "NetworkCanvas.h"
#include "NetworkModel.h"
#include "SetSettingCommand.h"

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/ModelFile.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUndoStack>

#include <nlohmann/json.hpp>

namespace loom {

namespace {

constexpr int kSetTrainingCommandId = 2001;
constexpr int kSetDataCommandId = 2002;

/// True while every layer still has the weights it was built with: the graph is built (no
/// layer was added, removed or rewired since), and no layer's parameters or input shapes
/// changed. Graph::build re-initialises weights otherwise, so saving them would be a lie.
bool weightsFitNetwork(Graph& graph) {
    if (!graph.isBuilt() || !graph.validate().empty()) {
        return false;
    }
    for (const Graph::Node& node : graph.nodes()) {
        std::vector<Shape> inputShapes;
        for (size_t from : node.inputIndices) {
            inputShapes.push_back(graph.nodes()[from].outputShape);
        }
        if (node.builtParams != node.layer->params().toJson() ||
            node.builtInputShapes != inputShapes) {
            return false;
        }
    }
    return true;
}

/// What File > New starts from: the data the Data tab shows, and Adam, which trains most
/// networks well without tuning its learning rate.
Project emptyProject() {
    Project project;
    project.data = defaultDataSection();
    project.training.optimizer = "adam";
    project.training.epochs = 10;
    return project;
}

}  // namespace

ProjectDocument::ProjectDocument(QObject* parent)
    : QObject(parent),
      m_undoStack(new QUndoStack(this)),
      m_network(std::make_unique<NetworkModel>(m_project.graph, *m_undoStack)) {
    m_project = emptyProject();
    connect(m_undoStack, &QUndoStack::cleanChanged, this,
            [this](bool clean) { emit modifiedChanged(!clean); });
}

ProjectDocument::~ProjectDocument() = default;

bool ProjectDocument::isModified() const {
    return !m_undoStack->isClean();
}

void ProjectDocument::open(const QString& path) {
    ModelFile model = readModelFile(QFile::encodeName(path).toStdString());
    m_importNotes.clear();
    for (const std::string& warning : model.warnings) {
        m_importNotes << QString::fromStdString(warning);
    }
    // Only a project file is saved back where it came from; an example or an imported model
    // stays untitled, so Save asks where the new project goes.
    const bool isProjectFile = QFileInfo(path).suffix().compare("loom", Qt::CaseInsensitive) == 0;
    m_displayName = QFileInfo(path).completeBaseName();
    m_sourceFolder = QFileInfo(path).absolutePath();
    replaceProject(std::move(static_cast<Project&>(model)), isProjectFile ? path : QString());
}

void ProjectDocument::setData(const nlohmann::json& data) {
    if (data == m_project.data) {
        return;
    }
    m_undoStack->push(new SetSettingCommand<nlohmann::json>(
        kSetDataCommandId,
        [this](const nlohmann::json& value) {
            m_project.data = value;
            emit dataChanged();
        },
        m_project.data, data, tr("data")));
}

void ProjectDocument::markChangedOutsideUndo() {
    m_undoStack->resetClean();
}

void ProjectDocument::networkAndTrainingReplaced() {
    // The steps before would undo into a mix of the old settings and the kept ones.
    m_undoStack->clear();
    m_network->reset();
    emit trainingChanged();
    markChangedOutsideUndo();
}

void ProjectDocument::clear() {
    m_displayName.clear();
    m_sourceFolder.clear();
    m_importNotes.clear();
    replaceProject(emptyProject(), QString());
}

void ProjectDocument::startFrom(Project project, const QString& name) {
    m_displayName = name;
    m_sourceFolder.clear();
    m_importNotes.clear();
    replaceProject(std::move(project), QString());
    markChangedOutsideUndo();
}

QString ProjectDocument::displayName() const {
    return m_path.isEmpty() ? m_displayName : QFileInfo(m_path).completeBaseName();
}

QString ProjectDocument::suggestedSavePath() const {
    if (!m_path.isEmpty()) {
        return m_path;
    }
    const QString name = (m_displayName.isEmpty() ? tr("untitled") : m_displayName) + ".loom";
    return m_sourceFolder.isEmpty() ? name : QDir(m_sourceFolder).filePath(name);
}

void ProjectDocument::exportModel(const QString& path) {
    dropWeightsThatNoLongerFit();
    if (!m_project.graph.isBuilt()) {
        // As Keras saves a model never fitted: the file holds freshly initialised weights.
        m_project.graph.build(m_project.training.seed);
    }
    writeModelFile(m_project, QFile::encodeName(path).toStdString());
}

void ProjectDocument::dropWeightsThatNoLongerFit() {
    if (m_project.hasWeights && !weightsFitNetwork(m_project.graph)) {
        // The network was edited since training: keep the runs, drop what belongs to the old
        // weights.
        m_project.hasWeights = false;
        m_project.optimizer.reset();
        m_project.position = TrainingPosition{};
    }
}

void ProjectDocument::save(const QString& path) {
    write(path, runInProgress());
    m_path = path;
    m_undoStack->setClean();
}

bool ProjectDocument::writeUnsavedCopy(const QString& path) {
    const std::optional<RunInProgress> run = runInProgress();
    if (!isModified() && !run) {
        return false;
    }
    write(path, run);
    return true;
}

void ProjectDocument::setRunInProgress(std::function<std::optional<RunInProgress>()> source) {
    m_runInProgress = std::move(source);
}

std::optional<RunInProgress> ProjectDocument::runInProgress() const {
    return m_runInProgress ? m_runInProgress() : std::nullopt;
}

void ProjectDocument::write(const QString& path, const std::optional<RunInProgress>& run) {
    dropWeightsThatNoLongerFit();
    const std::string file = QFile::encodeName(path).toStdString();
    if (run) {
        saveProject(projectWithRun(m_project, *run), file);
    } else {
        saveProject(m_project, file);
    }
}

void ProjectDocument::replaceProject(Project project, const QString& path) {
    m_undoStack->clear();
    m_project = std::move(project);
    if (m_project.data.empty()) {
        // What the Data tab shows for a project without data is what training uses.
        m_project.data = defaultDataSection();
    }
    m_path = path;
    m_network->reset();
    if (!m_network->hasLayout()) {
        m_network->placeLayers(
            layeredLayout(m_project.graph, Qt::Vertical, NetworkCanvas::layoutCell(Qt::Vertical)));
    }
    emit projectReplaced();
    emit trainingChanged();
}

void ProjectDocument::setTraining(const TrainingConfig& training, const QString& setting) {
    if (training.toJson() == m_project.training.toJson()) {
        return;
    }
    m_undoStack->push(new SetSettingCommand<TrainingConfig>(
        kSetTrainingCommandId,
        [this](const TrainingConfig& value) {
            m_project.training = value;
            emit trainingChanged();
        },
        m_project.training, training, setting));
}

}  // namespace loom
