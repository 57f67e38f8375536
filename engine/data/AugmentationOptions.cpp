// The data section's "augmentation" object: read with messages that name the key, say what it
// must be and quote what it was.

#include <loom/Augmentation.h>
#include <loom/Error.h>
#include <loom/Json.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <tuple>

namespace loom {

namespace {

constexpr std::array<std::string_view, 13> kKeys = {"horizontal_flip",
                                                    "vertical_flip",
                                                    "rotation_range",
                                                    "width_shift_range",
                                                    "height_shift_range",
                                                    "zoom_range",
                                                    "shear_range",
                                                    "brightness_range",
                                                    "channel_shift_range",
                                                    "fill_mode",
                                                    "cval",
                                                    "random_crop",
                                                    "seed"};

constexpr std::array<std::pair<std::string_view, FillMode>, 4> kFillModes = {
    {{"nearest", FillMode::Nearest},
     {"reflect", FillMode::Reflect},
     {"constant", FillMode::Constant},
     {"wrap", FillMode::Wrap}}};

[[noreturn]] void fail(const std::string& key, const std::string& what,
                       const nlohmann::json& value) {
    throw DataError("the data section's augmentation." + key + " must be " + what + ", not " +
                    jsonExcerpt(value));
}

bool flag(const nlohmann::json& section, const char* key) {
    const nlohmann::json& value = section.at(key);
    if (!value.is_boolean()) {
        fail(key, "true or false", value);
    }
    return value.get<bool>();
}

// A number in [low, high] (high included unless `highOpen`).
double number(const nlohmann::json& value, const std::string& key, const std::string& what,
              double low, double high, bool highOpen = false) {
    if (!value.is_number()) {
        fail(key, what, value);
    }
    const double v = value.get<double>();
    if (!(v >= low && (highOpen ? v < high : v <= high))) {
        fail(key, what, value);
    }
    return v;
}

// [low, high] with low <= high, each in [min, max].
std::pair<double, double> interval(const nlohmann::json& value, const std::string& key,
                                   const std::string& what, double min, double max) {
    if (!value.is_array() || value.size() != 2 || !value[0].is_number() || !value[1].is_number()) {
        fail(key, what, value);
    }
    const double low = value[0].get<double>(), high = value[1].get<double>();
    if (!(low >= min && low <= high && high <= max)) {
        fail(key, what, value);
    }
    return {low, high};
}

std::pair<double, double> zoomRange(const nlohmann::json& value) {
    const std::string what =
        "a number z in [0, 1) for scales in [1 - z, 1 + z], or [low, high] with 0 < low <= high";
    if (value.is_number()) {
        const double z = number(value, "zoom_range", what, 0, 1, true);
        return {1 - z, 1 + z};
    }
    const auto range = interval(value, "zoom_range", what, 0, 1e6);
    if (range.first <= 0) {
        fail("zoom_range", what, value);
    }
    return range;
}

FillMode fillMode(const nlohmann::json& value) {
    for (const auto& [name, mode] : kFillModes) {
        if (value.is_string() && value.get<std::string>() == name) {
            return mode;
        }
    }
    fail("fill_mode", "\"nearest\", \"reflect\", \"constant\" or \"wrap\"", value);
}

void rejectUnknownKeys(const nlohmann::json& section) {
    for (const auto& [key, value] : section.items()) {
        if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
            std::string known;
            for (std::string_view k : kKeys) {
                known += (known.empty() ? "" : ", ") + std::string(k);
            }
            throw DataError("the data section's augmentation has no setting '" + key +
                            "'; the known ones are " + known);
        }
    }
}

void readGeometry(const nlohmann::json& s, AugmentationOptions& o) {
    if (s.contains("rotation_range")) {
        o.rotationRange = number(s["rotation_range"], "rotation_range",
                                 "a number of degrees between 0 and 180", 0, 180);
    }
    const std::string shift = "a number >= 0 (a fraction of the size below 1, pixels from 1 on)";
    if (s.contains("width_shift_range")) {
        o.widthShiftRange = number(s["width_shift_range"], "width_shift_range", shift, 0, 1e6);
    }
    if (s.contains("height_shift_range")) {
        o.heightShiftRange = number(s["height_shift_range"], "height_shift_range", shift, 0, 1e6);
    }
    if (s.contains("zoom_range")) {
        std::tie(o.zoomLow, o.zoomHigh) = zoomRange(s["zoom_range"]);
    }
    if (s.contains("shear_range")) {
        o.shearRange = number(s["shear_range"], "shear_range",
                              "a number of degrees from 0 up to (not including) 90", 0, 90, true);
    }
    if (s.contains("random_crop")) {
        std::tie(o.cropAreaLow, o.cropAreaHigh) = interval(
            s["random_crop"], "random_crop",
            "[min_area, max_area], shares of the picture's area with 0 < min <= max <= 1", 1e-6, 1);
    }
}

void readIntensity(const nlohmann::json& s, AugmentationOptions& o) {
    if (s.contains("brightness_range")) {
        std::tie(o.brightnessLow, o.brightnessHigh) =
            interval(s["brightness_range"], "brightness_range",
                     "[low, high], factors on the pixel values with 0 <= low <= high", 0, 1e6);
    }
    if (s.contains("channel_shift_range")) {
        o.channelShiftRange = number(s["channel_shift_range"], "channel_shift_range",
                                     "a number >= 0 of pixel units (0..255 scale)", 0, 1e6);
    }
    if (s.contains("fill_mode")) {
        o.fillMode = fillMode(s["fill_mode"]);
    }
    if (s.contains("cval")) {
        o.cval = number(s["cval"], "cval", "a number of pixel units (0..255 scale)", -1e6, 1e6);
    }
}

}  // namespace

