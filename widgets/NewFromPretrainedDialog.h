#pragma once
/// NewFromPretrainedDialog (File > New from Pretrained): a person picks a pretrained network
/// (the fetched MobileNetV2 or InceptionV3, or any model file with weights), the layer to cut it
/// at, the picture size and the data, and gets a project whose network is that base, frozen and
/// in one group, under a new head of global average pooling, dropout and a softmax layer with
/// one unit per class of the data (loom::transferProject) — Keras' include_top=False and
/// trainable=False in one step.

#include <loom/Graph.h>
#include <loom/Project.h>

#include <QDialog>

#include <map>
#include <optional>

class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QSpinBox;

namespace loom {

class NewFromPretrainedDialog : public QDialog {
    Q_OBJECT

public:
    explicit NewFromPretrainedDialog(QWidget* parent = nullptr);
    ~NewFromPretrainedDialog() override;

    /// Uses the model file at `path` as the base (what "Another model file..." does after its
    /// file dialog); false, with the reason shown, when it cannot be a base.
    bool useModelFile(const QString& path);
    /// Takes the images below `folder` as the data: its class folders (those of its train/
    /// folder when it has one) set the number of classes.
    void useImageFolder(const QString& folder);
    /// The project the choices made, once the dialog was accepted.
    std::optional<Project> takeProject();
    /// The base's name, for the new project's title.
    QString baseName() const;

    QComboBox* networkChoice() const { return m_network; }
    QComboBox* cutChoice() const { return m_cut; }
    QSpinBox* pictureSide() const { return m_side; }
    QSpinBox* classCount() const { return m_classes; }
    QLabel* problem() const { return m_problem; }

private:
    void createForm();
    void chooseNetwork(int index);
    void showBase(const QString& source);
    void refuse(const QString& reason);
    void chooseCut();
    void suggestPictureSide();
    void chooseData(int index);
    void build();
    nlohmann::json dataSection() const;

    QFormLayout* m_form = nullptr;
    QComboBox* m_network = nullptr;
    QComboBox* m_cut = nullptr;
    QSpinBox* m_side = nullptr;
    QComboBox* m_data = nullptr;
    QLabel* m_folder = nullptr;
    QSpinBox* m_classes = nullptr;
    QDoubleSpinBox* m_dropout = nullptr;
    QLabel* m_problem = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
    /// Bases already read, by source (a fetched network's name or a file's path): reading
    /// InceptionV3 takes a moment, choosing it again should not.
    std::map<QString, Graph> m_bases;
    QString m_source;
    int m_baseSide = 0;  ///< the base's own picture side
    QString m_imageFolder;
    std::optional<Project> m_project;
};

}  // namespace loom
