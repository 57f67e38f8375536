#pragma once
/// Hdf5File: the one place Loom talks to the HDF5 C library. Project files, weights files and
/// Keras models are all read through it, so every size and type check lives here once: a read
/// never allocates more than the file's own bytes justify, names are confined to what the file
/// holds, and every failure is an IoError naming the file and the object inside it.

#include <loom/Tensor.h>

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace loom::h5 {

/// Closes an HDF5 identifier when it goes out of scope.
class Handle {
public:
    Handle() = default;
    Handle(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
    ~Handle() { reset(); }
    Handle(Handle&& other) noexcept : m_id(other.m_id), m_close(other.m_close) { other.m_id = -1; }
    Handle& operator=(Handle&& other) noexcept;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t get() const { return m_id; }
    bool valid() const { return m_id >= 0; }

private:
    void reset();

    hid_t m_id = -1;
    herr_t (*m_close)(hid_t) = nullptr;
};

/// An open HDF5 file. Object paths are absolute ("/model_weights/dense_1/kernel:0").
class File {
public:
    /// Opens an existing file read-only; IoError when it is missing or not HDF5.
    static File openForReading(const std::string& path);
    /// Opens an HDF5 file held in memory (a .keras archive's model.weights.h5) read-only; HDF5
    /// keeps its own copy of the bytes. name is what messages call it.
    static File openImage(const std::string& bytes, const std::string& name);
    /// Creates (truncates) a file for writing, with the 1.8 object format so that attributes
    /// larger than 64 KiB (a big model's JSON) are allowed.
    static File create(const std::string& path);

    const std::string& path() const { return m_path; }
    hid_t id() const { return m_file.get(); }

    // ---- reading --------------------------------------------------------------------------
    /// Whether every component of objectPath exists (never throws for a missing one; IoError
    /// for a soft or external link, or an object whose header HDF5 cannot load safely).
    bool exists(const std::string& objectPath) const;
    bool isGroup(const std::string& objectPath) const;
    bool isDataset(const std::string& objectPath) const;
    /// The names of a group's direct members, sorted by name.
    std::vector<std::string> children(const std::string& groupPath) const;
    /// Identifies the object a path leads to: paths that are hard links to one object give the
    /// same key, so a reader can refuse to read one dataset many times over.
    std::string objectKey(const std::string& objectPath) const;

    bool hasAttribute(const std::string& objectPath, const std::string& name) const;
    /// A string attribute: fixed-length (NUL-terminated, NUL- or space-padded) or
    /// variable-length, ASCII or UTF-8, scalar or a one-element array; the padding removed.
    std::string stringAttribute(const std::string& objectPath, const std::string& name) const;
    /// A one-dimensional array of strings in any of those encodings, e.g. Keras' weight_names.
    std::vector<std::string> stringListAttribute(const std::string& objectPath,
                                                 const std::string& name) const;
    int64_t integerAttribute(const std::string& objectPath, const std::string& name) const;

    Shape datasetShape(const std::string& datasetPath) const;
    /// A floating-point dataset converted to dtype. The stored bytes must justify the shape.
    Tensor readTensor(const std::string& datasetPath, DType dtype = DType::F32) const;
    /// A string dataset (one string in any of the attributes' encodings, scalar or a
    /// one-element array; or a 1-D uint8 array of the bytes).
    std::string readString(const std::string& datasetPath) const;

    // ---- writing --------------------------------------------------------------------------
    /// Creates a group and any missing parents.
    void createGroup(const std::string& groupPath);
    /// A fixed-length, NUL-padded string attribute, as h5py writes Python bytes.
    void writeStringAttribute(const std::string& objectPath, const std::string& name,
                              const std::string& value);
    /// A 1-D array of fixed-length strings, as h5py writes a NumPy array of bytes.
    void writeStringListAttribute(const std::string& objectPath, const std::string& name,
                                  const std::vector<std::string>& values);
    void writeIntegerAttribute(const std::string& objectPath, const std::string& name,
                               int64_t value);
    /// An empty float64 array, which is how h5py stores an empty Python list (Keras' weight_names
    /// of a layer without weights).
    void writeEmptyListAttribute(const std::string& objectPath, const std::string& name);
    /// A dataset of the tensor's values, stored as float32 or float64 (little-endian).
    void writeTensor(const std::string& datasetPath, const Tensor& value,
                     DType stored = DType::F32);
    /// A scalar int64 dataset (an optimizer's step count).
    void writeInteger(const std::string& datasetPath, int64_t value);
    /// A scalar fixed-length string dataset, as h5py writes a Python bytes value.
    void writeString(const std::string& datasetPath, const std::string& value);
    /// A 1-D uint8 dataset of the string's bytes (checksummed when checksums are on).
    void writeBytes(const std::string& datasetPath, const std::string& value);
    /// From now on, datasets are written chunked with a Fletcher-32 checksum, so that a flipped
    /// bit in the data is a read error instead of a silently wrong weight.
    void enableChecksums() { m_checksums = true; }
    /// Flushes everything to the operating system; IoError when that fails.
    void flush();

private:
    File(std::string path, Handle file, std::shared_ptr<const std::string> image = nullptr)
        : m_path(std::move(path)), m_file(std::move(file)), m_image(std::move(image)) {}

    [[noreturn]] void fail(const std::string& objectPath, const std::string& what) const;
    Handle openObject(const std::string& objectPath) const;
    Handle openAttribute(const std::string& objectPath, const std::string& name) const;
    /// IoError when the link is not a hard link, or HDF5 cannot safely load the object it
    /// leads to (see objectHeaderProblem in Hdf5VlenCheck.h).
    void checkLinkTarget(const std::string& linkPath) const;
    /// IoError when HDF5 cannot safely look through the object's attributes (see
    /// attributeHeaderProblem in Hdf5VlenCheck.h).
    void checkAttributeHeader(const std::string& objectPath) const;
    Handle openDataset(const std::string& datasetPath) const;
    std::vector<hsize_t> simpleDims(hid_t space, const std::string& where) const;
    /// The bytes a dataset's storage takes in the file; IoError when that is more than the
    /// whole file, or the data lies in other datasets or files (virtual or external storage).
    uint64_t checkedStorage(hid_t set, const std::string& datasetPath) const;

    Handle datasetCreation(const std::vector<hsize_t>& dims, size_t elementSize) const;
    Handle createDataset(const std::string& datasetPath, hid_t fileType,
                         const std::vector<hsize_t>& dims, size_t elementSize);

    std::string m_path;
    Handle m_file;
    /// The bytes of a file opened from memory, for the checks that read a file's bytes
    /// directly (Hdf5VlenCheck.h).
    std::shared_ptr<const std::string> m_image;
    /// Object headers that passed checkLinkTarget.
    mutable std::set<uint64_t> m_loadableHeaders;
    /// Object headers whose attribute messages passed checkAttributeHeader.
    mutable std::set<uint64_t> m_checkedHeaders;
    bool m_checksums = false;
    /// Whether the checks that read the file's bytes run: for a file opened for reading, not
    /// one being written, whose bytes on disk lag behind HDF5's cache.
    bool m_checkBytes = false;
};

/// Joins an HDF5 group path and a member name ("/" + "dense" -> "/dense").
std::string join(const std::string& group, const std::string& name);

/// HDF5 prints its own error stack to stderr by default; Loom reports errors itself.
void silenceErrors();

}  // namespace loom::h5
