#include <loom/Error.h>
#include <loom/ImageHeader.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

namespace loom {

namespace {

// JPEG puts its frame header after any number of metadata segments (EXIF, ICC profiles,
// thumbnails: a few hundred KB at most in real files); the scan for it stops here, so a file
// of filler bytes is not read to its end one marker at a time.
constexpr uint64_t kMaxJpegScan = 16u << 20;

// The bytes of a file at given offsets; a file that ends too soon has a truncated header.
class HeaderBytes {
public:
    explicit HeaderBytes(const std::string& path) : m_in(path, std::ios::binary) {
        if (!m_in) {
            throw DataError("cannot open the file");
        }
    }

    std::vector<unsigned char> at(uint64_t offset, size_t count) {
        std::vector<unsigned char> bytes(count);
        m_in.clear();
        m_in.seekg(static_cast<std::streamoff>(offset));
        m_in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
        if (m_in.gcount() != static_cast<std::streamsize>(count)) {
            throw DataError("the file ends inside its image header (truncated or not an image)");
        }
        return bytes;
    }

    std::istream& stream() { return m_in; }

private:
    std::ifstream m_in;
};

uint32_t be16(const unsigned char* p) {
    return (uint32_t{p[0]} << 8) | p[1];
}
uint32_t be32(const unsigned char* p) {
    return (be16(p) << 16) | be16(p + 2);
}
uint32_t le16(const unsigned char* p) {
    return (uint32_t{p[1]} << 8) | p[0];
}
uint32_t le24(const unsigned char* p) {
    return (uint32_t{p[2]} << 16) | le16(p);
}
uint32_t le32(const unsigned char* p) {
    return (uint32_t{p[3]} << 24) | le24(p);
}

bool startsWith(const std::vector<unsigned char>& bytes, const char* magic, size_t offset = 0) {
    const size_t n = std::strlen(magic);
    return bytes.size() >= offset + n && std::memcmp(bytes.data() + offset, magic, n) == 0;
}

ImageHeader png(HeaderBytes& file) {
    // The first chunk is IHDR: length, "IHDR", width, height (big-endian).
    const auto b = file.at(8, 16);
    if (!startsWith(b, "IHDR", 4)) {
        throw DataError("a PNG file whose first chunk is not IHDR (corrupt)");
    }
    return {"PNG", be32(b.data() + 8), be32(b.data() + 12)};
}

// SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
bool isFrameHeader(unsigned char marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

ImageHeader jpeg(HeaderBytes& file) {
    for (uint64_t at = 2; at < kMaxJpegScan;) {
        const auto m = file.at(at, 2);
        if (m[0] != 0xFF) {
            throw DataError("a JPEG file with a broken marker (corrupt)");
        }
        if (m[1] == 0xFF) {  // a fill byte before the marker
            ++at;
        } else if (m[1] == 0x01 || (m[1] >= 0xD0 && m[1] <= 0xD7)) {  // markers without length
            at += 2;
        } else if (isFrameHeader(m[1])) {
            // Marker, length, precision, height, width.
            const auto size = file.at(at + 5, 4);
            return {"JPEG", be16(size.data() + 2), be16(size.data())};
        } else if (m[1] == 0xD9 || m[1] == 0xDA) {
            throw DataError("a JPEG file whose image data comes before its frame header (corrupt)");
        } else {
            at += 2 + be16(file.at(at + 2, 2).data());
        }
    }
    throw DataError("a JPEG file with no frame header in its first 16 MB (corrupt)");
}

ImageHeader bmp(HeaderBytes& file) {
    const auto b = file.at(14, 12);
    if (le32(b.data()) == 12) {  // OS/2's BITMAPCOREHEADER: 16-bit sizes
        return {"BMP", le16(b.data() + 4), le16(b.data() + 6)};
    }
    const auto width = static_cast<int32_t>(le32(b.data() + 4));
    const auto height = static_cast<int32_t>(le32(b.data() + 8));  // negative: top-down rows
    if (width < 0) {
        throw DataError("a BMP file with a negative width (corrupt)");
    }
    return {"BMP", width, height < 0 ? -int64_t{height} : height};
}

ImageHeader webp(HeaderBytes& file) {
    const auto b = file.at(12, 18);
    if (startsWith(b, "VP8X")) {  // extended: canvas size - 1, 24 bits each
        return {"WebP", int64_t{le24(b.data() + 12)} + 1, int64_t{le24(b.data() + 15)} + 1};
    }
    if (startsWith(b, "VP8L")) {  // lossless: signature byte, then 14 bits each of size - 1
        const uint32_t bits = le32(b.data() + 9);
        return {"WebP", int64_t{bits & 0x3FFF} + 1, int64_t{(bits >> 14) & 0x3FFF} + 1};
    }
    if (startsWith(b, "VP8 ")) {  // lossy: frame tag, start code, 14 bits each
        return {"WebP", le16(b.data() + 14) & 0x3FFF, le16(b.data() + 16) & 0x3FFF};
    }
    throw DataError("a WebP file of an unknown kind (not VP8, VP8L or VP8X)");
}

// PNM's header is text: magic, then width and height as decimal numbers, with whitespace and
// '#' comments between them.
int64_t pnmNumber(std::istream& in) {
    int c = in.get();
    while (c == '#' || std::isspace(c)) {
        if (c == '#') {
            in.ignore(1 << 20, '\n');
        }
        c = in.get();
    }
    int64_t value = 0;
    int digits = 0;
    for (; std::isdigit(c) && digits < 10; c = in.get(), ++digits) {
        value = value * 10 + (c - '0');
    }
    if (digits == 0 || std::isdigit(c)) {
        throw DataError("a PNM file without a readable size in its header (corrupt)");
    }
    return value;
}

ImageHeader pnm(HeaderBytes& file) {
    file.at(0, 2);
    std::istream& in = file.stream();
    const int64_t width = pnmNumber(in);
    return {"PNM", width, pnmNumber(in)};
}

// TIFF: the first image's ImageWidth (256) and ImageLength (257) entries in its first IFD.
ImageHeader tiff(HeaderBytes& file, bool littleEndian) {
    auto u16 = [&](const unsigned char* p) { return littleEndian ? le16(p) : be16(p); };
    auto u32 = [&](const unsigned char* p) { return littleEndian ? le32(p) : be32(p); };
    const uint32_t ifd = u32(file.at(4, 4).data());
    const uint32_t entries = u16(file.at(ifd, 2).data());
    const auto table = file.at(uint64_t{ifd} + 2, size_t{entries} * 12);
    ImageHeader header{"TIFF", -1, -1};
    for (uint32_t i = 0; i < entries; ++i) {
        const unsigned char* e = table.data() + size_t{i} * 12;
        const uint32_t tag = u16(e), type = u16(e + 2);
        const int64_t value = type == 3 ? u16(e + 8) : u32(e + 8);  // SHORT or LONG
        if (tag == 256) {
            header.width = value;
        } else if (tag == 257) {
            header.height = value;
        }
    }
    if (header.width < 0 || header.height < 0) {
        throw DataError("a TIFF file without its image size (corrupt)");
    }
    return header;
}

std::string megapixels(double pixels) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.1f megapixels", pixels / 1e6);
    return text.data();
}

// width x height > budget, without overflowing for sizes up to 2^32 x 2^32.
bool above(int64_t width, int64_t height, int64_t budget) {
    return width > 0 && height > 0 && width > budget / height;
}

}  // namespace

ImageHeader readImageHeader(const std::string& path) {
    HeaderBytes file(path);
    const auto magic = file.at(0, 12);
    if (startsWith(magic, "\x89PNG\r\n\x1a\n")) {
        return png(file);
    }
    if (magic[0] == 0xFF && magic[1] == 0xD8) {
        return jpeg(file);
    }
    if (startsWith(magic, "BM")) {
        return bmp(file);
    }
    if (startsWith(magic, "GIF87a") || startsWith(magic, "GIF89a")) {
        return {"GIF", le16(magic.data() + 6), le16(magic.data() + 8)};
    }
    if (startsWith(magic, "RIFF") && startsWith(magic, "WEBP", 8)) {
        return webp(file);
    }
    if (magic[0] == 'P' && std::string_view("123456fF").find(char(magic[1])) != std::string::npos) {
        return pnm(file);
    }
    // Classic TIFF ("II*\0" little-endian, "MM\0*" big-endian); BigTIFF (43 for 42) is not read.
    const bool intel = startsWith(magic, "II*") && magic[3] == 0;
    const bool motorola = startsWith(magic, "MM") && magic[2] == 0 && magic[3] == '*';
    if (intel || motorola) {
        return tiff(file, intel);
    }
    throw DataError(
        "not an image whose size Loom can check before decoding it (PNG, JPEG, BMP, GIF, WebP, "
        "PNM or TIFF)");
}

int imageReduction(const ImageHeader& h, const ImageLimits& limits) {
    const bool jpeg = std::strcmp(h.format, "JPEG") == 0;
    const int largest = jpeg && limits.reduceLarge ? 8 : 1;
    for (int scale = 1; scale <= largest; scale *= 2) {
        // libjpeg rounds a scaled size up.
        if (!above((h.width + scale - 1) / scale, (h.height + scale - 1) / scale,
                   limits.maxPixels)) {
            return scale;
        }
    }
    const double pixels = static_cast<double>(h.width) * static_cast<double>(h.height);
    throw DataError(std::string(h.format) + " image of " + std::to_string(h.width) + "x" +
                    std::to_string(h.height) + " pixels (" + megapixels(pixels) +
                    ") is above the limit of " + megapixels(static_cast<double>(limits.maxPixels)) +
                    " per image" + (largest > 1 ? " even at 1/8 of its size" : "") +
                    "; make it smaller" +
                    (limits.setting.empty() ? "" : " or raise " + limits.setting));
}

}  // namespace loom
