#include "io/Hdf5File.h"

#include "io/Hdf5VlenCheck.h"

#include <loom/Error.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

namespace loom::h5 {

namespace {

constexpr int kMaxRank = 8;
// Deflate compresses at most about 1032:1; a filtered dataset claiming more is lying.
constexpr uint64_t kMaxCompressionRatio = 1100;
constexpr uint64_t kMaxStringBytes = uint64_t{1} << 30;
constexpr size_t kMaxChildren = 1'000'000;

std::vector<std::string> pathComponents(const std::string& objectPath) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= objectPath.size()) {
        size_t end = objectPath.find('/', start);
        if (end == std::string::npos) {
            end = objectPath.size();
        }
        if (end > start) {
            parts.push_back(objectPath.substr(start, end - start));
        }
        start = end + 1;
    }
    return parts;
}

std::string trimNuls(std::string s) {
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    return s;
}

Handle fixedStringType(size_t size) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), std::max<size_t>(size, 1));
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
    return type;
}

Handle variableStringType() {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    return type;
}

/// The type to read strings stored as `stored` into: NUL-padded fixed-length strings of the
/// same size, or C strings. It keeps the stored character set because HDF5 1.10 converts no
/// string between ASCII and UTF-8: a fixed-length read fails; a variable-length one fails too,
/// unless an earlier read in the process left a conversion path HDF5 then reuses (its cache
/// does not tell the two apart). The bytes are the same, UTF-8 or its ASCII subset, either way.
Handle memoryStringType(hid_t stored) {
    Handle type = H5Tis_variable_str(stored) > 0 ? variableStringType()
                                                 : fixedStringType(H5Tget_size(stored));
    H5Tset_cset(type.get(), H5Tget_cset(stored));
    return type;
}

/// A file's bytes (from disk, or the image when there is one) as the checks in
/// Hdf5VlenCheck.h read them; sizes and base left at their defaults.
RawFile rawBytesOf(const std::string& path, const std::shared_ptr<const std::string>& image) {
    RawFile raw;
    raw.read = [path, image](uint64_t offset, uint64_t size, std::string& bytes) {
        std::error_code error;
        const uint64_t total = image ? image->size() : std::filesystem::file_size(path, error);
        if (error || offset > total || size > total - offset) {
            return false;
        }
        if (image) {
            bytes = image->substr(offset, size);
            return true;
        }
        bytes.assign(size, '\0');
        std::ifstream in(path, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset));
        return static_cast<bool>(in.read(bytes.data(), static_cast<std::streamsize>(size)));
    };
    return raw;
}

/// The bytes of an open file with the address sizes and base HDF5 read from its superblock.
RawFile rawFileOf(hid_t file, const std::string& path,
                  const std::shared_ptr<const std::string>& image) {
    RawFile raw = rawBytesOf(path, image);
    Handle create(H5Fget_create_plist(file), H5Pclose);
    size_t offsetSize = 8, lengthSize = 8;
    hsize_t userBlock = 0;
    H5Pget_sizes(create.get(), &offsetSize, &lengthSize);
    H5Pget_userblock(create.get(), &userBlock);
    raw.offsetSize = static_cast<unsigned>(offsetSize);
    raw.lengthSize = static_cast<unsigned>(lengthSize);
    raw.base = userBlock;
    return raw;
}

/// The address of an object's header, where its attributes are.
bool headerAddressOf(hid_t object, uint64_t& address) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    haddr_t token = 0;
    if (H5Oget_info3(object, &info, H5O_INFO_BASIC) < 0 ||
        H5VLnative_token_to_addr(object, info.token, &token) < 0) {
        return false;
    }
    address = token;
#else
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_BASIC) < 0) {
        return false;
    }
    address = info.addr;
#endif
    return true;
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
    if (this != &other) {
        reset();
        m_id = other.m_id;
        m_close = other.m_close;
        other.m_id = -1;
    }
    return *this;
}

