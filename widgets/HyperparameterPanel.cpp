#include "HyperparameterPanel.h"

#include "CompactDoubleSpinBox.h"
#include "ParamForm.h"

#include <loom/Devices.h>
#include <loom/LocalRanks.h>
#include <loom/Loss.h>
#include <loom/Optimizer.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <thread>

namespace loom {

namespace {

QStringList optimizerTypes() {
    QStringList types;
    for (const OptimizerKind* kind : OptimizerRegistry::instance().all()) {
        types << QString::fromStdString(kind->type);
    }
    return types;
}

QStringList lossTypes() {
    QStringList types;
    for (const LossKind* kind : LossRegistry::instance().all()) {
        types << QString::fromStdString(kind->type);
    }
    return types;
}

/// A new optimizer starts from its own defaults, except the learning rate: comparing SGD
/// with RMSprop at one rate is the classic experiment.
void switchOptimizer(TrainingConfig& training, const std::string& type) {
    nlohmann::json params = nlohmann::json::object();
    if (training.optimizerParams.contains("learning_rate")) {
        params["learning_rate"] = training.optimizerParams["learning_rate"];
    }
    training.optimizer = type;
    training.optimizerParams = std::move(params);
}

QString gibibytes(size_t bytes) {
    return QString::number(double(bytes) / double(1ull << 30), 'f', 1);
}

/// A device choice's data-parallel workers (its Qt::UserRole data is the device setting).
constexpr int kWorkersRole = Qt::UserRole + 1;

void addDeviceChoice(QComboBox* box, const QString& text, const QString& spec, int workers,
                     const QString& toolTip = {}) {
    box->addItem(text, spec);
    box->setItemData(box->count() - 1, workers, kWorkersRole);
    if (!toolTip.isEmpty()) {
        box->setItemData(box->count() - 1, toolTip, Qt::ToolTipRole);
    }
}

int deviceChoiceIndex(const QComboBox* box, const QString& spec, int workers) {
    for (int i = 0; i < box->count(); ++i) {
        if (box->itemData(i).toString() == spec &&
            box->itemData(i, kWorkersRole).toInt() == workers) {
            return i;
        }
    }
    return -1;
}

QString choiceName(const QString& spec, int workers) {
    return workers > 1 ? QObject::tr("%1, %2 workers").arg(spec).arg(workers) : spec;
}

/// The CPU, each GPU, and the CPU as 2, 4, ... data-parallel workers up to one a core.
void addDeviceChoices(QComboBox* box) {
    addDeviceChoice(box, QObject::tr("auto: the first GPU, else the CPU"), QStringLiteral("auto"),
                    1);
    for (const DeviceInfo& device : availableDevices()) {
        const QString spec = QString::fromStdString(device.device.str());
        addDeviceChoice(
            box,
            QObject::tr("%1: %2, %3 GiB")
                .arg(spec, QString::fromStdString(device.name), gibibytes(device.totalMemory)),
            spec, 1, QObject::tr("%1 GiB free when listed").arg(gibibytes(device.freeMemory)));
    }
    if (!dataParallelUnavailableReason().empty()) {
        return;
    }
    const int cores = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    for (int workers = 2; workers <= cores; workers *= 2) {
        addDeviceChoice(box, QObject::tr("CPU, %1 data-parallel workers").arg(workers),
                        QStringLiteral("cpu"), workers,
                        QObject::tr("%1 workers train as one run, each on \"batch size\" samples "
                                    "of every batch of %1 x batch size, with the cores shared "
                                    "between them")
                            .arg(workers));
    }
}

}  // namespace

HyperparameterPanel::HyperparameterPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("hyperparameterPanel"));
    auto* layout = new QVBoxLayout(this);
    createOptimizerSection(layout);
    createTrainingSection(layout);
    createScheduleSection(layout);
    createEarlyStoppingSection(layout);
    createDeviceSection(layout);
    layout->addStretch(1);
    setTraining(m_training);
}

void HyperparameterPanel::setTraining(const TrainingConfig& training) {
    m_training = training;
    for (const auto& refresh : m_refreshers) {
        refresh();
    }
}

QFormLayout* HyperparameterPanel::addSection(QVBoxLayout* layout, const QString& title) {
    auto* heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), this);
    heading->setContentsMargins(0, layout->count() == 0 ? 0 : 8, 0, 0);
    layout->addWidget(heading);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addLayout(form);
    return form;
}

void HyperparameterPanel::createOptimizerSection(QVBoxLayout* layout) {
    QFormLayout* form = addSection(layout, tr("Optimizer"));
    addChoice(
        form, tr("optimizer"), optimizerTypes(),
        [](const TrainingConfig& c) { return c.optimizer; }, switchOptimizer);
    m_optimizerLayout = form;
    m_refreshers.emplace_back([this] { rebuildOptimizerForm(); });
    addChoice(
        form, tr("loss"), lossTypes(), [](const TrainingConfig& c) { return c.loss; },
        [](TrainingConfig& c, const std::string& loss) { c.loss = loss; });
}

