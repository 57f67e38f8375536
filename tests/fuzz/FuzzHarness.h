#pragma once
// The part of every Loom fuzz target that is not the reader: each input is written to a file
// (HDF5 and the zip reader read files, not memory) in a scratch folder of this process, read,
// and judged. An IoError naming the file is the clean rejection the readers promise; any other
// exception escaping, an HDF5 identifier left open, a crash or a sanitizer report is a finding.

#include "FuzzReaders.h"

#include <hdf5.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>

namespace loom::fuzz {

/// A folder of this process's own (TMPDIR, /tmp by default), removed when the process ends, so
/// that fuzzers running side by side never read each other's inputs.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "loom-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::perror("loom fuzz: mkdtemp");
            std::abort();
        }
        m_path = pattern;
    }
    ~ScratchFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;

    std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
    std::filesystem::path m_path;
};

/// Writes the input to `name` in the scratch folder; returns its path.
inline std::string writeInput(const uint8_t* data, size_t size, const std::string& name) {
    static ScratchFolder folder;
    const std::string path = folder.file(name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out.flush()) {
        std::fprintf(stderr, "loom fuzz: cannot write %s\n", path.c_str());
        std::abort();
    }
    return path;
}

/// Reads the file with `reader`; aborts (a finding) unless it loads or throws what the readers
/// promise for a bad file, an IoError naming the file, or when it leaves an HDF5 file or object
/// open. An identifier left open would also keep HDF5 serving the previous input's cached file
/// to the next one.
inline void readJudged(Reader reader, const std::string& path) {
    try {
        readWith(reader, path);
    } catch (const IoError& e) {
        if (std::string(e.what()).find(path) == std::string::npos) {
            std::fprintf(stderr, "loom fuzz: the %s reader's IoError does not name the file: %s\n",
                         prefixOf(reader), e.what());
            std::abort();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom fuzz: %s (not an IoError) escaped the %s reader: %s\n",
                     typeid(e).name(), prefixOf(reader), e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "loom fuzz: a non-std::exception escaped the %s reader\n",
                     prefixOf(reader));
        std::abort();
    }
    const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (open != 0) {
        std::fprintf(stderr, "loom fuzz: the %s reader left %zd HDF5 identifiers open\n",
                     prefixOf(reader), open);
        std::abort();
    }
}

}  // namespace loom::fuzz
