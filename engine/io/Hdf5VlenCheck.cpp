// Reads the few HDF5 structures the check needs, after the HDF5 file format specification:
// object headers (version 1 and 2, with continuation blocks), attribute messages (versions 1
// to 3), dataspace and datatype messages, and global heap collections. Every size read is
// checked against the bytes it must lie in before it is used.
//
// Why checks and not a child process (measured on 308 fuzz inputs, Debian's HDF5 1.10.8):
// without these checks HDF5 hangs on 7 and crashes on 1. A child with memory and CPU limits
// catches those 8, but not the heap over-reads ASan finds in 2-3 more (attribute names and
// data, strdup and memcpy): the child exits as if all were well and the parent then repeats
// them in-process. Isolation would also need a helper executable (Job objects on Windows), a
// second read of every file and 10-110 ms per open; these checks catch all of them at about
// 2 ms per small file.

#include "io/Hdf5VlenCheck.h"

#include <map>
#include <set>
#include <vector>

namespace loom::h5 {
namespace {

constexpr uint16_t kContinuationMessage = 0x10;
constexpr uint16_t kAttributeMessage = 0x0C;
constexpr uint16_t kAttributeInfoMessage = 0x15;
constexpr int kVariableLengthClass = 9;
/// More header blocks than any real object has; a loop of continuations stops here.
constexpr int kMaxHeaderBlocks = 4096;

/// What a malformed structure throws inside this file; the public functions return its text.
struct Malformed {
    std::string what;
};

uint64_t align8(uint64_t n) {
    return (n + 7) / 8 * 8;
}

/// Little-endian fields of one block of bytes, never read past its end.
class Fields {
public:
    // A vector, not a string: GCC 12 cannot see through a moved short string's inline buffer
    // and warns that the bytes may be uninitialised.
    explicit Fields(const std::string& bytes) : m_bytes(bytes.begin(), bytes.end()) {}

