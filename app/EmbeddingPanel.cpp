#include "EmbeddingPanel.h"

#include "EmbeddingView.h"
#include "SampleImage.h"
#include "TrainingController.h"
#include "WorkerJob.h"

#include <loom/Backend.h>
#include <loom/Embedding.h>
#include <loom/Explanations.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

namespace loom {

namespace {

/// Samples run through the network at a time while collecting a layer's outputs.
constexpr int64_t kBatch = 100;

/// What the worker has worked out so far, read by the GUI thread at each tick.
struct Projection {
    std::mutex mutex;
    QString phase;
    int done = 0, total = 0;
    QVector<QPointF> layout;
    bool layoutChanged = false;
    QVector<int> predictions;
    QString error;

    void setProgress(const QString& what, int d, int t) {
        const std::lock_guard lock(mutex);
        phase = what;
        done = d;
        total = t;
    }
    void setLayout(const Tensor& points) {
        QVector<QPointF> next(points.dim(0));
        const float* v = points.data<float>();
        for (int i = 0; i < next.size(); ++i) {
            next[i] = QPointF(v[2 * i], v[2 * i + 1]);
        }
        const std::lock_guard lock(mutex);
        layout = std::move(next);
        layoutChanged = true;
    }
};

/// The layer's outputs for every sample, flattened to [N, D], and the model's answers.
Tensor layerOutputs(Explainer& explainer, const Tensor& samples, const std::string& layer,
                    Projection& projection, RunControl& control) {
    const int64_t n = samples.dim(0);
    std::vector<float> features;
    QVector<int> predictions;
    int64_t width = 0;
    for (int64_t begin = 0; begin < n && control.checkpoint(); begin += kBatch) {
        const Tensor batch = samples.slice(begin, std::min(n, begin + kBatch));
        const Tensor out = explainer.outputsOf(batch, {layer}).at(layer);
        width = out.numel() / batch.dim(0);
        features.insert(features.end(), out.data<float>(), out.data<float>() + out.numel());
        const Tensor p = explainer.probabilities(batch);
        const int64_t classes = p.dim(1);
        for (int64_t row = 0; row < batch.dim(0); ++row) {
            const float* r = p.data<float>() + row * classes;
            predictions.append(int(std::max_element(r, r + classes) - r));
        }
        projection.setProgress(QObject::tr("Running the samples through the network"),
                               int(begin + batch.dim(0)), int(n));
    }
    {
        const std::lock_guard lock(projection.mutex);
        projection.predictions = predictions;
    }
    return Tensor::fromVector(Shape{int64_t(features.size()) / std::max<int64_t>(width, 1), width},
                              features);
}

/// t-SNE of features [N, D], its layout and progress handed to `projection` as they come.
void projectTsne(const Tensor& features, Projection& projection, RunControl& control) {
    double kl = NAN;  // reported every 50 iterations: the last one is kept
    const auto report = [&projection, &kl](const TsneProgress& p) {
        kl = std::isnan(p.klDivergence) ? kl : p.klDivergence;
        projection.setProgress(
            QObject::tr("t-SNE, iteration %1 of %2%3")
                .arg(p.iteration)
                .arg(p.iterations)
                .arg(std::isnan(kl) ? QString()
                                    : QObject::tr(", KL divergence %1").arg(kl, 0, 'f', 3)),
            p.iteration, p.iterations);
        projection.setLayout(p.layout);
    };
    TsneOptions options;  // a small held-out set takes fewer neighbours
    options.perplexity = std::min(options.perplexity, double(features.dim(0) - 1) / 3.0);
    projection.setLayout(tsneProjection(features, options, report, &control));
}

/// The worker's part: the layer's outputs for the samples, their PCA map, then, when asked,
/// their t-SNE map, each handed to `projection` as it comes.
void projectOutputs(TrainedModel& model, const Tensor& samples, const std::string& layer, bool tsne,
                    Projection& projection, RunControl& control) {
    Explainer explainer(model.graph, cpuBackend(), model.picture);
    const Tensor features = layerOutputs(explainer, samples, layer, projection, control);
    if (control.stopRequested()) {
        return;
    }
    projection.setProgress(QObject::tr("PCA"), 1, 1);
    projection.setLayout(pcaProjection(features, 2));
    if (tsne) {
        projectTsne(features, projection, control);
    }
}

/// What the view is given with the first map of a projection.
struct ShownPoints {
    QVector<int> labels;
    QStringList classNames;
    QString title;
    bool shown = false;
};

/// The projection's progress on the bar and, when its map changed, the map in the view: the
/// first with the samples' classes and the model's answers, later ones as moves.
void showProjection(Projection& projection, ShownPoints& points, EmbeddingView& view,
                    QProgressBar& progress) {
    const std::lock_guard lock(projection.mutex);
    progress.setRange(0, std::max(1, projection.total));
    progress.setValue(projection.done);
    progress.setFormat(projection.phase + QStringLiteral(": %p%"));
    if (!projection.layoutChanged) {
        return;
    }
    projection.layoutChanged = false;
    if (!points.shown) {
        view.setPoints(projection.layout, points.labels, points.classNames, points.title);
        view.setPredictions(projection.predictions);
        points.shown = true;
    } else {
        view.updatePositions(projection.layout);
    }
    view.setCaption(QObject::tr("%1 — %2 held-out samples — %3")
                        .arg(points.title)
                        .arg(projection.layout.size())
                        .arg(projection.phase));
}

}  // namespace

EmbeddingPanel::EmbeddingPanel(TrainingController& controller, QWidget* parent)
    : QWidget(parent),
      m_controller(controller),
      m_layer(new QComboBox(this)),
      m_count(new QSpinBox(this)),
      m_pca(new QPushButton(tr("&PCA"), this)),
      m_tsne(new QPushButton(tr("&t-SNE"), this)),
      m_stop(new QPushButton(tr("Stop"), this)),
      m_progress(new QProgressBar(this)),
      m_message(new QLabel(tr("Train a classifier, then project a layer's outputs for the "
                              "held-out samples: PCA at once, t-SNE in a few seconds."),
                           this)),
      m_view(new EmbeddingView(this)),
      m_job(new WorkerJob(this)) {
    m_count->setRange(100, 10000);
    m_count->setSingleStep(500);
    m_count->setValue(1000);
    m_count->setSuffix(tr(" samples"));
    m_layer->setMinimumContentsLength(16);
    m_message->setWordWrap(true);
    m_progress->setVisible(false);
    m_stop->setEnabled(false);
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Outputs of"), this));
    controls->addWidget(m_layer);
    controls->addWidget(new QLabel(tr("for"), this));
    controls->addWidget(m_count);
    controls->addWidget(m_pca);
    controls->addWidget(m_tsne);
    controls->addWidget(m_stop);
    controls->addWidget(m_progress, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_message);
    layout->addWidget(m_view, 1);
    connect(m_pca, &QPushButton::clicked, this, [this] { start(Method::Pca); });
    connect(m_tsne, &QPushButton::clicked, this, [this] { start(Method::Tsne); });
    connect(m_stop, &QPushButton::clicked, this, &EmbeddingPanel::stop);
    connect(m_view, &EmbeddingView::sampleChosen, this, [this](int index) {
        if (m_samples.defined() && index >= 0 && index < m_samples.dim(0)) {
            emit heldOutSampleChosen(m_samples.slice(index, index + 1).clone());
        }
    });
}

void EmbeddingPanel::setLayers(const QStringList& layers, const QString& preferred) {
    const QString current = m_layer->currentText();
    m_layer->clear();
    m_layer->addItems(layers);
    const int kept = int(layers.indexOf(current));
    m_layer->setCurrentIndex(kept >= 0 ? kept : int(layers.indexOf(preferred)));
}

void EmbeddingPanel::clear() {
    m_job->cancel();
    setRunning(false);
    m_layer->clear();
    m_samples = Tensor();
    m_view->setPoints({}, {}, {}, QString());
    m_view->setCaption(QString());
}

bool EmbeddingPanel::isRunning() const {
    return m_job->isRunning();
}

void EmbeddingPanel::stop() {
    m_job->stop();
}

void EmbeddingPanel::setRunning(bool running) {
    m_pca->setEnabled(!running);
    m_tsne->setEnabled(!running);
    m_stop->setEnabled(running);
    m_progress->setVisible(running);
}

bool EmbeddingPanel::start(Method method) {
    std::optional<TrainedModel> model = m_controller.trainedModel();
    std::optional<Dataset> heldOut = m_controller.heldOutSamples(m_count->value());
    if (!model || !heldOut || model->classNames.isEmpty() || m_layer->currentText().isEmpty()) {
        m_message->setText(tr("Train a classifier first: the points are its held-out samples."));
        return false;
    }
    m_samples = heldOut->samples;
    QVector<int> labels;
    for (int64_t i = 0; i < heldOut->size(); ++i) {
        labels.append(int(heldOut->targets.at(i)));
    }
    const QString layer = m_layer->currentText();
    const QString methodName = method == Method::Pca ? tr("PCA") : tr("t-SNE");
    const QString title = tr("%1 of '%2'").arg(methodName, layer);
    auto shared = std::make_shared<TrainedModel>(std::move(*model));
    auto projection = std::make_shared<Projection>();
    const Tensor samples = m_samples;
    m_view->setImageProvider([samples](int index) { return sampleImage(samples, index); });
    setRunning(true);
    m_message->setText(tr("%1 of the outputs of '%2' for %3 held-out samples.")
                           .arg(methodName, layer)
                           .arg(samples.dim(0)));
    auto shown = std::make_shared<ShownPoints>(ShownPoints{labels, shared->classNames, title});
    const auto show = [this, projection, shown] {
        showProjection(*projection, *shown, *m_view, *m_progress);
    };
    m_job->start(
        [shared, samples, layer, projection, tsne = method == Method::Tsne](ProgressSink&,
                                                                            RunControl& control) {
            try {
                projectOutputs(*shared, samples, layer.toStdString(), tsne, *projection, control);
            } catch (const std::exception& e) {
                const std::lock_guard lock(projection->mutex);
                projection->error = QString::fromUtf8(e.what());
            }
        },
        [show](std::vector<ProgressEvent>&&) { show(); },
        [this, show, projection] {
            show();
            setRunning(false);
            const std::lock_guard lock(projection->mutex);
            if (!projection->error.isEmpty()) {
                m_message->setText(tr("Could not project the outputs: %1").arg(projection->error));
            }
        });
    return true;
}

}  // namespace loom
