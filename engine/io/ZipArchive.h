#pragma once
// ZipArchive: a read-only ZIP file, enough for Keras 3's .keras archives, read through libzip
// (which OSS-Fuzz fuzzes upstream) with its stricter consistency checks on. Loom adds what a
// hostile archive needs on top: a member is read only up to a size the caller allows, and its
// buffer grows with the bytes actually unpacked rather than with the size the directory claims.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct zip;

namespace loom {

class ZipArchive {
public:
    /// Reads the central directory; IoError when the file is missing or not a readable zip.
    explicit ZipArchive(const std::string& path);
    ~ZipArchive();
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    bool contains(const std::string& name) const;
    std::vector<std::string> names() const;
    /// A member's bytes. IoError when it is missing, larger than maxBytes, encrypted, packed
    /// with a method libzip does not read, or corrupt.
    std::string read(const std::string& name, uint64_t maxBytes) const;

private:
    struct Closer {
        void operator()(zip* archive) const;
    };

    [[noreturn]] void fail(const std::string& what) const;
    /// Fails for libzip error `code` met while reading `member` (all but a CRC in fuzzing).
    void failRead(const std::string& member, int code) const;

    std::string m_path;
    uint64_t m_fileSize = 0;
    std::unique_ptr<zip, Closer> m_archive;
};

}  // namespace loom
