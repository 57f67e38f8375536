#include "ArtJob.h"

#include <QFileDialog>
#include <QMessageBox>

#include <algorithm>
#include <cmath>

namespace loom {

QImage pictureToImage(const Tensor& picture) {
    if (picture.shape().rank() != 3 || picture.dim(0) != 3) {
        return {};
    }
    const Tensor rgb = picture.to(DType::F32);
    const auto height = static_cast<int>(rgb.dim(1));
    const auto width = static_cast<int>(rgb.dim(2));
    const float* data = rgb.data<float>();
    const int64_t plane = int64_t{height} * width;
    QImage image(width, height, QImage::Format_RGB888);
    for (int y = 0; y < height; ++y) {
        uchar* line = image.scanLine(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) {
                const float v = data[c * plane + int64_t{y} * width + x];
                line[3 * x + c] = static_cast<uchar>(std::lround(std::clamp(v, 0.0f, 255.0f)));
            }
        }
    }
    return image;
}

Tensor imageToPicture(const QImage& image) {
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    const int64_t height = rgb.height(), width = rgb.width();
    Tensor picture = Tensor::zeros(Shape{3, height, width});
    float* data = picture.data<float>();
    for (int64_t y = 0; y < height; ++y) {
        const uchar* line = rgb.constScanLine(static_cast<int>(y));
        for (int64_t x = 0; x < width; ++x) {
            for (int64_t c = 0; c < 3; ++c) {
                data[(c * height + y) * width + x] = line[3 * x + c];
            }
        }
    }
    return picture;
}

ArtStep artStep(const ImageProgress& progress) {
    ArtStep step;
    step.image = pictureToImage(progress.image);
    step.stage = QString::fromStdString(progress.stage);
    step.step = progress.step;
    step.steps = progress.steps;
    step.loss = progress.loss;
    step.seconds = progress.seconds;
    for (const auto& [name, value] : progress.terms) {
        step.terms.emplace_back(QString::fromStdString(name), value);
    }
    return step;
}

bool savePicture(const QImage& image, const QString& path) {
    const bool jpeg = path.endsWith(QStringLiteral(".jpg"), Qt::CaseInsensitive) ||
                      path.endsWith(QStringLiteral(".jpeg"), Qt::CaseInsensitive);
    return !image.isNull() && image.save(path, jpeg ? "JPEG" : "PNG", jpeg ? 95 : -1);
}

QString savePictureWithDialog(QWidget* parent, const QImage& image, const QString& suggestedName) {
    const QString path =
        QFileDialog::getSaveFileName(parent, QObject::tr("Save picture"), suggestedName,
                                     QObject::tr("PNG image (*.png);;JPEG image (*.jpg *.jpeg)"));
    if (path.isEmpty()) {
        return {};
    }
    if (!savePicture(image, path)) {
        QMessageBox::warning(parent, QObject::tr("Save picture"),
                             QObject::tr("Could not write %1.").arg(path));
        return {};
    }
    return path;
}

}  // namespace loom
