#pragma once

#include <loom/StatisticsSample.h>
#include <loom/Tensor.h>

#include <QImage>
#include <QString>
#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QSpinBox;
class QTabWidget;

Q_MOC_INCLUDE("TrainingController.h")

namespace loom {

class ClassPictures;
class EmbeddingPanel;
class LayerDistributionsView;
class LayerInspector;
class TrainingController;
class WorkerJob;
struct Prediction;

/// InsidePage: the Inside tab, a trained network seen from inside. "Layer": the layer
/// inspector for the layer chosen here or on the canvas, for one sample (a held-out sample
/// chosen by number, a Data-tab preview sample, or the picture the Results tab shows); "All
/// layers": every layer's
/// distributions side by side with one time slider; "Embedding": a layer's outputs for the
/// held-out set projected to 2-D; "Classes": what each class looks like to the network. The
/// statistics follow the run in progress, else the project's last run.
class InsidePage : public QWidget {
    Q_OBJECT

public:
    explicit InsidePage(TrainingController& controller, QWidget* parent = nullptr);

    LayerInspector* inspector() const { return m_inspector; }
    LayerDistributionsView* distributions() const { return m_distributions; }
    EmbeddingPanel* embedding() const { return m_embedding; }
    ClassPictures* classes() const { return m_classes; }
    QTabWidget* views() const { return m_views; }
    QComboBox* layerChoice() const { return m_layer; }
    /// True while the inspector's contents are being worked out.
    bool isInspecting() const;

public slots:
    /// Chooses a layer (from the canvas' selection); ignored when the model has none so named.
    void chooseLayer(const QString& layer);
    /// Inspects the picture the Results tab shows instead of a held-out sample.
    void showPrediction(const Prediction& prediction);
    /// Inspects `sample` [1, ...input], prepared as the model sees it (a Data-tab preview
    /// sample), shown as `image` and called `name`.
    void inspectSample(const loom::Tensor& sample, const QImage& image, const QString& name);
    /// A project was opened or made: forgets what the page showed of the last one and shows
    /// the statistics of its last run (`samples`: none for a project that never trained).
    void showProject(const std::vector<StatisticsSample>& samples);

signals:
    /// A held-out sample was chosen (in the embedding): the Results tab shows it.
    void heldOutSampleChosen(const loom::Tensor& sample);

private:
    void modelTrained();
    /// Before the first run has trained the network, the layers its statistics name.
    void offerLayers(const StatisticsSample& sample);
    void chooseHeldOutSample(int index);
    void inspect();

    TrainingController& m_controller;
    QComboBox* m_layer;
    QSpinBox* m_sampleIndex;
    QLabel* m_sampleLabel;
    QTabWidget* m_views;
    LayerInspector* m_inspector;
    LayerDistributionsView* m_distributions;
    EmbeddingPanel* m_embedding;
    ClassPictures* m_classes;
    WorkerJob* m_job;
    Tensor m_sample;  ///< [1, ...input] as the model sees it; undefined before any
    QImage m_sampleImage;
    QString m_sampleName;
};

}  // namespace loom