bool AugmentationOptions::geometric() const {
    return horizontalFlip || verticalFlip || rotationRange > 0 || widthShiftRange > 0 ||
           heightShiftRange > 0 || zoomLow != 1 || zoomHigh != 1 || shearRange > 0 ||
           cropAreaLow != 1;
}

bool AugmentationOptions::enabled() const {
    return geometric() || brightnessLow != 1 || brightnessHigh != 1 || channelShiftRange > 0;
}

AugmentationOptions AugmentationOptions::fromJson(const nlohmann::json& section) {
    AugmentationOptions o;
    if (section.is_null()) {
        return o;
    }
    if (!section.is_object()) {
        throw DataError(
            "the data section's augmentation must be an object of settings such as "
            "{\"horizontal_flip\": true, \"rotation_range\": 15}, not " +
            jsonExcerpt(section));
    }
    rejectUnknownKeys(section);
    if (section.contains("horizontal_flip")) {
        o.horizontalFlip = flag(section, "horizontal_flip");
    }
    if (section.contains("vertical_flip")) {
        o.verticalFlip = flag(section, "vertical_flip");
    }
    readGeometry(section, o);
    readIntensity(section, o);
    if (section.contains("seed")) {
        if (!section["seed"].is_number_unsigned()) {
            fail("seed", "a whole number >= 0", section["seed"]);
        }
        o.seed = section["seed"].get<uint64_t>();
    }
    return o;
}

nlohmann::json AugmentationOptions::toJson() const {
    const AugmentationOptions d;
    nlohmann::json j = nlohmann::json::object();
    auto put = [&](const char* key, auto value, auto standard) {
        if (value != standard) {
            j[key] = value;
        }
    };
    put("horizontal_flip", horizontalFlip, d.horizontalFlip);
    put("vertical_flip", verticalFlip, d.verticalFlip);
    put("rotation_range", rotationRange, d.rotationRange);
    put("width_shift_range", widthShiftRange, d.widthShiftRange);
    put("height_shift_range", heightShiftRange, d.heightShiftRange);
    put("zoom_range", std::vector{zoomLow, zoomHigh}, std::vector{d.zoomLow, d.zoomHigh});
    put("shear_range", shearRange, d.shearRange);
    put("brightness_range", std::vector{brightnessLow, brightnessHigh},
        std::vector{d.brightnessLow, d.brightnessHigh});
    put("channel_shift_range", channelShiftRange, d.channelShiftRange);
    for (const auto& [name, mode] : kFillModes) {
        if (mode == fillMode && mode != d.fillMode) {
            j["fill_mode"] = std::string(name);
        }
    }
    put("cval", cval, d.cval);
    put("random_crop", std::vector{cropAreaLow, cropAreaHigh},
        std::vector{d.cropAreaLow, d.cropAreaHigh});
    put("seed", seed, d.seed);
    return j;
}

}  // namespace loom
