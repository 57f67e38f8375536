#pragma once

#include <loom/Graph.h>

#include <QString>
#include <QStringList>
#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QVBoxLayout;

namespace loom {

class CompactDoubleSpinBox;
class HyperparameterPanel;
class NetworkModel;
class Layer;
class ParamForm;

/// PropertyEditor: the parameters of the selected layer, in a form generated from the layer
/// kind's declaration (ParamForm), with the layer's output shape, cost and problems; with no
/// single layer selected, the model's training settings (HyperparameterPanel). Layer edits go
/// through the NetworkModel, so each is one undo step and the canvas and summary follow; a
/// value the engine refuses snaps back and the reason is shown under the form.
class PropertyEditor : public QWidget {
    Q_OBJECT

public:
    explicit PropertyEditor(NetworkModel& model, QWidget* parent = nullptr);

    HyperparameterPanel* hyperparameterPanel() const { return m_hyperparameters; }
    /// The form of the layer shown, or nullptr when the model's settings are shown.
    ParamForm* layerForm() const { return m_form; }
    const QString& layer() const { return m_layer; }

public slots:
    /// Shows the one selected layer, or the model's settings for none or several.
    void showSelection(const QStringList& layers);

private:
    QWidget* createLayerPage();
    /// "Trainable" and the learning-rate factor: Keras' trainable, and fine-tuning's slower
    /// rate for a pretrained base's layers.
    QWidget* createTrainingFields(QWidget* parent);
    void editTraining();
    void fineTuneFromHere();
    void refreshTraining(const Graph::Node& node, bool hasWeights);
    void showLayer(const QString& layer);
    void showModelSettings();
    /// Follows the model: the shown layer's values, shape and problems, or the model's
    /// settings when the layer is gone.
    void refresh();
    void showRefusal(const QString& reason);

    NetworkModel& m_model;
    QStackedWidget* m_pages;
    HyperparameterPanel* m_hyperparameters;
    QWidget* m_layerPage = nullptr;
    QVBoxLayout* m_layerLayout = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_description = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_refusal = nullptr;
    ParamForm* m_form = nullptr;
    QWidget* m_training = nullptr;
    QCheckBox* m_trainable = nullptr;
    CompactDoubleSpinBox* m_factor = nullptr;
    QPushButton* m_fineTune = nullptr;
    QString m_layer;
};

}  // namespace loom