void HyperparameterPanel::rebuildOptimizerForm() {
    if (m_formOptimizer != m_training.optimizer) {
        const OptimizerKind* kind = OptimizerRegistry::instance().tryFind(m_training.optimizer);
        if (m_optimizerForm != nullptr) {
            m_optimizerLayout->removeRow(m_optimizerForm);
            m_optimizerForm = nullptr;
        }
        if (kind != nullptr) {
            m_optimizerForm = new ParamForm(kind->params, this);
            m_optimizerForm->setObjectName(QStringLiteral("optimizerParameters"));
            // Below the optimizer's combo, indented like the rows around it.
            m_optimizerLayout->insertRow(1, m_optimizerForm);
            connect(m_optimizerForm, &ParamForm::valueEdited, this,
                    [this](const QString& name, const nlohmann::json& value) {
                        edit(name, [&](TrainingConfig& c) {
                            c.optimizerParams[name.toStdString()] = value;
                        });
                    });
        }
        m_formOptimizer = m_training.optimizer;
    }
    if (m_optimizerForm != nullptr) {
        m_optimizerForm->setValues(m_training.optimizerParams);
    }
}

void HyperparameterPanel::createTrainingSection(QVBoxLayout* layout) {
    QFormLayout* form = addSection(layout, tr("Training"));
    addInteger(
        form, tr("batch size"), 1, 1 << 20, [](const TrainingConfig& c) { return c.batchSize; },
        [](TrainingConfig& c, int64_t v) { c.batchSize = v; });
    addInteger(
        form, tr("epochs"), 0, 1000000, [](const TrainingConfig& c) { return c.epochs; },
        [](TrainingConfig& c, int64_t v) { c.epochs = int(v); });
    addFlag(
        form, tr("shuffle"), [](const TrainingConfig& c) { return c.shuffle; },
        [](TrainingConfig& c, bool v) { c.shuffle = v; });
    addInteger(
        form, tr("seed"), 0, INT_MAX, [](const TrainingConfig& c) { return int64_t(c.seed); },
        [](TrainingConfig& c, int64_t v) { c.seed = uint64_t(v); });
    addInteger(
        form, tr("top-k accuracy k"), 1, 1000, [](const TrainingConfig& c) { return c.topK; },
        [](TrainingConfig& c, int64_t v) { c.topK = int(v); });
}

void HyperparameterPanel::createScheduleSection(QVBoxLayout* layout) {
    QFormLayout* form = addSection(layout, tr("Learning-rate schedule"));
    addChoice(
        form, tr("schedule"), {"constant", "step", "exponential", "cosine", "plateau"},
        [](const TrainingConfig& c) { return c.schedule.type; },
        [](TrainingConfig& c, const std::string& type) { c.schedule.type = type; });
    addReal(
        form, tr("factor"), 1e-6, 1e6, [](const TrainingConfig& c) { return c.schedule.factor; },
        [](TrainingConfig& c, double v) { c.schedule.factor = v; });
    addInteger(
        form, tr("every (epochs)"), 1, 1000000,
        [](const TrainingConfig& c) { return c.schedule.every; },
        [](TrainingConfig& c, int64_t v) { c.schedule.every = int(v); });
    addInteger(
        form, tr("patience (epochs)"), 0, 1000000,
        [](const TrainingConfig& c) { return c.schedule.patience; },
        [](TrainingConfig& c, int64_t v) { c.schedule.patience = int(v); });
    addReal(
        form, tr("minimum rate"), 0, 10,
        [](const TrainingConfig& c) { return c.schedule.minLearningRate; },
        [](TrainingConfig& c, double v) { c.schedule.minLearningRate = v; });
}

void HyperparameterPanel::createEarlyStoppingSection(QVBoxLayout* layout) {
    QFormLayout* form = addSection(layout, tr("Early stopping"));
    addFlag(
        form, tr("stop early"), [](const TrainingConfig& c) { return c.earlyStopping.enabled; },
        [](TrainingConfig& c, bool v) { c.earlyStopping.enabled = v; });
    addChoice(
        form, tr("monitor"), {"val_loss", "val_accuracy", "loss", "accuracy"},
        [](const TrainingConfig& c) { return c.earlyStopping.monitor; },
        [](TrainingConfig& c, const std::string& v) { c.earlyStopping.monitor = v; });
    addInteger(
        form, tr("patience"), 0, 1000000,
        [](const TrainingConfig& c) { return c.earlyStopping.patience; },
        [](TrainingConfig& c, int64_t v) { c.earlyStopping.patience = int(v); });
    addReal(
        form, tr("minimum change"), 0, 1e6,
        [](const TrainingConfig& c) { return c.earlyStopping.minDelta; },
        [](TrainingConfig& c, double v) { c.earlyStopping.minDelta = v; });
    addFlag(
        form, tr("restore best weights"),
        [](const TrainingConfig& c) { return c.earlyStopping.restoreBestWeights; },
        [](TrainingConfig& c, bool v) { c.earlyStopping.restoreBestWeights = v; });
}

