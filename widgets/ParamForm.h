#pragma once

#include <loom/Params.h>

#include <nlohmann/json.hpp>

#include <QHash>
#include <QWidget>

#include <vector>

class QFormLayout;

namespace loom {

/// ParamForm: an editor for a list of parameter declarations, generated from them: a spin box
/// with the declared range for an integer or a real, a combo box for a choice, a check box for
/// a flag, a line edit for a list of integers ("3, 3") or a text. Each editor is named after
/// its parameter and carries the parameter's help as its tooltip. The form only reports what
/// the person typed; the owner validates it through the engine and calls setValues with what
/// the engine kept, so a refused value snaps back.
class ParamForm : public QWidget {
    Q_OBJECT

public:
    /// specs must outlive the form (they live in the engine's registries).
    explicit ParamForm(const std::vector<ParamSpec>& specs, QWidget* parent = nullptr);

    /// Shows these values (a JSON object by parameter name; missing ones show their default)
    /// without reporting them as edits.
    void setValues(const nlohmann::json& values);
    /// The editor of a parameter, or nullptr.
    QWidget* editor(const QString& parameter) const;

signals:
    void valueEdited(const QString& parameter, const nlohmann::json& value);

private:
    QWidget* createEditor(const ParamSpec& spec);
    QWidget* createIntEditor(const ParamSpec& spec);
    QWidget* createRealEditor(const ParamSpec& spec);
    QWidget* createChoiceEditor(const ParamSpec& spec);
    QWidget* createTextEditor(const ParamSpec& spec);
    void showValue(const ParamSpec& spec, const nlohmann::json& value);

    const std::vector<ParamSpec>& m_specs;
    QHash<QString, QWidget*> m_editors;
};

}  // namespace loom
