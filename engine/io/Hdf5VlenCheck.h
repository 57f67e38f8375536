#pragma once
// Checks HDF5 1.10 leaves out, run on a file's own bytes before HDF5 is let near the
// structures they cover. The first: to read a variable-length string it sizes a buffer by the
// length recorded next to the string's global-heap reference, then copies the heap object
// into it by the heap's own size, and indexes the heap with an unchecked object number: one
// flipped byte in a file makes it write past the buffer. So before Loom lets HDF5 read such
// strings, it reads the references itself, straight from the file's bytes (the object header's
// attribute message, or a contiguous dataset's data), and checks that each one names an object
// of exactly that length lying inside its heap collection inside the file. The second: the
// attribute messages of an object header (attributeHeaderProblem). That one, and the heap
// check's rule for free space, come from fuzzing (scripts/fuzz.sh).

#include <cstdint>
#include <functional>
#include <string>

namespace loom::h5 {

/// The raw bytes of an open HDF5 file and the sizes its addresses are written in.
struct RawFile {
    /// `size` bytes at file offset `offset`; false when they are not all in the file.
    std::function<bool(uint64_t offset, uint64_t size, std::string& bytes)> read;
    uint64_t base = 0;  ///< the file offset of address 0 (the user block's size)
    unsigned offsetSize = 8;
    unsigned lengthSize = 8;
};

/// Why HDF5 cannot safely look through the attributes in the object header at `headerAddress`
/// (H5Aexists_by_name and H5Aopen_by_name decode every attribute message until they find the
/// name): HDF5 1.10 copies each name with strdup, trusting it to end in a NUL inside the
/// header, and one that does not makes it read past its buffer. Empty when it can. Attributes
/// in dense storage (a fractal heap) and shared attribute messages are not looked at.
std::string attributeHeaderProblem(const RawFile& file, uint64_t headerAddress);

/// Why HDF5 cannot safely load the object header at `headerAddress` (H5Oopen and every call
/// that reaches the object): HDF5 1.10 allocates a header's continuation blocks, and a group's
/// local heap, by the sizes the file gives before checking that the file holds them, so one
/// changed byte asks for exabytes. Empty when it can.
std::string objectHeaderProblem(const RawFile& file, uint64_t headerAddress);

/// The same for the root group (and the superblock extension), which H5Fopen loads: finds the
/// superblock in `file` (whose base and sizes are then taken from it) and checks them.
std::string rootGroupProblem(RawFile file);

/// Why the `count` variable-length strings of attribute `name`, on the object whose header is
/// at `headerAddress`, cannot be read safely; empty when they can.
std::string vlenAttributeProblem(const RawFile& file, uint64_t headerAddress,
                                 const std::string& name, uint64_t count);

/// The same for the `count` variable-length strings of the dataset whose header is at
/// `headerAddress`, stored contiguously at file offset `offset`.
std::string vlenDataProblem(const RawFile& file, uint64_t headerAddress, uint64_t offset,
                            uint64_t count);

}  // namespace loom::h5