void HyperparameterPanel::createDeviceSection(QVBoxLayout* layout) {
    QFormLayout* form = addSection(layout, tr("Device"));
    auto* box = new QComboBox(this);
    box->setObjectName(QStringLiteral("device"));
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
    addDeviceChoices(box);
    form->addRow(tr("train on"), box);
    addFlag(
        form, tr("sync batch norm"), [](const TrainingConfig& c) { return c.syncBatchNorm; },
        [](TrainingConfig& c, bool v) { c.syncBatchNorm = v; })
        ->setToolTip(tr("With data-parallel workers: batch normalisation's statistics over "
                        "every worker's samples, as one process would have them, at the cost "
                        "of two sums a layer a step; off, each worker's own (as PyTorch's DDP)"));
    if (const std::string reason = cudaUnavailableReason(); !reason.empty()) {
        auto* note = new QLabel(tr("No GPU: %1").arg(QString::fromStdString(reason)), this);
        note->setWordWrap(true);
        note->setEnabled(false);
        form->addRow(note);
    }
    connect(box, &QComboBox::activated, this, [this, box] {
        const std::string spec = box->currentData().toString().toStdString();
        const int workers = box->currentData(kWorkersRole).toInt();
        edit(tr("device"), [&](TrainingConfig& c) {
            c.device = spec;
            c.workers = workers;
        });
    });
    m_refreshers.emplace_back([this, box] {
        const QSignalBlocker blocker(box);
        const QString spec = QString::fromStdString(m_training.device);
        int index = deviceChoiceIndex(box, spec, m_training.workers);
        if (index < 0) {
            // A project saved on a machine with more GPUs or cores: keep its choice visible.
            addDeviceChoice(
                box, tr("%1 (not on this machine)").arg(choiceName(spec, m_training.workers)), spec,
                m_training.workers);
            index = box->count() - 1;
        }
        box->setCurrentIndex(index);
    });
}

void HyperparameterPanel::addInteger(QFormLayout* form, const QString& setting, int min, int max,
                                     std::function<int64_t(const TrainingConfig&)> get,
                                     std::function<void(TrainingConfig&, int64_t)> set) {
    auto* box = new QSpinBox(this);
    box->setObjectName(setting);
    box->setRange(min, max);
    box->setKeyboardTracking(false);
    form->addRow(setting, box);
    connect(box, &QSpinBox::valueChanged, this, [this, setting, set](int value) {
        edit(setting, [&](TrainingConfig& c) { set(c, value); });
    });
    m_refreshers.emplace_back([this, box, get] {
        const QSignalBlocker blocker(box);
        box->setValue(int(std::clamp<int64_t>(get(m_training), box->minimum(), box->maximum())));
    });
}

void HyperparameterPanel::addReal(QFormLayout* form, const QString& setting, double min, double max,
                                  std::function<double(const TrainingConfig&)> get,
                                  std::function<void(TrainingConfig&, double)> set) {
    auto* box = new CompactDoubleSpinBox(this);
    box->setObjectName(setting);
    box->setRange(min, max);
    form->addRow(setting, box);
    connect(box, &QDoubleSpinBox::valueChanged, this, [this, setting, set](double value) {
        edit(setting, [&](TrainingConfig& c) { set(c, value); });
    });
    m_refreshers.emplace_back([this, box, get] {
        const QSignalBlocker blocker(box);
        box->setValue(get(m_training));
    });
}

QCheckBox* HyperparameterPanel::addFlag(QFormLayout* form, const QString& setting,
                                        std::function<bool(const TrainingConfig&)> get,
                                        std::function<void(TrainingConfig&, bool)> set) {
    auto* box = new QCheckBox(this);
    box->setObjectName(setting);
    form->addRow(setting, box);
    connect(box, &QCheckBox::toggled, this, [this, setting, set](bool on) {
        edit(setting, [&](TrainingConfig& c) { set(c, on); });
    });
    m_refreshers.emplace_back([this, box, get] {
        const QSignalBlocker blocker(box);
        box->setChecked(get(m_training));
    });
    return box;
}

QComboBox* HyperparameterPanel::addChoice(
    QFormLayout* form, const QString& setting, const QStringList& choices,
    std::function<std::string(const TrainingConfig&)> get,
    std::function<void(TrainingConfig&, const std::string&)> set) {
    auto* box = new QComboBox(this);
    box->setObjectName(setting);
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
    box->addItems(choices);
    form->addRow(setting, box);
    connect(box, &QComboBox::activated, this, [this, setting, set, box] {
        const std::string choice = box->currentText().toStdString();
        edit(setting, [&](TrainingConfig& c) { set(c, choice); });
    });
    m_refreshers.emplace_back([this, box, get] {
        const QSignalBlocker blocker(box);
        const QString value = QString::fromStdString(get(m_training));
        if (box->findText(value) < 0) {
            box->addItem(value);  // an alias ("mse") or a kind this build lacks
        }
        box->setCurrentText(value);
    });
    return box;
}

void HyperparameterPanel::edit(const QString& setting, const Change& change) {
    TrainingConfig next = m_training;
    change(next);
    emit trainingEdited(next, setting);
}

}  // namespace loom