    size_t size() const { return m_bytes.size(); }
    uint64_t at(size_t offset, unsigned width) const {
        if (offset > m_bytes.size() || width > m_bytes.size() - offset) {
            throw Malformed{"a structure runs past its block"};
        }
        uint64_t value = 0;
        for (unsigned i = width; i-- > 0;) {
            value = value << 8 | static_cast<unsigned char>(m_bytes[offset + i]);
        }
        return value;
    }
    std::string slice(size_t offset, size_t length) const {
        if (offset > m_bytes.size() || length > m_bytes.size() - offset) {
            throw Malformed{"a structure runs past its block"};
        }
        return std::string(m_bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                           m_bytes.begin() + static_cast<std::ptrdiff_t>(offset + length));
    }

private:
    std::vector<char> m_bytes;
};

Fields readBlock(const RawFile& file, uint64_t address, uint64_t size) {
    std::string bytes;
    if (address > UINT64_MAX - file.base || !file.read(file.base + address, size, bytes)) {
        throw Malformed{"a structure points outside the file"};
    }
    return Fields(bytes);
}

/// An attribute message's parts.
struct Attribute {
    std::string datatype, dataspace, data;
};

/// Parses an attribute message into `out` when it is attribute `name`; false for another.
bool parseAttribute(const Fields& m, const std::string& name, Attribute& out) {
    const unsigned version = static_cast<unsigned>(m.at(0, 1));
    if (version < 1 || version > 3) {
        throw Malformed{"an attribute message has an unknown version"};
    }
    if (version >= 2 && (m.at(1, 1) & 0x03) != 0) {
        throw Malformed{"an attribute's type or shape is shared, which Loom does not follow"};
    }
    const uint64_t nameSize = m.at(2, 2), typeSize = m.at(4, 2), spaceSize = m.at(6, 2);
    auto padded = [&](uint64_t n) { return version == 1 ? align8(n) : n; };
    size_t offset = version == 3 ? 9 : 8;
    const std::string stored = m.slice(offset, nameSize);
    offset += padded(nameSize);
    if (stored != name + std::string(1, '\0')) {
        return false;
    }
    out.datatype = m.slice(offset, typeSize);
    offset += padded(typeSize);
    out.dataspace = m.slice(offset, spaceSize);
    offset += padded(spaceSize);
    out.data = m.slice(offset, m.size() - std::min<size_t>(offset, m.size()));
    return true;
}

/// A run of header messages: where it starts and how long it is.
struct Block {
    uint64_t address, size;
};

/// Calls visit(type, flags, data) for each message of the object header at `address`, following
/// continuation blocks, until visit returns true.
template <typename Visit>
void forEachMessage(const RawFile& file, uint64_t address, const Visit& visit) {
    Fields prefix = readBlock(file, address, 16);
    const bool v2 = prefix.slice(0, 4) == "OHDR";
    if (!v2 && prefix.at(0, 1) != 1) {
        throw Malformed{"an object header has an unknown version"};
    }
    uint64_t flags = 0;
    std::vector<Block> blocks;
    if (v2) {
        flags = prefix.at(5, 1);
        uint64_t offset = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
        const unsigned width = 1u << (flags & 0x03);
        Fields sizeField = readBlock(file, address + offset, width);
        blocks.push_back({address + offset + width, sizeField.at(0, width)});
    } else {
        blocks.push_back({address + 16, prefix.at(8, 4)});
    }
    const unsigned messageHeader = v2 ? 4 + ((flags & 0x04) ? 2 : 0) : 8;
    for (size_t b = 0; b < blocks.size(); ++b) {
        if (b >= kMaxHeaderBlocks) {
            throw Malformed{"an object header has too many continuation blocks"};
        }
        Fields block = readBlock(file, blocks[b].address, blocks[b].size);
        size_t pos = 0;
        const size_t end = block.size();
        while (pos + messageHeader <= end) {
            const uint64_t type = v2 ? block.at(pos, 1) : block.at(pos, 2);
            const uint64_t size = block.at(pos + (v2 ? 1 : 2), 2);
            const uint64_t messageFlags = block.at(pos + (v2 ? 3 : 4), 1);
            const std::string data = block.slice(pos + messageHeader, size);
            pos += messageHeader + size;
            if (type == kContinuationMessage) {
                Fields c(data);
                const uint64_t where = c.at(0, file.offsetSize);
                const uint64_t length = c.at(file.offsetSize, file.lengthSize);
                if (v2) {  // "OCHK", the messages, a checksum
                    if (length < 8) {
                        throw Malformed{"an object header continuation block is too small"};
                    }
                    blocks.push_back({where + 4, length - 8});
                } else {
                    blocks.push_back({where, length});
                }
            } else if (visit(type, messageFlags, data)) {
                return;
            }
        }
    }
}

/// Finds attribute `name` in the object header at `address`.
Attribute findAttribute(const RawFile& file, uint64_t address, const std::string& name) {
    Attribute attribute;
    bool found = false, dense = false;
    forEachMessage(file, address, [&](uint64_t type, uint64_t, const std::string& data) {
        if (type == kAttributeMessage) {
            const Fields message(data);
            found = parseAttribute(message, name, attribute);
        } else if (type == kAttributeInfoMessage) {
            dense = true;
        }
        return found;
    });
    if (!found) {
        throw Malformed{dense ? "the attribute is kept in dense storage, which Loom does not check"
                              : "the attribute is not in its object's header"};
    }
    return attribute;
}

uint64_t dataspaceCount(const Fields& space, unsigned lengthSize);  // below

/// HDF5 1.10 decodes an attribute message's name with strdup before it compares the name with
/// its stored length, then its type and shape from where the name says they start, then
/// allocates and copies count x element size bytes of data, checking none of it against the
/// message's end. So the name must end in its first NUL, and the parts and the data must lie
/// inside the message (the data's size is only known when type and shape are not shared).
void checkAttributeMessage(const Fields& m, unsigned lengthSize) {
    const unsigned version = static_cast<unsigned>(m.at(0, 1));
    if (version < 1 || version > 3) {
        throw Malformed{"an attribute message has an unknown version"};
    }
    const uint64_t nameSize = m.at(2, 2), typeSize = m.at(4, 2), spaceSize = m.at(6, 2);
    auto padded = [&](uint64_t n) { return version == 1 ? align8(n) : n; };
    const size_t offset = version == 3 ? 9 : 8;
    const std::string stored = m.slice(offset, nameSize);
    if (stored.empty() || stored.find('\0') != stored.size() - 1) {
        throw Malformed{"an attribute's name does not end where its length says"};
    }
    const uint64_t typeAt = offset + padded(nameSize), spaceAt = typeAt + padded(typeSize);
    if (spaceAt + spaceSize > m.size()) {
        throw Malformed{"an attribute's parts run past its message"};
    }
    if (version >= 2 && (m.at(1, 1) & 0x03) != 0) {
        return;  // a shared type or shape, stored elsewhere
    }
    const Fields type(m.slice(typeAt, typeSize)), space(m.slice(spaceAt, spaceSize));
    const uint64_t elementSize = type.at(4, 4), count = dataspaceCount(space, lengthSize);
    const uint64_t dataAt = spaceAt + padded(spaceSize);
    const uint64_t room = m.size() > dataAt ? m.size() - dataAt : 0;
    if (elementSize != 0 && count > room / elementSize) {
        throw Malformed{"an attribute's data runs past its message"};
    }
}

}  // namespace

std::string attributeHeaderProblem(const RawFile& file, uint64_t headerAddress) {
    try {
        constexpr uint64_t kSharedMessage = 0x02;
        forEachMessage(file, headerAddress,
                       [&](uint64_t type, uint64_t flags, const std::string& data) {
                           // A shared message holds a reference, not the attribute itself.
                           if (type == kAttributeMessage && (flags & kSharedMessage) == 0) {
                               const Fields message(data);
                               checkAttributeMessage(message, file.lengthSize);
                           }
                           return false;
                       });
    } catch (const Malformed& m) {
        return m.what;
    }
    return {};
}

namespace {

/// A group's local heap (its member names): HDF5 allocates the data segment by the size the
/// heap's header gives, before it knows the file holds it; and it walks the heap's free list
/// allocating a node per block until the list's end marker (1), so a list that loops makes it
/// allocate until memory runs out.
void checkLocalHeap(const RawFile& file, uint64_t address) {
    const unsigned O = file.offsetSize, L = file.lengthSize;
    const Fields head = readBlock(file, address, 8 + 2 * L + O);
    if (head.slice(0, 4) != "HEAP") {
        throw Malformed{"a group's local heap is not one"};
    }
    const Fields data = readBlock(file, head.at(8 + 2 * L, O), head.at(8, L));
    constexpr uint64_t kEndOfList = 1;
    std::set<uint64_t> seen;
    for (uint64_t block = head.at(8 + L, L); block != kEndOfList; block = data.at(block, L)) {
        if (!seen.insert(block).second) {
            throw Malformed{"a group's local heap has a free list that loops"};
        }
    }
}

}  // namespace

std::string objectHeaderProblem(const RawFile& file, uint64_t headerAddress) {
    try {
        constexpr uint64_t kSymbolTableMessage = 0x11;
        // forEachMessage reads every block of the header, so one outside the file shows here.
        forEachMessage(file, headerAddress, [&](uint64_t type, uint64_t, const std::string& m) {
            if (type == kSymbolTableMessage) {  // the v1 B-tree's address, then the heap's
                checkLocalHeap(file, Fields(m).at(file.offsetSize, file.offsetSize));
            }
            return false;
        });
    } catch (const Malformed& m) {
        return m.what;
    }
    return {};
}

std::string rootGroupProblem(RawFile file) {
    try {
        // The superblock is at 0 or at a power of two from 512 on, after a user block.
        const std::string signature("\x89HDF\r\n\x1a\n", 8);
        uint64_t at = 0;
        for (std::string bytes;; at = at == 0 ? 512 : at * 2) {
            if (!file.read(at, 8, bytes)) {
                throw Malformed{"no superblock"};
            }
            if (bytes == signature) {
                break;
            }
        }
        file.base = at;
        const Fields fixed = readBlock(file, 8, 8);
        const uint64_t version = fixed.at(0, 1);
        const bool old = version < 2;
        file.offsetSize = static_cast<unsigned>(fixed.at(old ? 5 : 1, 1));
        file.lengthSize = static_cast<unsigned>(fixed.at(old ? 6 : 2, 1));
        const unsigned O = file.offsetSize;
        if (version > 3 || (O != 2 && O != 4 && O != 8) ||
            (file.lengthSize != 2 && file.lengthSize != 4 && file.lengthSize != 8)) {
            throw Malformed{"a superblock Loom does not know"};
        }
        // Versions 0 and 1: base, extension, end and driver addresses, then the root group's
        // symbol table entry (link name offset, header address). 2 and 3: base, extension,
        // end, root group header.
        const uint64_t addresses = old ? (version == 0 ? 24 : 28) : 12;
        const Fields a = readBlock(file, addresses, (old ? 6 : 4) * uint64_t(O));
        const uint64_t undefined = O == 8 ? UINT64_MAX : (uint64_t{1} << (8 * O)) - 1;
        const uint64_t extension = a.at(O, O), root = a.at((old ? 5 : 3) * O, O);
        if (!old && extension != undefined) {
            std::string problem = objectHeaderProblem(file, extension);
            if (!problem.empty()) {
                return "the superblock extension: " + problem;
            }
        }
        return objectHeaderProblem(file, root);
    } catch (const Malformed& m) {
        return m.what;
    }
}

namespace {

uint64_t dataspaceCount(const Fields& space, unsigned lengthSize) {
    const uint64_t version = space.at(0, 1), rank = space.at(1, 1);
    if ((version != 1 && version != 2) || rank > 32) {
        throw Malformed{"a dataspace message is malformed"};
    }
    if (version == 2 && space.at(3, 1) == 2) {
        return 0;  // a null dataspace
    }
    const size_t dims = version == 1 ? 8 : 4;
    uint64_t count = 1;
    for (uint64_t i = 0; i < rank; ++i) {
        const uint64_t d = space.at(dims + i * lengthSize, lengthSize);
        if (d != 0 && count > UINT64_MAX / d) {
            throw Malformed{"a dataspace is absurdly large"};
        }
        count *= d;
    }
    return count;
}

/// Global heap collections, read once each: object number -> object size.
class Heaps {
public:
    explicit Heaps(const RawFile& file) : m_file(file) {}

