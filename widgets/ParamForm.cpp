#include "ParamForm.h"

#include "CompactDoubleSpinBox.h"
#include "ShortestNumber.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>

#include <algorithm>
#include <climits>
#include <cmath>

namespace loom {

namespace {

/// A declared bound, limited to what the editor can hold; unbounded declarations are +-inf.
double clampedBound(double bound, double limit) {
    return std::isfinite(bound) ? std::clamp(bound, -limit, limit) : std::copysign(limit, bound);
}

QString rangeText(const ParamSpec& spec) {
    if (!std::isfinite(spec.min) && !std::isfinite(spec.max)) {
        return {};
    }
    return QObject::tr(" (from %1 to %2)").arg(shortestNumber(spec.min), shortestNumber(spec.max));
}

QString listText(const nlohmann::json& value) {
    QStringList items;
    for (const nlohmann::json& item : value) {
        items << QString::fromStdString(item.dump());
    }
    return items.join(QStringLiteral(", "));
}

/// "3, 3" as [3, 3]; anything that is not a list of integers goes on as the text itself, and
/// the engine's validation says what is wrong with it.
nlohmann::json parseList(const QString& text) {
    nlohmann::json list = nlohmann::json::array();
    for (const QString& item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong value = item.trimmed().toLongLong(&ok);
        if (!ok) {
            return text.toStdString();
        }
        list.push_back(value);
    }
    return list;
}

nlohmann::json defaultOf(const ParamSpec& spec) {
    return std::visit([](const auto& value) { return nlohmann::json(value); }, spec.defaultValue);
}

}  // namespace

ParamForm::ParamForm(const std::vector<ParamSpec>& specs, QWidget* parent)
    : QWidget(parent), m_specs(specs) {
    auto* layout = new QFormLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const ParamSpec& spec : m_specs) {
        QWidget* editor = createEditor(spec);
        const QString name = QString::fromStdString(spec.name);
        editor->setObjectName(name);
        editor->setToolTip(QString::fromStdString(spec.help) + rangeText(spec));
        m_editors.insert(name, editor);
        layout->addRow(name, editor);
    }
    setValues(nlohmann::json::object());
}

QWidget* ParamForm::editor(const QString& parameter) const {
    return m_editors.value(parameter, nullptr);
}

QWidget* ParamForm::createEditor(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::Int:
            return createIntEditor(spec);
        case ParamType::Float:
            return createRealEditor(spec);
        case ParamType::Choice:
            return createChoiceEditor(spec);
        case ParamType::Bool: {
            auto* box = new QCheckBox(this);
            const QString name = QString::fromStdString(spec.name);
            connect(box, &QCheckBox::toggled, this,
                    [this, name](bool on) { emit valueEdited(name, on); });
            return box;
        }
        case ParamType::IntList:
        case ParamType::String:
            return createTextEditor(spec);
    }
    return createTextEditor(spec);
}

QWidget* ParamForm::createIntEditor(const ParamSpec& spec) {
    auto* box = new QSpinBox(this);
    box->setRange(int(clampedBound(spec.min, INT_MAX)), int(clampedBound(spec.max, INT_MAX)));
    // Report a typed number once, when it is complete, not after every digit.
    box->setKeyboardTracking(false);
    const QString name = QString::fromStdString(spec.name);
    connect(box, &QSpinBox::valueChanged, this,
            [this, name](int value) { emit valueEdited(name, value); });
    return box;
}

QWidget* ParamForm::createRealEditor(const ParamSpec& spec) {
    auto* box = new CompactDoubleSpinBox(this);
    box->setRange(clampedBound(spec.min, 1e15), clampedBound(spec.max, 1e15));
    const QString name = QString::fromStdString(spec.name);
    connect(box, &QDoubleSpinBox::valueChanged, this,
            [this, name](double value) { emit valueEdited(name, value); });
    return box;
}

QWidget* ParamForm::createChoiceEditor(const ParamSpec& spec) {
    auto* box = new QComboBox(this);
    // Long choices (initializer names) must not widen the dock.
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
    for (const std::string& choice : spec.choices) {
        box->addItem(QString::fromStdString(choice));
    }
    const QString name = QString::fromStdString(spec.name);
    connect(box, &QComboBox::activated, this,
            [this, name, box] { emit valueEdited(name, box->currentText().toStdString()); });
    return box;
}

QWidget* ParamForm::createTextEditor(const ParamSpec& spec) {
    auto* edit = new QLineEdit(this);
    const QString name = QString::fromStdString(spec.name);
    const bool isList = spec.type == ParamType::IntList;
    if (isList) {
        edit->setPlaceholderText(tr("comma-separated integers"));
    }
    connect(edit, &QLineEdit::editingFinished, this, [this, name, edit, isList] {
        if (edit->isModified()) {
            edit->setModified(false);
            emit valueEdited(name, isList ? parseList(edit->text())
                                          : nlohmann::json(edit->text().toStdString()));
        }
    });
    return edit;
}

void ParamForm::setValues(const nlohmann::json& values) {
    for (const ParamSpec& spec : m_specs) {
        auto found = values.find(spec.name);
        showValue(spec, found != values.end() ? *found : defaultOf(spec));
    }
}

void ParamForm::showValue(const ParamSpec& spec, const nlohmann::json& value) {
    QWidget* widget = editor(QString::fromStdString(spec.name));
    const QSignalBlocker blocker(widget);
    if (auto* box = qobject_cast<QSpinBox*>(widget); box && value.is_number()) {
        box->setValue(int(std::clamp<int64_t>(value.get<int64_t>(), INT_MIN, INT_MAX)));
    } else if (auto* real = qobject_cast<QDoubleSpinBox*>(widget); real && value.is_number()) {
        real->setValue(value.get<double>());
    } else if (auto* check = qobject_cast<QCheckBox*>(widget); check && value.is_boolean()) {
        check->setChecked(value.get<bool>());
    } else if (auto* combo = qobject_cast<QComboBox*>(widget); combo && value.is_string()) {
        combo->setCurrentText(QString::fromStdString(value.get<std::string>()));
    } else if (auto* edit = qobject_cast<QLineEdit*>(widget)) {
        edit->setText(value.is_array()    ? listText(value)
                      : value.is_string() ? QString::fromStdString(value.get<std::string>())
                                          : QString::fromStdString(value.dump()));
        edit->setModified(false);
    }
}

}  // namespace loom
