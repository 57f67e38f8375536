#pragma once
/// What the Dream and Style studios hand to whoever runs the work (the application's
/// ArtController) and what comes back after every step, plus the conversions between the
/// engine's pictures ([3, H, W] RGB 0..255, float32, host) and QImage.

#include <loom/DeepDream.h>
#include <loom/StyleTransfer.h>

#include <QImage>
#include <QMetaType>
#include <QString>

#include <memory>
#include <utility>
#include <vector>

class QWidget;

namespace loom {

/// A deep dream to run. The model is shared with the studio, which leaves it alone while the
/// job runs (its controls are disabled).
struct DreamJob {
    std::shared_ptr<Graph> model;
    Tensor picture;
    DreamSettings settings;
    nlohmann::json studioSettings;  ///< DreamStudio::settingsJson(), kept with the result
};

/// A style transfer to run.
struct StyleJob {
    std::shared_ptr<Graph> model;
    Tensor content, style;
    StyleSettings settings;
    nlohmann::json studioSettings;  ///< StyleStudio::settingsJson()
};

/// One step of a running job as the GUI shows it.
struct ArtStep {
    QImage image;
    QString stage;
    int64_t step = 0, steps = 0;
    double loss = 0;
    double seconds = 0;
    std::vector<std::pair<QString, double>> terms;  ///< named parts of the loss, if any
};

/// [3, H, W] RGB 0..255 as an RGB888 image (values clipped and rounded).
QImage pictureToImage(const Tensor& picture);
/// Any QImage as [3, H, W] RGB 0..255.
Tensor imageToPicture(const QImage& image);
/// The step as the GUI shows it (the picture converted once, on the GUI thread).
ArtStep artStep(const ImageProgress& progress);

/// Asks where to save `image` (PNG or JPEG by the name) and saves it; errors are shown in a
/// message box. Returns the path written, empty when cancelled or failed.
QString savePictureWithDialog(QWidget* parent, const QImage& image, const QString& suggestedName);
/// Saves `image` as PNG, or JPEG (quality 95) when the name ends in .jpg/.jpeg.
bool savePicture(const QImage& image, const QString& path);

}  // namespace loom

Q_DECLARE_METATYPE(loom::ArtStep)
