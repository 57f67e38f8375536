#pragma once

#include <loom/Tensor.h>

#include <QStringList>
#include <QWidget>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace loom {

class EmbeddingView;
class TrainingController;
class WorkerJob;

/// EmbeddingPanel: a layer's outputs for the held-out samples projected to 2-D, TensorBoard's
/// projector inside the workbench. PCA shows at once; t-SNE then works in the background, with
/// progress, from the PCA layout, and can be stopped. Points are coloured by class, mistakes
/// can be ringed, hovering shows the sample and clicking opens it on the Results tab.
class EmbeddingPanel : public QWidget {
    Q_OBJECT

public:
    enum class Method { Pca, Tsne };

    EmbeddingPanel(TrainingController& controller, QWidget* parent = nullptr);

    /// The layers the model offers, in the order it runs; the one chosen stays chosen, else
    /// `preferred`.
    void setLayers(const QStringList& layers, const QString& preferred);
    /// Projects the chosen layer's outputs; false (with the reason shown) when it cannot.
    bool start(Method method);
    void stop();
    /// Stops and forgets the projection and the layers (another project is open).
    void clear();
    bool isRunning() const;
    EmbeddingView* view() const { return m_view; }
    QComboBox* layerChoice() const { return m_layer; }
    QSpinBox* sampleCount() const { return m_count; }

signals:
    /// A point was clicked: the held-out sample [1, ...input] it stands for.
    void heldOutSampleChosen(const loom::Tensor& sample);

private:
    void setRunning(bool running);

    TrainingController& m_controller;
    QComboBox* m_layer;
    QSpinBox* m_count;
    QPushButton* m_pca;
    QPushButton* m_tsne;
    QPushButton* m_stop;
    QProgressBar* m_progress;
    QLabel* m_message;
    EmbeddingView* m_view;
    WorkerJob* m_job;
    Tensor m_samples;  ///< the held-out samples shown, as the model saw them
};

}  // namespace loom
