// ZIP reading through libzip. A member's sizes come from the central directory, which
// ZIP_CHECKCONS also compares with each local header; libzip checks the CRC-32 when a member
// has been read to its end.

#include "io/ZipArchive.h"

#include <loom/Error.h>

#include <zip.h>

#include <algorithm>
#include <filesystem>

namespace loom {
namespace {

constexpr zip_uint64_t kReadPiece = zip_uint64_t{1} << 20;

std::string errorText(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    return text;
}

}  // namespace

void ZipArchive::Closer::operator()(zip* archive) const {
    zip_discard(archive);
}

ZipArchive::ZipArchive(const std::string& path) : m_path(path) {
    std::error_code sizeError;
    m_fileSize = std::filesystem::file_size(path, sizeError);
    int code = ZIP_ER_OK;
    m_archive.reset(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
    if (!m_archive) {
        if (code == ZIP_ER_NOENT) {
            fail("no such file");
        }
        fail(code == ZIP_ER_NOZIP ? "is not a zip archive"
                                  : "is not a readable zip archive (" + errorText(code) + ")");
    }
}

ZipArchive::~ZipArchive() = default;

void ZipArchive::fail(const std::string& what) const {
    throw IoError(m_path + ": " + what);
}

void ZipArchive::failRead(const std::string& member, int code) const {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    // A fuzzing build (LOOM_FUZZ) takes a member whose CRC-32 fails, so that changed bytes in
    // config.json and model.weights.h5 reach the readers behind this one.
    if (code == ZIP_ER_CRC) {
        return;
    }
#endif
    fail(member + "is corrupt (" +
         (code == ZIP_ER_CRC ? std::string("its CRC-32 does not match") : errorText(code)) + ")");
}

bool ZipArchive::contains(const std::string& name) const {
    return zip_name_locate(m_archive.get(), name.c_str(), ZIP_FL_ENC_RAW) >= 0;
}

std::vector<std::string> ZipArchive::names() const {
    std::vector<std::string> all;
    const zip_int64_t count = zip_get_num_entries(m_archive.get(), 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        if (const char* name =
                zip_get_name(m_archive.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW)) {
            all.emplace_back(name);
        }
    }
    std::sort(all.begin(), all.end());
    return all;
}

std::string ZipArchive::read(const std::string& name, uint64_t maxBytes) const {
    const std::string member = "member '" + name + "' ";
    const zip_int64_t index = zip_name_locate(m_archive.get(), name.c_str(), ZIP_FL_ENC_RAW);
    zip_stat_t stat;
    if (index < 0 ||
        zip_stat_index(m_archive.get(), static_cast<zip_uint64_t>(index), 0, &stat) != 0) {
        fail("has no member '" + name + "'");
    }
    if (stat.encryption_method != ZIP_EM_NONE) {
        fail(member + "is encrypted");
    }
    if (stat.size > maxBytes) {
        fail(member + "claims " + std::to_string(stat.size) + " bytes, more than the " +
             std::to_string(maxBytes) + " allowed");
    }
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(
        zip_fopen_index(m_archive.get(), static_cast<zip_uint64_t>(index), 0), zip_fclose);
    if (!file) {
        fail(member + "cannot be read (" + zip_strerror(m_archive.get()) + ")");
    }
    // The directory's size is only a claim: the buffer starts at what the file's own bytes can
    // back (all of a stored member) and grows with what is really unpacked, one byte past the
    // claim so that a member unpacking to more is caught.
    std::string data(std::min({stat.size, stat.comp_size, m_fileSize}) + 1, '\0');
    size_t filled = 0;
    for (;;) {
        if (filled == data.size()) {
            if (filled > stat.size) {
                fail(member + "unpacks to more than the " + std::to_string(stat.size) +
                     " bytes its directory entry claims");
            }
            data.resize(std::min<uint64_t>(stat.size + 1, data.size() * 2));
        }
        const zip_int64_t got = zip_fread(file.get(), data.data() + filled, data.size() - filled);
        if (got == 0) {
            break;
        }
        if (got < 0) {
            failRead(member, zip_error_code_zip(zip_file_get_error(file.get())));
            break;
        }
        filled += static_cast<size_t>(got);
    }
    data.resize(filled);
    if (filled != stat.size) {
        fail(member + "is corrupt (it unpacks to " + std::to_string(filled) + " of the " +
             std::to_string(stat.size) + " bytes its directory entry claims)");
    }
    return data;
}

}  // namespace loom