void Handle::reset() {
    if (m_id >= 0 && m_close != nullptr) {
        m_close(m_id);
    }
    m_id = -1;
}

std::string join(const std::string& group, const std::string& name) {
    if (group.empty() || group.back() == '/') {
        return group + name;
    }
    return group + "/" + name;
}

void silenceErrors() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

File File::openForReading(const std::string& path) {
    silenceErrors();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        throw IoError(path + ": no such file");
    }
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        throw IoError(path + ": not an HDF5 file (or its header is corrupt)");
    }
    // H5Fopen loads the root group, trusting the sizes it finds on the way.
    if (std::string problem = rootGroupProblem(rawBytesOf(path, nullptr)); !problem.empty()) {
        throw IoError(path + ": is corrupt (" + problem + ")");
    }
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) {
        throw IoError(path + ": cannot be opened as HDF5 (truncated or corrupt?)");
    }
    File opened(path, std::move(file));
    opened.m_checkBytes = true;
    return opened;
}

File File::openImage(const std::string& bytes, const std::string& name) {
    silenceErrors();
    Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    // The core driver serves the file from memory; without a backing store nothing touches disk.
    if (bytes.empty() || H5Pset_fapl_core(access.get(), 1 << 16, false) < 0 ||
        H5Pset_file_image(access.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0) {
        throw IoError(name + ": not an HDF5 file (empty or unreadable)");
    }
    auto image = std::make_shared<const std::string>(bytes);
    if (std::string problem = rootGroupProblem(rawBytesOf(name, image)); !problem.empty()) {
        throw IoError(name + ": not an HDF5 file, or a corrupt one (" + problem + ")");
    }
    Handle file(H5Fopen(name.c_str(), H5F_ACC_RDONLY, access.get()), H5Fclose);
    if (!file.valid()) {
        throw IoError(name + ": not an HDF5 file (or its header is corrupt)");
    }
    File opened(name, std::move(file), std::move(image));
    opened.m_checkBytes = true;
    return opened;
}

File File::create(const std::string& path) {
    silenceErrors();
    Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V18);
    Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
    if (!file.valid()) {
        throw IoError(path + ": cannot create the file (is the folder writable?)");
    }
    return File(path, std::move(file));
}

void File::fail(const std::string& objectPath, const std::string& what) const {
    throw IoError(m_path + ": '" + objectPath + "' " + what);
}

void File::checkLinkTarget(const std::string& linkPath) const {
    if (!m_checkBytes) {
        return;
    }
    uint64_t address = 0;
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    haddr_t token = 0;
    const bool read =
        H5Lget_info2(id(), linkPath.c_str(), &info, H5P_DEFAULT) >= 0 &&
        (info.type != H5L_TYPE_HARD || H5VLnative_token_to_addr(id(), info.u.token, &token) >= 0);
    address = token;
#else
    H5L_info_t info;
    const bool read = H5Lget_info(id(), linkPath.c_str(), &info, H5P_DEFAULT) >= 0;
    address = info.u.address;
#endif
    if (!read) {
        fail(linkPath, "has an unreadable link (corrupt file?)");
    }
    // A soft link could lead anywhere in the file, an external one to another file.
    if (info.type != H5L_TYPE_HARD) {
        fail(linkPath, "is a soft or external link, which Loom does not follow");
    }
    if (m_loadableHeaders.count(address) != 0) {
        return;
    }
    std::string problem = objectHeaderProblem(rawFileOf(id(), m_path, m_image), address);
    if (!problem.empty()) {
        fail(linkPath, "is corrupt: " + problem);
    }
    m_loadableHeaders.insert(address);
}

bool File::exists(const std::string& objectPath) const {
    std::string prefix;
    for (const std::string& part : pathComponents(objectPath)) {
        prefix += "/" + part;
        if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) {
            return false;
        }
        // Checked before anything below it is reached: HDF5 loads the object's header then.
        checkLinkTarget(prefix);
    }
    return H5Oexists_by_name(id(), objectPath.c_str(), H5P_DEFAULT) > 0;
}

