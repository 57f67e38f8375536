#include "backend/CounterRandom.h"

#include <loom/Augmentation.h>
#include <loom/Error.h>

#include <omp.h>

#ifdef LOOM_HAVE_OPENCV
#include <opencv2/imgproc.hpp>
#endif

#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <thread>
#include <utility>
#include <vector>

namespace loom {

namespace {

// [a b c; d e f]: x' = a x + b y + c, y' = d x + e y + f, in pixels (x right, y down).
using Affine = std::array<double, 6>;

Affine operator*(const Affine& m, const Affine& n) {
    return {m[0] * n[0] + m[1] * n[3], m[0] * n[1] + m[1] * n[4], m[0] * n[2] + m[1] * n[5] + m[2],
            m[3] * n[0] + m[4] * n[3], m[3] * n[1] + m[4] * n[4], m[3] * n[2] + m[4] * n[5] + m[5]};
}

bool isIdentity(const Affine& m) {
    const Affine identity{1, 0, 0, 0, 1, 0};
    for (size_t i = 0; i < m.size(); ++i) {
        if (std::abs(m[i] - identity[i]) > 1e-9) {
            return false;
        }
    }
    return true;
}

// Where each output pixel is taken from in the input: every transform's inverse, so one warp
// does them all. Keras composes rotation . shift . shear . zoom about the centre and flips the
// result; the crop picks the region all of that is done to.
Affine sourceMap(const SampleTransform& t, int64_t height, int64_t width) {
    constexpr double kRadians = std::numbers::pi / 180;
    const double cr = std::cos(t.rotation * kRadians), sr = std::sin(t.rotation * kRadians);
    const double cs = std::cos(t.shear * kRadians), ss = std::sin(t.shear * kRadians);
    const double cx = static_cast<double>(width - 1) / 2, cy = static_cast<double>(height - 1) / 2;
    const double k = t.cropScale;
    const Affine crop{k, 0, t.cropX + 0.5 * k - 0.5, 0, k, t.cropY + 0.5 * k - 0.5};
    const Affine fromCentre{1, 0, cx, 0, 1, cy}, toCentre{1, 0, -cx, 0, 1, -cy};
    const Affine rotation{cr, -sr, 0, sr, cr, 0};
    const Affine shift{1, 0, -t.shiftX, 0, 1, -t.shiftY};
    const Affine shear{cs, 0, 0, -ss, 1, 0};
    const Affine zoom{t.zoomX, 0, 0, 0, t.zoomY, 0};
    const Affine flip{t.flipHorizontal ? -1.0 : 1.0, 0, 0, 0, t.flipVertical ? -1.0 : 1.0, 0};
    return crop * fromCentre * rotation * shift * shear * zoom * flip * toCentre;
}

// Each setting draws from its own slot, so turning one on leaves the others' draws as they were.
enum Slot : uint64_t {
    kFlipHorizontal,
    kFlipVertical,
    kRotation,
    kShiftX,
    kShiftY,
    kShear,
    kZoomX,
    kZoomY,
    kCropArea,
    kCropX,
    kCropY,
    kBrightness,
    kChannelShift
};

// Uniform in (0, 1).
double uniform(uint64_t key, Slot slot) {
    return (static_cast<double>(counterRandomBits(key, slot)) + 0.5) * 0x1p-53;
}

double between(uint64_t key, Slot slot, double low, double high) {
    return low + (high - low) * uniform(key, slot);
}

double shiftPixels(double range, int64_t size) {
    return range < 1 ? range * static_cast<double>(size) : range;
}

[[maybe_unused]] constexpr const char* kNeedsOpenCv =
    "this build of Loom has no OpenCV, which flips, rotation, shifts, zoom, shear and "
    "random_crop need; leave them out of the data section's augmentation or rebuild Loom with "
    "OpenCV";

// OpenCV warps pictures of up to 4 interleaved channels; one bilinear lookup then serves them
// all, twice as fast at 224x224 as a warp per plane.
constexpr int64_t kWarpChannels = 4;

// Floats of scratch a sample of `channels` planes of `area` pixels needs: the channels of one
// warp interleaved, before and after.
size_t scratchSize(int64_t channels, int64_t area) {
    return static_cast<size_t>(2 * std::min(channels, kWarpChannels) * area);
}

#ifdef LOOM_HAVE_OPENCV
int borderMode(FillMode mode) {
    switch (mode) {
        case FillMode::Reflect:
            return cv::BORDER_REFLECT;
        case FillMode::Constant:
            return cv::BORDER_CONSTANT;
        case FillMode::Wrap:
            return cv::BORDER_WRAP;
        default:
            return cv::BORDER_REPLICATE;
    }
}

// Warps planes[0, count) (count <= kWarpChannels) into `out`, interleaved; `merged` holds them
// interleaved on the way in.
void warpPlanes(const float* planes, int64_t count, int64_t height, int64_t width,
                const Affine& map, FillMode mode, const std::array<double, 4>& fill, float* merged,
                float* out) {
    const int rows = static_cast<int>(height), cols = static_cast<int>(width);
    const int type = CV_32FC(static_cast<int>(count));
    std::vector<cv::Mat> separate;
    for (int64_t c = 0; c < count; ++c) {
        separate.emplace_back(rows, cols, CV_32F, const_cast<float*>(planes + c * height * width));
    }
    cv::Mat source(rows, cols, type, merged), target(rows, cols, type, out);
    cv::merge(separate, source);
    const cv::Matx23d m(map[0], map[1], map[2], map[3], map[4], map[5]);
    cv::warpAffine(source, target, m, target.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   borderMode(mode), cv::Scalar(fill[0], fill[1], fill[2], fill[3]));
}
#else
[[noreturn]] void warpPlanes(const float*, int64_t, int64_t, int64_t, const Affine&, FillMode,
                             const std::array<double, 4>&, float*, float*) {
    throw DataError(kNeedsOpenCv);
}
#endif

}  // namespace

Augmenter::Augmenter(AugmentationOptions options, Normalization normalization, int threads)
    : m_options(options),
      m_normalization(std::move(normalization)),
      m_threads(threads > 0 ? threads : omp_get_max_threads()) {
#ifndef LOOM_HAVE_OPENCV
    if (m_options.geometric()) {
        throw DataError(kNeedsOpenCv);
    }
#endif
}

double Augmenter::rawScale(size_t channel) const {
    switch (m_normalization.kind) {
        case Normalization::Kind::Scale:
            return m_normalization.scale;
        case Normalization::Kind::MeanStd:
            return 1 / m_normalization.stddev[channel];
        default:
            return 1;
    }
}

double Augmenter::rawOffset(size_t channel) const {
    return m_normalization.kind == Normalization::Kind::MeanStd
               ? -m_normalization.mean[channel] / m_normalization.stddev[channel]
               : 0;
}

void Augmenter::checkSampleShape(const Shape& sample) const {
    if (sample.rank() != 3) {
        throw DataError(
            "augmentation needs pictures, samples of shape [channels, height, width], not " +
            sample.str() +
            "; give the model a picture input (an MLP can start with a Flatten layer) or leave "
            "out the data section's augmentation");
    }
    const size_t perChannel = m_normalization.mean.size();
    if (m_normalization.kind == Normalization::Kind::MeanStd &&
        perChannel != static_cast<size_t>(sample[0])) {
        throw DataError("augmentation got samples " + sample.str() + " with " +
                        std::to_string(sample[0]) + " channel(s) but a normalization of " +
                        std::to_string(perChannel));
    }
}

SampleTransform Augmenter::draw(int64_t epoch, int64_t index, int64_t height, int64_t width) const {
    const AugmentationOptions& o = m_options;
    const auto key = static_cast<uint64_t>(counterRandomBits(
        static_cast<uint64_t>(counterRandomBits(o.seed, static_cast<uint64_t>(epoch))),
        static_cast<uint64_t>(index)));
    SampleTransform t;
    t.flipHorizontal = o.horizontalFlip && uniform(key, kFlipHorizontal) < 0.5;
    t.flipVertical = o.verticalFlip && uniform(key, kFlipVertical) < 0.5;
    t.rotation = between(key, kRotation, -o.rotationRange, o.rotationRange);
    const double dx = shiftPixels(o.widthShiftRange, width);
    const double dy = shiftPixels(o.heightShiftRange, height);
    t.shiftX = between(key, kShiftX, -dx, dx);
    t.shiftY = between(key, kShiftY, -dy, dy);
    t.shear = between(key, kShear, -o.shearRange, o.shearRange);
    t.zoomX = between(key, kZoomX, o.zoomLow, o.zoomHigh);
    t.zoomY = between(key, kZoomY, o.zoomLow, o.zoomHigh);
    t.cropScale = std::sqrt(between(key, kCropArea, o.cropAreaLow, o.cropAreaHigh));
    t.cropX = uniform(key, kCropX) * static_cast<double>(width) * (1 - t.cropScale);
    t.cropY = uniform(key, kCropY) * static_cast<double>(height) * (1 - t.cropScale);
    t.brightness = between(key, kBrightness, o.brightnessLow, o.brightnessHigh);
    t.channelShift = between(key, kChannelShift, -o.channelShiftRange, o.channelShiftRange);
    return t;
}

void Augmenter::apply(Tensor& samples, std::span<const int64_t> indices, int64_t epoch) const {
    checkSampleShape(samples.shape().withoutBatch());
    const int64_t n = samples.dim(0), c = samples.dim(1), h = samples.dim(2), w = samples.dim(3);
    if (static_cast<int64_t>(indices.size()) != n) {
        throw DataError("augmentation got " + std::to_string(n) + " samples but " +
                        std::to_string(indices.size()) + " sample indices");
    }
    float* data = samples.data<float>();
    // Samples, not planes, are dealt out: each one's transform is drawn once, and its planes
    // stay in one core's cache. Helper threads that block rather than an OpenMP team: this runs
    // on the loader thread while training's team works, and OpenMP's spinning waits took cores
    // from it (2 threads ran 5x slower than 1 on a loaded 2-core machine).
    std::atomic<int64_t> next{0};
    std::mutex failed;
    std::exception_ptr error;
    auto work = [&] {
        std::vector<float> scratch(scratchSize(c, h * w));
        for (int64_t i = next++; i < n; i = next++) {
            try {
                transformWith(data + i * c * h * w, c, h, w,
                              draw(epoch, indices[static_cast<size_t>(i)], h, w), scratch.data());
            } catch (...) {
                std::lock_guard lock(failed);
                error = std::current_exception();
                next = n;
            }
        }
    };
    {
        std::vector<std::jthread> helpers;
        for (int64_t t = 1; t < std::min<int64_t>(m_threads, n); ++t) {
            helpers.emplace_back(work);
        }
        work();
    }
    if (error) {
        std::rethrow_exception(error);
    }
}

void Augmenter::transform(float* sample, int64_t channels, int64_t height, int64_t width,
                          const SampleTransform& t) const {
    checkSampleShape(Shape{channels, height, width});
    std::vector<float> scratch(scratchSize(channels, height * width));
    transformWith(sample, channels, height, width, t, scratch.data());
}

// raw' = brightness * (raw + shift) becomes, in normalized units, x' = a x + b per channel.
void Augmenter::transformWith(float* sample, int64_t channels, int64_t height, int64_t width,
                              const SampleTransform& t, float* scratch) const {
    const Affine map = sourceMap(t, height, width);
    const bool moves = !isIdentity(map);
    const int64_t area = height * width;
    for (int64_t first = 0; first < channels; first += kWarpChannels) {
        const int64_t count = std::min(kWarpChannels, channels - first);
        std::array<float, 4> a{}, b{};
        std::array<double, 4> fill{};
        for (int64_t j = 0; j < count; ++j) {
            const auto ch = static_cast<size_t>(first + j);
            const auto k = static_cast<size_t>(j);
            a[k] = static_cast<float>(t.brightness);
            b[k] = static_cast<float>(t.brightness * rawScale(ch) * t.channelShift +
                                      (1 - t.brightness) * rawOffset(ch));
            fill[k] = rawScale(ch) * m_options.cval + rawOffset(ch);
        }
        float* planes = sample + first * area;
        const float* warped = scratch + count * area;
        if (moves) {
            warpPlanes(planes, count, height, width, map, m_options.fillMode, fill, scratch,
                       scratch + count * area);
        }
        for (int64_t j = 0; j < count; ++j) {
            float* plane = planes + j * area;
            const float aj = a[static_cast<size_t>(j)], bj = b[static_cast<size_t>(j)];
            if (moves) {
                for (int64_t i = 0; i < area; ++i) {
                    plane[i] = aj * warped[i * count + j] + bj;
                }
            } else if (aj != 1 || bj != 0) {
                for (int64_t i = 0; i < area; ++i) {
                    plane[i] = aj * plane[i] + bj;
                }
            }
        }
    }
}

}  // namespace loom
