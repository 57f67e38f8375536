#pragma once

#include "ArtStudio.h"

class QDoubleSpinBox;
class QSpinBox;

namespace loom {

class ArtLayerList;
class ImagePreview;

/// DreamStudio: the Dream tab. A picture (opened or dropped), the network (InceptionV3 by
/// default), the layers to dream with and their weights, octaves, octave scale, step,
/// iterations and jitter; the original beside the dream, which changes after every step.
class DreamStudio : public ArtStudio {
    Q_OBJECT

public:
    explicit DreamStudio(QWidget* parent = nullptr);

    bool openImage(const QString& path);
    /// The dream settings the controls describe.
    DreamSettings settings() const;
    nlohmann::json settingsJson() const override;
    void applySettings(const nlohmann::json& json) override;

public slots:
    void run() override;

signals:
    void dreamRequested(const loom::DreamJob& job);

protected:
    void modelLoaded() override;
    QString resultName() const override;

private:
    ImagePreview* m_original;
    ArtLayerList* m_layers;
    QSpinBox* m_octaves;
    QDoubleSpinBox* m_scale;
    QDoubleSpinBox* m_step;
    QSpinBox* m_iterations;
    QSpinBox* m_jitter;
};

}  // namespace loom
