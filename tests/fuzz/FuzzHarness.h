#pragma once
// The part of every Loom fuzz target that is not the reader: each input is written to a file
// (HDF5 and the zip reader read files, not memory) in a scratch folder of this process, read,
// and judged. The clean rejection the readers promise is an IoError (a DataError for the data
// readers, see FuzzReaders.h) naming the file; any other exception escaping, an HDF5
// identifier left open, a crash or a sanitizer report is a finding.

#include "FuzzReaders.h"

#include <hdf5.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <typeinfo>

namespace loom::fuzz {

/// Writes the input to `name` in the scratch folder; returns its path.
inline std::string writeInput(const uint8_t* data, size_t size, const std::string& name) {
    const std::string path = scratchFolder().file(name);
    writeBytes(path, std::string_view(reinterpret_cast<const char*>(data), size));
    return path;
}

/// Reads the file with `reader`; aborts (a finding) unless it loads or throws what the reader
/// promises for a bad file, naming the file, or when it leaves an HDF5 file or object open.
/// An identifier left open would also keep HDF5 serving the previous input's cached file to
/// the next one.
inline void readJudged(Reader reader, const std::string& path) {
    try {
        readWith(reader, path);
    } catch (const std::exception& e) {
        if (!isRefusal(reader, e)) {
            std::fprintf(stderr, "loom fuzz: %s (not the reader's %s) escaped the %s reader: %s\n",
                         typeid(e).name(), refusalOf(reader), prefixOf(reader), e.what());
            std::abort();
        }
        if (std::string(e.what()).find(namedFile(reader, path)) == std::string::npos) {
            std::fprintf(stderr, "loom fuzz: the %s reader's %s does not name the file: %s\n",
                         prefixOf(reader), refusalOf(reader), e.what());
            std::abort();
        }
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

/// A fuzz target's whole work for one input: written as `fileName` (the readers that go by
/// the name need its extension), then read by each reader in turn.
inline int judgeInput(const uint8_t* data, size_t size, const std::string& fileName,
                      std::initializer_list<Reader> readers) {
    const std::string path = writeInput(data, size, fileName);
    for (Reader reader : readers) {
        readJudged(reader, path);
    }
    return 0;
}

}  // namespace loom::fuzz
