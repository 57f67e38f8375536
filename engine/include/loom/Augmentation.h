#pragma once
/// Augmentation: seeded random changes to the training pictures, made on the loader thread, with
/// the parameter names of Keras' ImageDataGenerator (the data section's "augmentation" key).
///
/// Geometry: every sample's flips, rotation, shift, shear, zoom and random crop are composed into
/// one affine map, as Keras composes them (rotation . shift . shear . zoom about the picture's
/// centre, flips after, the crop before), and applied with one bilinear warp of OpenCV's (per
/// four channels). Pixels the map takes from outside the picture follow fill_mode: nearest (the
/// edge repeated, aaa|abcd|ddd), reflect (scipy's, dcba|abcd|dcba), constant (cval) or wrap
/// (periodic, abcd|abcd|abcd).
/// Intensity: raw' = brightness * (raw + channel_shift), on the raw pixel values (0..255),
/// carried through the samples' Normalization; unclipped, unlike Keras, which clips to the
/// picture's own range.
/// Randomness is a function of (seed, epoch, sample index in the data set) alone, so a batch's
/// pictures do not depend on how the batch was put together or on the number of threads.

#include <loom/Dataset.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>

namespace loom {

enum class FillMode { Nearest, Reflect, Constant, Wrap };

struct AugmentationOptions {
    bool horizontalFlip = false;  ///< horizontal_flip: mirror left-right half of the time
    bool verticalFlip = false;    ///< vertical_flip: upside down half of the time
    double rotationRange = 0;  ///< rotation_range: degrees in [-r, r], positive counter-clockwise
    /// width_shift_range, height_shift_range: a fraction of the size below 1, pixels from 1 on;
    /// a shift in [-r, r], positive right and down.
    double widthShiftRange = 0, heightShiftRange = 0;
    /// zoom_range: the horizontal and vertical scale of the map from output to input, each
    /// drawn from [low, high] on its own, as Keras does: above 1 the picture shrinks.
    double zoomLow = 1, zoomHigh = 1;
    double shearRange = 0;  ///< shear_range: degrees in [-r, r], Keras 2's shear
    double brightnessLow = 1, brightnessHigh = 1;  ///< brightness_range: a factor on raw values
    double channelShiftRange = 0;  ///< channel_shift_range: raw units added to every channel
    FillMode fillMode = FillMode::Nearest;  ///< fill_mode
    double cval = 0;                        ///< cval: the constant fill, in raw units
    /// random_crop: a square-scaled region of [low, high] of the area (the aspect kept), at a
    /// random place, resized back to the sample's size.
    double cropAreaLow = 1, cropAreaHigh = 1;
    uint64_t seed = 0;

    /// True when any transform is on: otherwise augmentation is skipped entirely.
    bool enabled() const;
    /// True when a transform moves pixels (and so needs OpenCV's warp).
    bool geometric() const;
    /// The data section's form: only the keys that differ from the defaults.
    nlohmann::json toJson() const;
    /// Reads the data section's "augmentation" value (null or an object). Throws DataError
    /// naming the key, what it must be and what it was; an unknown key lists the known ones.
    static AugmentationOptions fromJson(const nlohmann::json& section);
};

/// One sample's drawn transform, in pixels and degrees.
struct SampleTransform {
    bool flipHorizontal = false, flipVertical = false;
    double rotation = 0;            ///< degrees, counter-clockwise as displayed
    double shiftX = 0, shiftY = 0;  ///< pixels, right and down
    double shear = 0;               ///< degrees
    double zoomX = 1, zoomY = 1;    ///< output-to-input scale: above 1 shrinks
    double cropScale = 1;           ///< the crop's side over the picture's
    double cropX = 0, cropY = 0;    ///< the crop's top-left corner, pixels
    double brightness = 1;          ///< factor on raw values
    double channelShift = 0;        ///< raw units
};

class Augmenter {
public:
    /// `normalization` is what the samples went through: raw-unit settings are carried through
    /// it. threads: how many a batch is split over (0: as many as the CPU backend uses,
    /// which loom-cli's --threads sets). Throws DataError when a
    /// geometric transform is asked of a build without OpenCV.
    Augmenter(AugmentationOptions options, Normalization normalization, int threads = 0);

    const AugmentationOptions& options() const { return m_options; }
    /// Throws DataError unless samples of this shape ([channels, height, width], with as many
    /// channels as a per-channel normalization has) can be augmented.
    void checkSampleShape(const Shape& sample) const;
    /// The transform of data-set sample `index` in `epoch` for a height x width picture.
    SampleTransform draw(int64_t epoch, int64_t index, int64_t height, int64_t width) const;
    /// Augments samples [B, C, H, W] in place; indices[i] is sample i's index in the data set.
    void apply(Tensor& samples, std::span<const int64_t> indices, int64_t epoch) const;
    /// Applies `t` to one sample [channels, height, width] in place.
    void transform(float* sample, int64_t channels, int64_t height, int64_t width,
                   const SampleTransform& t) const;

private:
    void transformWith(float* sample, int64_t channels, int64_t height, int64_t width,
                       const SampleTransform& t, float* scratch) const;
    /// Normalized value = rawScale[c] * raw + rawOffset[c].
    double rawScale(size_t channel) const;
    double rawOffset(size_t channel) const;

    AugmentationOptions m_options;
    Normalization m_normalization;
    int m_threads;
};

}  // namespace loom
