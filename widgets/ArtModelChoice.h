#pragma once

#include <loom/ArtModel.h>

#include <QProcess>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace loom {

/// ArtModelChoice: which network a Dream or Style studio paints with: a fetched pretrained one
/// (InceptionV3 by default) or any model file Loom reads. When the pretrained networks are not
/// there it says so and offers to run the documented fetch command
/// (`node examples/fetch_pretrained.js`), showing its output, and loads the network after.
class ArtModelChoice : public QWidget {
    Q_OBJECT

public:
    explicit ArtModelChoice(QWidget* parent = nullptr);

    /// The loaded network (null when none could be loaded) and what its family does by default.
    const std::shared_ptr<Graph>& model() const { return m_model; }
    const ArtModelDefaults& defaults() const { return m_defaults; }
    /// "inception_v3", "mobilenet_v2" or the model file's path.
    const QString& source() const { return m_source; }
    /// Why no network is loaded; empty when one is.
    QString problem() const;

    /// Loads a pretrained network by name or a model file by path (as source() names them).
    void load(const QString& source);
    /// The fetch command; by default node running fetch_pretrained.js from the examples.
    void setFetchCommand(const QString& program, const QStringList& arguments);
    /// Runs the fetch command (what the button does).
    void fetch();

signals:
    void modelChanged();

private:
    void chooseFromCombo(int index);
    void showProblem(const QString& message, bool offerFetch);
    void fetchFinished(int exitCode, QProcess::ExitStatus status);

    QComboBox* m_combo;
    QLabel* m_problem;
    QPushButton* m_fetchButton;
    QPlainTextEdit* m_fetchLog;
    QProcess m_fetch;
    QString m_fetchProgram;
    QStringList m_fetchArguments;
    std::shared_ptr<Graph> m_model;
    ArtModelDefaults m_defaults;
    QString m_source;
};

}  // namespace loom
