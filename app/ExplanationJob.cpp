#include "ExplanationJob.h"

#include <loom/Backend.h>
#include <loom/Explanations.h>

#include <algorithm>

namespace loom {

namespace {

// Covering about a seventh of the picture, the size of a garment's part or a digit's stroke.
OcclusionOptions occlusionFor(const Shape& picture) {
    OcclusionOptions options;
    options.patch = std::max<int64_t>(2, std::min(picture[1], picture[2]) / 7);
    options.stride = std::max<int64_t>(1, options.patch / 2);
    return options;
}

}  // namespace

ExplanationJob::ExplanationJob(QObject* parent) : QObject(parent) {}

ExplanationJob::~ExplanationJob() = default;

Explanation ExplanationJob::explain(TrainedModel& model, const Prediction& prediction) {
    Explanation result;
    result.picture = prediction.image;
    const QString name = prediction.top.empty() ? QString() : prediction.top.front().first;
    result.subject =
        QObject::tr("Why the model says '%1' (%2 %): where it looks")
            .arg(name)
            .arg(prediction.top.empty() ? 0.0 : prediction.top.front().second * 100, 0, 'f', 1);
    try {
        Explainer explainer(model.graph, cpuBackend(), model.picture);
        const int64_t c = prediction.classIndex;
        SaliencyOptions smooth;
        smooth.smoothGradSamples = 16;
        result.maps.append({QObject::tr("Saliency"),
                            QObject::tr("SmoothGrad: how strongly the class score reacts to each "
                                        "pixel (its gradient, averaged over 16 noisy copies)"),
                            explainer.saliency(prediction.sample, c, smooth)});
        const OcclusionOptions patches = occlusionFor(model.picture);
        result.maps.append({QObject::tr("Occlusion"),
                            QObject::tr("How much the class's probability drops when a %1x%1 patch "
                                        "of zeros (black, for pixels divided by 255) hides "
                                        "each part of the picture")
                                .arg(patches.patch),
                            explainer.occlusion(prediction.sample, c, patches)});
        const std::string layer = defaultGradCamLayer(model.graph);
        if (!layer.empty()) {
            result.maps.append({QObject::tr("Grad-CAM"),
                                QObject::tr("The feature maps of '%1' weighted by how much the "
                                            "class score gains from each")
                                    .arg(QString::fromStdString(layer)),
                                explainer.gradCam(prediction.sample, c, layer)});
        }
    } catch (const std::exception& e) {
        result.error = QString::fromUtf8(e.what());
    }
    return result;
}

void ExplanationJob::start(TrainedModel model, const Prediction& prediction) {
    auto shared = std::make_shared<TrainedModel>(std::move(model));
    auto result = std::make_shared<Explanation>();
    m_worker.start([shared, prediction, result](
                       ProgressSink&, RunControl&) { *result = explain(*shared, prediction); },
                   {}, [this, result] { emit finished(*result); });
}

}  // namespace loom