Handle File::openObject(const std::string& objectPath) const {
    if (!exists(objectPath)) {
        fail(objectPath, "is missing");
    }
    Handle object(H5Oopen(id(), objectPath.c_str(), H5P_DEFAULT), H5Oclose);
    if (!object.valid()) {
        fail(objectPath, "cannot be opened (corrupt file?)");
    }
    return object;
}

bool File::isGroup(const std::string& objectPath) const {
    if (!exists(objectPath)) {
        return false;
    }
    Handle object(H5Oopen(id(), objectPath.c_str(), H5P_DEFAULT), H5Oclose);
    return object.valid() && H5Iget_type(object.get()) == H5I_GROUP;
}

bool File::isDataset(const std::string& objectPath) const {
    if (!exists(objectPath)) {
        return false;
    }
    Handle object(H5Oopen(id(), objectPath.c_str(), H5P_DEFAULT), H5Oclose);
    return object.valid() && H5Iget_type(object.get()) == H5I_DATASET;
}

std::vector<std::string> File::children(const std::string& groupPath) const {
    if (!isGroup(groupPath)) {
        fail(groupPath, "is not a group");
    }
    struct Collected {
        std::vector<std::string> names;
    } collected;
    auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        auto& names = static_cast<Collected*>(data)->names;
        if (names.size() >= kMaxChildren) {
            return -1;
        }
        names.emplace_back(name);
        return 0;
    };
    hsize_t index = 0;
    if (H5Literate_by_name(id(), groupPath.c_str(), H5_INDEX_NAME, H5_ITER_INC, &index, visit,
                           &collected, H5P_DEFAULT) < 0) {
        fail(groupPath, "has an unreadable member list (corrupt file?)");
    }
    return collected.names;
}

std::string File::objectKey(const std::string& objectPath) const {
    Handle object = openObject(objectPath);
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(object.get(), &info, H5O_INFO_BASIC) < 0) {
        fail(objectPath, "has an unreadable header (corrupt file?)");
    }
    return std::string(reinterpret_cast<const char*>(&info.token), sizeof info.token);
#else
    H5O_info_t info;
    if (H5Oget_info2(object.get(), &info, H5O_INFO_BASIC) < 0) {
        fail(objectPath, "has an unreadable header (corrupt file?)");
    }
    return std::to_string(info.addr);
#endif
}

void File::checkAttributeHeader(const std::string& objectPath) const {
    if (!m_checkBytes) {
        return;
    }
    Handle object = openObject(objectPath);
    uint64_t header = 0;
    if (!headerAddressOf(object.get(), header)) {
        fail(objectPath, "has an unreadable header (corrupt file?)");
    }
    if (m_checkedHeaders.count(header) != 0) {
        return;
    }
    std::string problem = attributeHeaderProblem(rawFileOf(id(), m_path, m_image), header);
    if (!problem.empty()) {
        fail(objectPath, "is corrupt: " + problem);
    }
    m_checkedHeaders.insert(header);
}