    /// The size of object `index` in the collection at `address`; Malformed when missing.
    uint64_t objectSize(uint64_t address, uint64_t index) {
        auto found = m_collections.find(address);
        if (found == m_collections.end()) {
            found = m_collections.emplace(address, parse(address)).first;
        }
        auto object = found->second.find(index);
        if (object == found->second.end()) {
            throw Malformed{"a string refers to a global heap object that does not exist"};
        }
        return object->second;
    }

private:
    std::map<uint64_t, uint64_t> parse(uint64_t address) const {
        const unsigned L = m_file.lengthSize;
        Fields head = readBlock(m_file, address, 8 + L);
        if (head.slice(0, 4) != "GCOL" || head.at(4, 1) != 1) {
            throw Malformed{"a string refers to something that is not a global heap"};
        }
        const uint64_t size = head.at(8, L);
        Fields heap = readBlock(m_file, address, size);
        std::map<uint64_t, uint64_t> objects;
        // The walk HDF5 makes when it loads the collection: each object's header, then its
        // data padded to 8 bytes; object 0 is free space whose size includes its header. A
        // step of zero bytes would make HDF5 walk forever, one past the end read past it.
        const uint64_t objectHeader = 8 + L;
        for (uint64_t pos = 8 + L; pos < heap.size();) {
            if (pos + objectHeader > heap.size()) {
                break;  // too small for an object: free space
            }
            const uint64_t index = heap.at(pos, 2), length = heap.at(pos + 8, L);
            const uint64_t room = heap.size() - pos;
            if (length > room || (index > 0 && align8(length) > room - objectHeader)) {
                throw Malformed{"a global heap collection is corrupt"};
            }
            const uint64_t step = index > 0 ? objectHeader + align8(length) : length;
            if (step == 0 || (index > 0 && !objects.emplace(index, length).second)) {
                throw Malformed{"a global heap collection is corrupt"};
            }
            pos += step;
        }
        return objects;
    }

