#pragma once
/// Image files checked before they are decoded. A 400 KB PNG can declare 20000x20000 pixels,
/// 1.2 GB once decoded; the size a file's header declares is read first (a few bytes, no
/// decoding) and held against a pixel budget, so such a file is refused, or decoded at a
/// fraction of its size where the format allows that without a full decode (JPEG).

#include <cstdint>
#include <string>

namespace loom {

/// The size a header declares and the format it was found in ("PNG", "JPEG", ...).
struct ImageHeader {
    const char* format = "";
    int64_t width = 0, height = 0;
};

/// Reads the header of a PNG, JPEG, BMP, GIF, WebP, PNM (PBM, PGM, PPM, PFM) or TIFF file.
/// Other formats (JPEG 2000, OpenEXR, Radiance HDR, Sun raster, PAM, BigTIFF) are not read:
/// their size cannot be checked before decoding, so they are refused. Throws DataError saying
/// why (without the path, which the caller adds).
ImageHeader readImageHeader(const std::string& path);

/// The pixel budget of one image file: 50 megapixels by default (a 48 MP camera photo; 150 MB
/// as decoded 8-bit RGB).
inline constexpr int64_t kDefaultMaxImagePixels = 50'000'000;

struct ImageLimits {
    int64_t maxPixels = kDefaultMaxImagePixels;
    /// A JPEG above the budget is decoded at 1/2, 1/4 or 1/8 of its size (libjpeg scales while
    /// decoding, so the whole picture is never in memory); false refuses it. Other formats
    /// above the budget are always refused: they can only be scaled after a full decode.
    bool reduceLarge = true;
    /// Where a user raises the budget, named in a refusal; empty: nowhere.
    std::string setting = "the data section's max_image_pixels";
};

/// How much to scale a file with this header down while decoding it: 1 (as it is), or 2, 4 or
/// 8 for a JPEG above the budget. Throws DataError (without the path) when the file is above
/// the budget and cannot be decoded reduced below it.
int imageReduction(const ImageHeader& header, const ImageLimits& limits);

}  // namespace loom