bool File::hasAttribute(const std::string& objectPath, const std::string& name) const {
    if (!exists(objectPath)) {
        return false;
    }
    // H5Aexists_by_name decodes every attribute message of the object on its way.
    checkAttributeHeader(objectPath);
    return H5Aexists_by_name(id(), objectPath.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

Handle File::openAttribute(const std::string& objectPath, const std::string& name) const {
    if (!hasAttribute(objectPath, name)) {
        fail(objectPath, "has no attribute '" + name + "'");
    }
    Handle attribute(
        H5Aopen_by_name(id(), objectPath.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
        H5Aclose);
    if (!attribute.valid()) {
        fail(objectPath, "attribute '" + name + "' cannot be opened (corrupt file?)");
    }
    return attribute;
}

std::vector<hsize_t> File::simpleDims(hid_t space, const std::string& where) const {
    H5S_class_t kind = H5Sget_simple_extent_type(space);
    if (kind == H5S_SCALAR) {
        return {};
    }
    if (kind == H5S_NULL) {
        return {0};
    }
    int rank = H5Sget_simple_extent_ndims(space);
    if (kind != H5S_SIMPLE || rank < 0 || rank > kMaxRank) {
        fail(where, "has an unsupported or corrupt shape");
    }
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) {
        fail(where, "has a corrupt shape");
    }
    return dims;
}

namespace {

// The number of elements, or max() on overflow.
uint64_t elementCount(const std::vector<hsize_t>& dims) {
    uint64_t count = 1;
    for (hsize_t d : dims) {
        if (d != 0 && count > std::numeric_limits<uint64_t>::max() / d) {
            return std::numeric_limits<uint64_t>::max();
        }
        count *= d;
    }
    return count;
}

// Reads n strings of a string-typed attribute or dataset; `read` fills a buffer of memType.
// `fail` throws with what is wrong.
template <typename Read>
std::vector<std::string> readStrings(hid_t fileType, uint64_t count, uint64_t storedBytes,
                                     const Read& read,
                                     const std::function<void(const std::string&)>& fail) {
    const std::string tooLarge = "is corrupt or larger than the file";
    const std::string unreadable = "cannot be read (corrupt file?)";
    Handle memType = memoryStringType(fileType);
    std::vector<std::string> values;
    if (H5Tis_variable_str(fileType) > 0) {
        // Each variable-length reference takes at least 16 bytes of the object header.
        if (count > storedBytes / 8 + 1) {
            fail(tooLarge);
        }
        std::vector<char*> pointers(count, nullptr);
        if (read(memType.get(), pointers.data()) < 0) {
            fail(unreadable);
        }
        for (char* p : pointers) {
            values.emplace_back(p == nullptr ? "" : p);
            std::free(p);
        }
        return values;
    }
    size_t size = H5Tget_size(fileType);
    if (size == 0 || count > kMaxStringBytes || count * size > storedBytes ||
        count * size > kMaxStringBytes) {
        fail(tooLarge);
    }
    std::vector<char> buffer(count * size);
    if (read(memType.get(), buffer.data()) < 0) {
        fail(unreadable);
    }
    for (uint64_t i = 0; i < count; ++i) {
        values.push_back(trimNuls(std::string(buffer.data() + i * size, size)));
    }
    return values;
}

}  // namespace

std::vector<std::string> File::stringListAttribute(const std::string& objectPath,
                                                   const std::string& name) const {
    const std::string where = objectPath + "' attribute '" + name;
    Handle attribute = openAttribute(objectPath, name);
    Handle space(H5Aget_space(attribute.get()), H5Sclose);
    std::vector<hsize_t> dims = simpleDims(space.get(), where);
    if (dims.size() > 1) {
        fail(where, "is not a list of strings");
    }
    uint64_t count = dims.empty() ? 1 : dims[0];
    if (count == 0) {
        return {};  // Keras writes an empty float array when a layer has no weights
    }
    Handle type(H5Aget_type(attribute.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING) {
        fail(where, "is not a string");
    }
    if (H5Tis_variable_str(type.get()) > 0) {
        Handle object = openObject(objectPath);
        uint64_t header = 0;
        std::string problem =
            headerAddressOf(object.get(), header)
                ? vlenAttributeProblem(rawFileOf(id(), m_path, m_image), header, name, count)
                : "its object header cannot be found";
        if (!problem.empty()) {
            fail(where, "is corrupt or unsupported: " + problem);
        }
    }
    auto read = [&](hid_t memType, void* buffer) {
        return H5Aread(attribute.get(), memType, buffer);
    };
    return readStrings(type.get(), count, H5Aget_storage_size(attribute.get()), read,
                       [&](const std::string& what) { fail(where, what); });
}

std::string File::stringAttribute(const std::string& objectPath, const std::string& name) const {
    std::vector<std::string> values = stringListAttribute(objectPath, name);
    if (values.size() != 1) {
        fail(objectPath + "' attribute '" + name, "is not a single string");
    }
    return values[0];
}

int64_t File::integerAttribute(const std::string& objectPath, const std::string& name) const {
    const std::string where = objectPath + "' attribute '" + name;
    Handle attribute = openAttribute(objectPath, name);
    Handle type(H5Aget_type(attribute.get()), H5Tclose);
    Handle space(H5Aget_space(attribute.get()), H5Sclose);
    if (H5Tget_class(type.get()) != H5T_INTEGER ||
        elementCount(simpleDims(space.get(), where)) != 1) {
        fail(where, "is not an integer");
    }
    int64_t value = 0;
    if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) < 0) {
        fail(where, "cannot be read");
    }
    return value;
}

Handle File::openDataset(const std::string& datasetPath) const {
    if (!isDataset(datasetPath)) {
        fail(datasetPath, exists(datasetPath) ? "is not a dataset" : "is missing");
    }
    Handle set(H5Dopen2(id(), datasetPath.c_str(), H5P_DEFAULT), H5Dclose);
    if (!set.valid()) {
        fail(datasetPath, "cannot be opened (corrupt file?)");
    }
    return set;
}

Shape File::datasetShape(const std::string& datasetPath) const {
    Handle set = openDataset(datasetPath);
    Handle space(H5Dget_space(set.get()), H5Sclose);
    std::vector<hsize_t> dims = simpleDims(space.get(), datasetPath);
    return Shape(std::vector<int64_t>(dims.begin(), dims.end()));
}

uint64_t File::checkedStorage(hid_t set, const std::string& datasetPath) const {
    Handle create(H5Dget_create_plist(set), H5Pclose);
    if (H5Pget_layout(create.get()) == H5D_VIRTUAL || H5Pget_external_count(create.get()) != 0) {
        fail(datasetPath, "keeps its data in other datasets or files, which Loom does not read");
    }
    // HDF5 reads a chunk through a buffer of the size the chunk index records, before it
    // checks that the file holds that many bytes.
    const uint64_t stored = H5Dget_storage_size(set);
    std::error_code error;
    const uint64_t fileBytes =
        m_image ? m_image->size() : std::filesystem::file_size(m_path, error);
    if (error || stored > fileBytes) {
        fail(datasetPath, "claims " + std::to_string(stored) +
                              " stored bytes, more than the whole file (corrupt?)");
    }
    return stored;
}

Tensor File::readTensor(const std::string& datasetPath, DType dtype) const {
    Handle set = openDataset(datasetPath);
    Handle type(H5Dget_type(set.get()), H5Tclose);
    H5T_class_t typeClass = H5Tget_class(type.get());
    if (typeClass != H5T_FLOAT && typeClass != H5T_INTEGER) {
        fail(datasetPath, "is not numeric");
    }
    Handle space(H5Dget_space(set.get()), H5Sclose);
    std::vector<hsize_t> dims = simpleDims(space.get(), datasetPath);
    uint64_t count = elementCount(dims);
    uint64_t storedSize = H5Tget_size(type.get());
    if (count > (uint64_t{1} << 40) / std::max<uint64_t>(storedSize, 1)) {
        fail(datasetPath, "claims an absurd size");
    }
    uint64_t needed = count * storedSize;
    Handle create(H5Dget_create_plist(set.get()), H5Pclose);
    bool filtered = H5Pget_nfilters(create.get()) > 0;
    uint64_t stored = checkedStorage(set.get(), datasetPath);
    if (needed > 0 &&
        (stored == 0 || (filtered ? needed > stored * kMaxCompressionRatio : needed > stored))) {
        fail(datasetPath, "claims " + std::to_string(needed) + " bytes but the file holds " +
                              std::to_string(stored) + " (truncated or corrupt)");
    }
    Tensor value = Tensor::empty(Shape(std::vector<int64_t>(dims.begin(), dims.end())), dtype);
    hid_t memType = dtype == DType::F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    if (count > 0 && H5Dread(set.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.raw()) < 0) {
        fail(datasetPath, "cannot be read (corrupt file?)");
    }
    return value;
}

std::string File::readString(const std::string& datasetPath) const {
    Handle set = openDataset(datasetPath);
    Handle type(H5Dget_type(set.get()), H5Tclose);
    Handle space(H5Dget_space(set.get()), H5Sclose);
    std::vector<hsize_t> dims = simpleDims(space.get(), datasetPath);
    uint64_t count = elementCount(dims);
    uint64_t stored = checkedStorage(set.get(), datasetPath);
    auto corrupt = [&] { fail(datasetPath, "is corrupt or larger than the file"); };
    if (H5Tget_class(type.get()) == H5T_INTEGER && H5Tget_size(type.get()) == 1 &&
        dims.size() == 1) {
        if (count > stored || count > kMaxStringBytes) {
            corrupt();
        }
        std::string bytes(count, '\0');
        if (count > 0 &&
            H5Dread(set.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0) {
            corrupt();
        }
        return bytes;
    }
    if (H5Tget_class(type.get()) != H5T_STRING || count != 1) {
        fail(datasetPath, "is not a string");
    }
    if (H5Tis_variable_str(type.get()) > 0) {
        const haddr_t offset = H5Dget_offset(set.get());
        uint64_t header = 0;
        std::string problem =
            offset == HADDR_UNDEF || !headerAddressOf(set.get(), header)
                ? "a variable-length string not stored contiguously"
                : vlenDataProblem(rawFileOf(id(), m_path, m_image), header, offset, count);
        if (!problem.empty()) {
            fail(datasetPath, "is corrupt or unsupported: " + problem);
        }
    }
    auto read = [&](hid_t memType, void* buffer) {
        return H5Dread(set.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    };
    return readStrings(type.get(), count, stored, read,
                       [&](const std::string& what) { fail(datasetPath, what); })[0];
}

void File::createGroup(const std::string& groupPath) {
    if (isGroup(groupPath)) {
        return;
    }
    Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(links.get(), 1);
    Handle group(H5Gcreate2(id(), groupPath.c_str(), links.get(), H5P_DEFAULT, H5P_DEFAULT),
                 H5Gclose);
    if (!group.valid()) {
        fail(groupPath, "could not be created");
    }
}

namespace {

void writeAttribute(hid_t file, const std::string& objectPath, const std::string& name,
                    hid_t fileType, hid_t memType, hid_t space, const void* data,
                    const std::function<void()>& fail) {
    if (H5Aexists_by_name(file, objectPath.c_str(), name.c_str(), H5P_DEFAULT) > 0) {
        H5Adelete_by_name(file, objectPath.c_str(), name.c_str(), H5P_DEFAULT);
    }
    Handle attribute(H5Acreate_by_name(file, objectPath.c_str(), name.c_str(), fileType, space,
                                       H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose);
    if (!attribute.valid() || H5Awrite(attribute.get(), memType, data) < 0) {
        fail();
    }
}

}  // namespace

void File::writeStringAttribute(const std::string& objectPath, const std::string& name,
                                const std::string& value) {
    Handle type = fixedStringType(value.size());
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    std::string padded = value.empty() ? std::string(1, '\0') : value;
    writeAttribute(id(), objectPath, name, type.get(), type.get(), space.get(), padded.data(),
                   [&] { fail(objectPath, "attribute '" + name + "' could not be written"); });
}

void File::writeStringListAttribute(const std::string& objectPath, const std::string& name,
                                    const std::vector<std::string>& values) {
    size_t size = 1;
    for (const std::string& v : values) {
        size = std::max(size, v.size());
    }
    std::vector<char> buffer(values.size() * size + 1, '\0');
    for (size_t i = 0; i < values.size(); ++i) {
        std::memcpy(buffer.data() + i * size, values[i].data(), values[i].size());
    }
    Handle type = fixedStringType(size);
    hsize_t count = values.size();
    Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    writeAttribute(id(), objectPath, name, type.get(), type.get(), space.get(), buffer.data(),
                   [&] { fail(objectPath, "attribute '" + name + "' could not be written"); });
}

void File::writeIntegerAttribute(const std::string& objectPath, const std::string& name,
                                 int64_t value) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    writeAttribute(id(), objectPath, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value,
                   [&] { fail(objectPath, "attribute '" + name + "' could not be written"); });
}

void File::writeEmptyListAttribute(const std::string& objectPath, const std::string& name) {
    hsize_t count = 0;
    double unused = 0.0;  // HDF5 wants a buffer even for no elements
    Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    writeAttribute(id(), objectPath, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &unused,
                   [&] { fail(objectPath, "attribute '" + name + "' could not be written"); });
}

Handle File::datasetCreation(const std::vector<hsize_t>& dims, size_t elementSize) const {
    Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    uint64_t count = elementCount(dims);
    if (!m_checksums || dims.empty() || count == 0) {
        return properties;
    }
    // Chunks of at most about 16 MiB (HDF5 allows 4 GiB), split along the first axis.
    constexpr uint64_t kChunkBytes = uint64_t{16} << 20;
    std::vector<hsize_t> chunk = dims;
    uint64_t rowBytes = count / dims[0] * elementSize;
    chunk[0] = std::clamp<hsize_t>(kChunkBytes / std::max<uint64_t>(rowBytes, 1), 1, dims[0]);
    H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_fletcher32(properties.get());
    return properties;
}

Handle File::createDataset(const std::string& datasetPath, hid_t fileType,
                           const std::vector<hsize_t>& dims, size_t elementSize) {
    Handle space(dims.empty()
                     ? H5Screate(H5S_SCALAR)
                     : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(links.get(), 1);
    Handle properties = datasetCreation(dims, elementSize);
    Handle set(H5Dcreate2(id(), datasetPath.c_str(), fileType, space.get(), links.get(),
                          properties.get(), H5P_DEFAULT),
               H5Dclose);
    if (!set.valid()) {
        fail(datasetPath, "could not be created");
    }
    return set;
}

void File::writeTensor(const std::string& datasetPath, const Tensor& value, DType stored) {
    Tensor host = value.to(stored);
    const auto& shape = host.shape().dims();
    hid_t fileType = stored == DType::F32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    hid_t memType = stored == DType::F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    Handle set =
        createDataset(datasetPath, fileType, {shape.begin(), shape.end()}, dtypeSize(stored));
    if (host.numel() > 0 &&
        H5Dwrite(set.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.raw()) < 0) {
        fail(datasetPath, "could not be written (disk full?)");
    }
}

void File::writeInteger(const std::string& datasetPath, int64_t value) {
    Handle set = createDataset(datasetPath, H5T_STD_I64LE, {}, sizeof value);
    if (H5Dwrite(set.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
        fail(datasetPath, "could not be written (disk full?)");
    }
}

void File::writeString(const std::string& datasetPath, const std::string& value) {
    Handle type = fixedStringType(value.size());
    Handle set = createDataset(datasetPath, type.get(), {}, 1);
    std::string padded = value.empty() ? std::string(1, '\0') : value;
    if (H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()) < 0) {
        fail(datasetPath, "could not be written (disk full?)");
    }
}

void File::writeBytes(const std::string& datasetPath, const std::string& value) {
    Handle set = createDataset(datasetPath, H5T_STD_U8LE, {value.size()}, 1);
    if (!value.empty() &&
        H5Dwrite(set.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()) < 0) {
        fail(datasetPath, "could not be written (disk full?)");
    }
}

void File::flush() {
    if (H5Fflush(id(), H5F_SCOPE_GLOBAL) < 0) {
        throw IoError(m_path + ": could not be flushed to disk (disk full?)");
    }
}

}  // namespace loom::h5