    const RawFile& m_file;
    std::map<uint64_t, std::map<uint64_t, uint64_t>> m_collections;
};

/// A variable-length string type: HDF5 sizes its read buffer as the recorded length times
/// the stored size of one character, so that size must be 1.
void checkStringType(const Fields& type) {
    constexpr uint64_t kStringKind = 1;
    if ((type.at(0, 1) & 0x0F) != kVariableLengthClass || (type.at(1, 1) & 0x0F) != kStringKind) {
        throw Malformed{"the stored type is not the variable-length string HDF5 reports"};
    }
    if (type.at(12, 4) != 1) {
        throw Malformed{"the stored string's characters are not one byte each"};
    }
}

/// Each reference: length (4 bytes), collection address, object number (4 bytes).
void checkReferences(const RawFile& file, const Fields& data, uint64_t count) {
    const uint64_t width = 8 + file.offsetSize;
    if (count > data.size() / width) {
        throw Malformed{"the strings' references run past their data"};
    }
    Heaps heaps(file);
    for (uint64_t i = 0; i < count; ++i) {
        const uint64_t length = data.at(i * width, 4);
        const uint64_t address = data.at(i * width + 4, file.offsetSize);
        const uint64_t index = data.at(i * width + 4 + file.offsetSize, 4);
        if (address == 0 ? length != 0 : heaps.objectSize(address, index) != length) {
            throw Malformed{"a string's recorded length differs from its heap object's"};
        }
    }
}

}  // namespace

std::string vlenAttributeProblem(const RawFile& file, uint64_t headerAddress,
                                 const std::string& name, uint64_t count) {
    try {
        const Attribute attribute = findAttribute(file, headerAddress, name);
        const Fields type(attribute.datatype), space(attribute.dataspace), data(attribute.data);
        checkStringType(type);
        if (dataspaceCount(space, file.lengthSize) != count) {
            throw Malformed{"the attribute's stored shape is not what HDF5 reports"};
        }
        checkReferences(file, data, count);
    } catch (const Malformed& m) {
        return m.what;
    }
    return {};
}

std::string vlenDataProblem(const RawFile& file, uint64_t headerAddress, uint64_t offset,
                            uint64_t count) {
    try {
        constexpr uint64_t kDatatypeMessage = 0x03;
        bool typed = false;
        forEachMessage(file, headerAddress, [&](uint64_t type, uint64_t, const std::string& m) {
            if (type == kDatatypeMessage) {
                const Fields stored(m);
                checkStringType(stored);
                typed = true;
            }
            return typed;
        });
        if (!typed) {
            throw Malformed{"the dataset's header has no type"};
        }
        const uint64_t width = 8 + file.offsetSize;
        if (count > UINT64_MAX / width) {
            throw Malformed{"the strings' references run past the file"};
        }
        std::string bytes;
        if (!file.read(offset, count * width, bytes)) {
            throw Malformed{"the strings' references run past the file"};
        }
        const Fields references(bytes);
        checkReferences(file, references, count);
    } catch (const Malformed& m) {
        return m.what;
    }
    return {};
}

}  // namespace loom::h5
