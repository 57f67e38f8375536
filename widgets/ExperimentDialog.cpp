#include "ExperimentDialog.h"

#include <loom/Error.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>

namespace loom {

namespace {

/// What --vary's values look like for a value of the section: text as it is, the rest as JSON.
QString valuesText(const nlohmann::json& values) {
    QStringList texts;
    for (const nlohmann::json& value : values) {
        texts << QString::fromStdString(value.is_string() ? value.get<std::string>()
                                                          : value.dump());
    }
    return texts.join(QStringLiteral(", "));
}

}  // namespace

ExperimentDialog::ExperimentDialog(const nlohmann::json& experiment, QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Experiment"));
    // Room for a row of optimizers written out as JSON objects.
    setMinimumWidth(760);
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("Each trial trains the network from scratch with one combination of these values; "
           "the runs are overlaid on the chart and listed below it, the best one starred."),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_rowsLayout = new QVBoxLayout;
    layout->addLayout(m_rowsLayout);
    auto* add = new QPushButton(tr("Add a setting"), this);
    connect(add, &QPushButton::clicked, this, [this] { addRow(QString(), QString()); });
    layout->addWidget(add, 0, Qt::AlignLeft);
    auto* form = new QFormLayout;
    m_random = new QSpinBox(this);
    m_random->setRange(0, 1000000);
    m_random->setSpecialValueText(tr("every combination"));
    m_random->setToolTip(tr("How many combinations to draw at random (seeded); 0 tries all"));
    form->addRow(tr("Trials"), m_random);
    layout->addLayout(form);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("experimentSummary"));
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Run"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_random, &QSpinBox::valueChanged, this, &ExperimentDialog::updatePlan);

    const nlohmann::json vary =
        experiment.is_object() ? experiment.value("vary", nlohmann::json()) : nlohmann::json();
    if (vary.is_object() && !vary.empty()) {
        for (const auto& [setting, values] : vary.items()) {
            addRow(QString::fromStdString(setting), valuesText(values));
        }
        m_random->setValue(experiment.value("random", 0));
    } else {
        addRow(QStringLiteral("optimizer"), QStringLiteral("sgd, rmsprop, adagrad"));
    }
    updatePlan();
}

void ExperimentDialog::addRow(const QString& setting, const QString& values) {
    auto* row = new QWidget(this);
    auto* line = new QHBoxLayout(row);
    line->setContentsMargins(0, 0, 0, 0);
    auto* settingBox = new QComboBox(row);
    settingBox->setEditable(true);
    settingBox->addItems({QStringLiteral("optimizer"), QStringLiteral("lr"),
                          QStringLiteral("batch"), QStringLiteral("epochs"),
                          QStringLiteral("seed")});
    settingBox->setToolTip(
        tr("A training setting (optimizer, lr, batch, epochs, seed, loss, "
           "optimizer.params.momentum) or a layer's parameter as LAYER.PARAM (dense.units)"));
    settingBox->setCurrentText(setting);
    settingBox->setMinimumContentsLength(14);
    auto* valuesEdit = new QLineEdit(values, row);
    valuesEdit->setCursorPosition(0);
    valuesEdit->setPlaceholderText(tr("values, comma-separated: 0.1, 0.01, 0.001"));
    auto* remove = new QToolButton(row);
    remove->setText(QStringLiteral("✕"));
    remove->setToolTip(tr("Vary this setting no more"));
    line->addWidget(settingBox);
    line->addWidget(valuesEdit, 1);
    line->addWidget(remove);
    m_rowsLayout->addWidget(row);
    m_rows.push_back({row, settingBox, valuesEdit});
    connect(settingBox, &QComboBox::currentTextChanged, this, &ExperimentDialog::updatePlan);
    connect(valuesEdit, &QLineEdit::textChanged, this, &ExperimentDialog::updatePlan);
    connect(remove, &QToolButton::clicked, this, [this, row] { removeRow(row); });
    updatePlan();
}

void ExperimentDialog::removeRow(QWidget* row) {
    std::erase_if(m_rows, [row](const Row& r) { return r.widget == row; });
    row->deleteLater();
    updatePlan();
}

void ExperimentDialog::setRow(int row, const QString& setting, const QString& values) {
    if (row == rowCount()) {
        addRow(setting, values);
        return;
    }
    m_rows.at(size_t(row)).setting->setCurrentText(setting);
    m_rows.at(size_t(row)).values->setText(values);
}

void ExperimentDialog::updatePlan() {
    if (m_summary == nullptr) {
        return;  // still being built
    }
    ExperimentPlan plan;
    plan.randomTrials = static_cast<size_t>(m_random->value());
    QString problem;
    try {
        for (const Row& row : m_rows) {
            const QString setting = row.setting->currentText().trimmed();
            if (!setting.isEmpty() || !row.values->text().trimmed().isEmpty()) {
                plan.axes.push_back(
                    parseVary((setting + QLatin1Char('=') + row.values->text()).toStdString()));
            }
        }
        if (plan.axes.empty()) {
            problem = tr("Add a setting to vary.");
        }
    } catch (const Error& e) {
        problem = QString::fromUtf8(e.what());
    }
    if (problem.isEmpty()) {
        try {
            const size_t trials = plan.trials().size();
            m_summary->setText(tr("%n trial(s), one after another", nullptr, int(trials)));
            m_plan = plan;
        } catch (const Error& e) {
            problem = QString::fromUtf8(e.what());
        }
    }
    if (!problem.isEmpty()) {
        m_summary->setText(
            QStringLiteral("<span style='color:#b3261e'>%1</span>").arg(problem.toHtmlEscaped()));
    }
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

}  // namespace loom
