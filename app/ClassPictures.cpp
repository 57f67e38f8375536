#include "ClassPictures.h"

#include "SampleImage.h"
#include "TileGrid.h"
#include "TrainingController.h"
#include "WorkerJob.h"

#include <loom/Backend.h>
#include <loom/Explanations.h>

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>
#include <mutex>

namespace loom {

namespace {

/// What the worker has made so far, read by the GUI thread at each tick.
struct Made {
    std::mutex mutex;
    QList<Tile> tiles;
    QString error;
};

/// The smallest and largest value of the held-out samples: the input range the pictures keep.
std::pair<double, double> valueRange(const Tensor& samples) {
    const float* v = samples.data<float>();
    const auto [low, high] = std::minmax_element(v, v + samples.numel());
    return {*low, *high};
}

}  // namespace

ClassPictures::ClassPictures(TrainingController& controller, QWidget* parent)
    : QWidget(parent),
      m_controller(controller),
      m_start(new QPushButton(tr("Show what each &class looks like"), this)),
      m_progress(new QProgressBar(this)),
      m_message(new QLabel(tr("For each class, the picture the network finds most like it: "
                              "grown from faint noise, a small step at a time, in the direction "
                              "that raises the class's score."),
                           this)),
      m_pictures(new TileGrid(this)),
      m_job(new WorkerJob(this)) {
    m_message->setWordWrap(true);
    m_progress->setVisible(false);
    m_pictures->setCaptionsShown(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_message);
    layout->addWidget(m_start, 0, Qt::AlignLeft);
    layout->addWidget(m_progress);
    layout->addWidget(m_pictures, 1);
    connect(m_start, &QPushButton::clicked, this, &ClassPictures::start);
}

void ClassPictures::clear() {
    m_job->cancel();
    m_pictures->setTiles({});
    m_progress->setVisible(false);
    m_start->setEnabled(true);
}

bool ClassPictures::isRunning() const {
    return m_job->isRunning();
}

int ClassPictures::shownCount() const {
    return m_pictures->count();
}

bool ClassPictures::start() {
    std::optional<TrainedModel> model = m_controller.trainedModel();
    const std::optional<Dataset> heldOut = m_controller.heldOutSamples(1000);
    if (!model || !heldOut || model->classNames.isEmpty()) {
        m_message->setText(
            tr("Train a classifier first: its held-out data set the range the "
               "pictures keep to."));
        return false;
    }
    // Smaller steps, more of them: W4's pictures saturate to black and white at the default
    // step, and keep their shapes (trouser legs, a sandal's straps) at this one.
    ClassVisualisationOptions options;
    options.steps = 200;
    options.step = 0.01;
    std::tie(options.low, options.high) = valueRange(heldOut->samples);
    auto shared = std::make_shared<TrainedModel>(std::move(*model));
    auto made = std::make_shared<Made>();
    const int classes = int(shared->classNames.size());
    m_pictures->setTiles({});
    m_progress->setRange(0, classes);
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_start->setEnabled(false);
    const auto show = [this, made] {
        const std::lock_guard lock(made->mutex);
        if (made->tiles.size() != m_pictures->count()) {
            m_pictures->setTiles(made->tiles);
            m_progress->setValue(int(made->tiles.size()));
        }
    };
    m_job->start(
        [shared, made, options, classes](ProgressSink&, RunControl& control) {
            try {
                Explainer explainer(shared->graph, cpuBackend(), shared->picture);
                for (int c = 0; c < classes && control.checkpoint(); ++c) {
                    const Tensor picture = explainer.visualiseClass(c, options);
                    const QImage image =
                        sampleImage(picture.reshape(shared->picture.withBatch(1)), 0);
                    const std::lock_guard lock(made->mutex);
                    made->tiles.append({image, shared->classNames[c]});
                }
            } catch (const std::exception& e) {
                const std::lock_guard lock(made->mutex);
                made->error = QString::fromUtf8(e.what());
            }
        },
        [show](std::vector<ProgressEvent>&&) { show(); },
        [this, show, made] {
            show();
            m_progress->setVisible(false);
            m_start->setEnabled(true);
            const std::lock_guard lock(made->mutex);
            if (!made->error.isEmpty()) {
                m_message->setText(tr("Could not make the pictures: %1").arg(made->error));
            }
        });
    return true;
}

}  // namespace loom
