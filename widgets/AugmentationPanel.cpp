#include "AugmentationPanel.h"

#include "SampleImage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPixmap>
#include <QSpinBox>
#include <QTableWidget>

#include <algorithm>
#include <limits>

namespace loom {

namespace {

constexpr int kThumbnail = 56;
const char* const kFillModes[] = {"nearest", "reflect", "constant", "wrap"};

QDoubleSpinBox* rangeBox(double maximum, double step, const QString& suffix, QWidget* parent) {
    auto* box = new QDoubleSpinBox(parent);
    box->setRange(0, maximum);
    box->setSingleStep(step);
    box->setDecimals(step < 0.1 ? 2 : 1);
    box->setSuffix(suffix);
    box->setSpecialValueText(QObject::tr("off"));
    box->setMaximumWidth(110);  // the versions beside the form get the width
    return box;
}

}  // namespace

AugmentationPanel::AugmentationPanel(QWidget* parent)
    : QGroupBox(tr("Augmentation (training only)"), parent),
      m_horizontalFlip(new QCheckBox(tr("left-right"), this)),
      m_verticalFlip(new QCheckBox(tr("upside down"), this)),
      m_rotation(rangeBox(180, 5, tr("°"), this)),
      m_widthShift(rangeBox(0.5, 0.05, QString(), this)),
      m_heightShift(rangeBox(0.5, 0.05, QString(), this)),
      m_zoom(rangeBox(0.9, 0.05, QString(), this)),
      m_shear(rangeBox(45, 5, tr("°"), this)),
      m_brightness(rangeBox(0.9, 0.05, QString(), this)),
      m_channelShift(rangeBox(255, 5, QString(), this)),
      m_fillMode(new QComboBox(this)),
      m_cropArea(rangeBox(0.9, 0.05, QString(), this)),
      m_seed(new QSpinBox(this)),
      m_versions(new QTableWidget(kSamples, 1 + kVersions, this)) {
    setObjectName(QStringLiteral("augmentation"));
    m_fillMode->addItems({tr("nearest edge"), tr("reflect"), tr("constant (black)"), tr("wrap")});
    m_cropArea->setToolTip(
        tr("Random crop: up to this share of the area cut away, the rest "
           "resized back"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setMaximumWidth(110);
    m_fillMode->setMaximumWidth(140);
    m_widthShift->setToolTip(tr("A shift of up to this share of the width, either way"));
    m_heightShift->setToolTip(tr("A shift of up to this share of the height, either way"));
    m_zoom->setToolTip(tr("Zoomed in or out by up to this share"));
    m_brightness->setToolTip(tr("Brightness times 1 ± this"));
    m_channelShift->setToolTip(tr("Up to this many grey levels added to every channel"));
    auto* flips = new QHBoxLayout;
    flips->addWidget(m_horizontalFlip);
    flips->addWidget(m_verticalFlip);
    auto* form = new QFormLayout;
    form->addRow(tr("Flip"), flips);
    form->addRow(tr("Rotation"), m_rotation);
    form->addRow(tr("Shift across"), m_widthShift);
    form->addRow(tr("Shift down"), m_heightShift);
    form->addRow(tr("Zoom"), m_zoom);
    form->addRow(tr("Shear"), m_shear);
    form->addRow(tr("Brightness"), m_brightness);
    form->addRow(tr("Channel shift"), m_channelShift);
    form->addRow(tr("Random crop"), m_cropArea);
    form->addRow(tr("Fill"), m_fillMode);
    form->addRow(tr("Seed"), m_seed);
    m_versions->setObjectName(QStringLiteral("augmentedVersions"));
    m_versions->setIconSize(QSize(kThumbnail, kThumbnail));
    m_versions->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_versions->setSelectionMode(QAbstractItemView::NoSelection);
    m_versions->verticalHeader()->hide();
    m_versions->horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_versions->horizontalHeader()->setDefaultSectionSize(kThumbnail + 8);
    m_versions->verticalHeader()->setDefaultSectionSize(kThumbnail + 8);
    m_versions->setMinimumWidth((1 + kVersions) * (kThumbnail + 8) + 24);
    QStringList headers{tr("sample")};
    for (int v = 1; v <= kVersions; ++v) {
        headers << tr("epoch %1").arg(v);
    }
    m_versions->setHorizontalHeaderLabels(headers);
    m_versions->setToolTip(
        tr("Each preview sample, then the versions training makes of it in "
           "its first epochs"));
    auto* columns = new QHBoxLayout(this);
    columns->addLayout(form);
    columns->addWidget(m_versions, 1);

    const auto edited = [this] {
        if (!m_updating) {
            showVersions();
            emit changed();
        }
    };
    for (QCheckBox* box : {m_horizontalFlip, m_verticalFlip}) {
        connect(box, &QCheckBox::toggled, this, edited);
    }
    for (QDoubleSpinBox* box : {m_rotation, m_widthShift, m_heightShift, m_zoom, m_shear,
                                m_brightness, m_channelShift, m_cropArea}) {
        connect(box, &QDoubleSpinBox::valueChanged, this, edited);
    }
    connect(m_fillMode, &QComboBox::currentIndexChanged, this, edited);
    connect(m_seed, &QSpinBox::valueChanged, this, edited);
}

AugmentationOptions AugmentationPanel::options() const {
    AugmentationOptions o;
    o.horizontalFlip = m_horizontalFlip->isChecked();
    o.verticalFlip = m_verticalFlip->isChecked();
    o.rotationRange = m_rotation->value();
    o.widthShiftRange = m_widthShift->value();
    o.heightShiftRange = m_heightShift->value();
    o.zoomLow = 1 - m_zoom->value();
    o.zoomHigh = 1 + m_zoom->value();
    o.shearRange = m_shear->value();
    o.brightnessLow = 1 - m_brightness->value();
    o.brightnessHigh = 1 + m_brightness->value();
    o.channelShiftRange = m_channelShift->value();
    o.fillMode = FillMode(m_fillMode->currentIndex());
    o.cropAreaLow = 1 - m_cropArea->value();
    o.seed = uint64_t(m_seed->value());
    return o;
}

nlohmann::json AugmentationPanel::section() const {
    const AugmentationOptions o = options();
    return o.enabled() ? o.toJson() : nlohmann::json();
}

void AugmentationPanel::setSection(const nlohmann::json& augmentation) {
    AugmentationOptions o;
    try {
        o = AugmentationOptions::fromJson(augmentation);
    } catch (const std::exception&) {
        o = AugmentationOptions{};
    }
    m_updating = true;
    m_horizontalFlip->setChecked(o.horizontalFlip);
    m_verticalFlip->setChecked(o.verticalFlip);
    m_rotation->setValue(o.rotationRange);
    m_widthShift->setValue(o.widthShiftRange);
    m_heightShift->setValue(o.heightShiftRange);
    m_zoom->setValue(std::max(1 - o.zoomLow, o.zoomHigh - 1));
    m_shear->setValue(o.shearRange);
    m_brightness->setValue(std::max(1 - o.brightnessLow, o.brightnessHigh - 1));
    m_channelShift->setValue(o.channelShiftRange);
    m_fillMode->setCurrentIndex(int(o.fillMode));
    m_cropArea->setValue(1 - o.cropAreaLow);
    m_seed->setValue(int(std::min<uint64_t>(o.seed, std::numeric_limits<int>::max())));
    m_updating = false;
    showVersions();
}

void AugmentationPanel::setSamples(const Tensor& samples) {
    m_samples = samples;
    showVersions();
}

void AugmentationPanel::showVersions() {
    m_versions->clearContents();
    if (!m_samples.defined() || m_samples.shape().rank() != 4) {
        return;
    }
    const AugmentationOptions o = options();
    const Shape picture = m_samples.shape().withoutBatch();
    const int64_t shown = std::min<int64_t>(kSamples, m_samples.dim(0));
    try {
        const Augmenter augmenter(o, Normalization{}, 1);
        for (int64_t row = 0; row < shown; ++row) {
            for (int column = 0; column <= kVersions; ++column) {
                Tensor version = m_samples.slice(row, row + 1).clone();
                if (column > 0 && o.enabled()) {
                    augmenter.transform(version.data<float>(), picture[0], picture[1], picture[2],
                                        augmenter.draw(column - 1, row, picture[1], picture[2]));
                }
                auto* item = new QTableWidgetItem;
                item->setIcon(QIcon(QPixmap::fromImage(
                    sampleImage(version, 0).scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio))));
                m_versions->setItem(int(row), column, item);
            }
        }
    } catch (const std::exception& e) {
        m_versions->setToolTip(QString::fromUtf8(e.what()));
    }
}

}  // namespace loom
