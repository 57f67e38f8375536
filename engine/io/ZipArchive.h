#pragma once
// ZipArchive: a read-only ZIP file (PKWARE's APPNOTE), enough for Keras 3's .keras archives:
// the central directory (and its Zip64 form), members stored or deflated (zlib). Every offset
// and size is checked against the file before anything is allocated, and members are checked
// against their CRC-32.

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace loom {

class ZipArchive {
public:
    /// Reads the central directory; IoError when the file is missing or not a readable zip.
    explicit ZipArchive(const std::string& path);

    bool contains(const std::string& name) const { return m_entries.count(name) != 0; }
    std::vector<std::string> names() const;
    /// A member's bytes. IoError when it is missing, larger than maxBytes, encrypted, packed
    /// with a method other than stored or deflate, or corrupt.
    std::string read(const std::string& name, uint64_t maxBytes) const;

private:
    struct Entry {
        uint16_t flags = 0;
        uint16_t method = 0;
        uint32_t crc = 0;
        uint64_t compressedSize = 0;
        uint64_t size = 0;
        uint64_t localHeader = 0;
    };

    [[noreturn]] void fail(const std::string& what) const;
    /// Exactly `size` bytes at `offset`, which must lie inside the file.
    std::string readAt(uint64_t offset, uint64_t size) const;
    void readDirectory();
    /// The Zip64 extra field's 64-bit sizes and offset, for those whose 32-bit slot overflowed.
    void readZip64Sizes(const std::string& extra, Entry& entry) const;
    uint64_t dataOffset(const std::string& name, const Entry& entry) const;
    std::string inflateMember(const std::string& name, const std::string& packed,
                              uint64_t size) const;

    std::string m_path;
    mutable std::ifstream m_file;
    uint64_t m_size = 0;
    std::map<std::string, Entry> m_entries;
};

}  // namespace loom
