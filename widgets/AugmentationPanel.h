#pragma once

#include <loom/Augmentation.h>
#include <loom/Tensor.h>

#include <nlohmann/json.hpp>

#include <QGroupBox>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;
class QTableWidget;

namespace loom {

/// AugmentationPanel: the data section's "augmentation" (<loom/Augmentation.h>, Keras'
/// ImageDataGenerator settings) as a form, and beside it what it does: a few preview samples,
/// each next to augmented versions of itself (the versions training draws for it in its first
/// epochs, with the same seed).
class AugmentationPanel : public QGroupBox {
    Q_OBJECT

public:
    explicit AugmentationPanel(QWidget* parent = nullptr);

    /// The section's value: null when no transform is on.
    nlohmann::json section() const;
    /// Shows a section's value; one the engine refuses shows as no augmentation.
    void setSection(const nlohmann::json& augmentation);
    /// Raw preview samples [N, C, H, W] (pixel values) whose versions to show.
    void setSamples(const Tensor& samples);
    QTableWidget* versions() const { return m_versions; }

    static constexpr int kSamples = 4;
    static constexpr int kVersions = 3;

signals:
    /// A setting changed by the user; section() has the new value.
    void changed();

private:
    AugmentationOptions options() const;
    void showVersions();

    QCheckBox* m_horizontalFlip;
    QCheckBox* m_verticalFlip;
    QDoubleSpinBox* m_rotation;
    QDoubleSpinBox* m_widthShift;
    QDoubleSpinBox* m_heightShift;
    QDoubleSpinBox* m_zoom;
    QDoubleSpinBox* m_shear;
    QDoubleSpinBox* m_brightness;
    QDoubleSpinBox* m_channelShift;
    QComboBox* m_fillMode;
    QDoubleSpinBox* m_cropArea;
    QSpinBox* m_seed;
    QTableWidget* m_versions;
    Tensor m_samples;
    bool m_updating = false;
};

}  // namespace loom
