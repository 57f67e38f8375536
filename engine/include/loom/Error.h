#pragma once
/// Loom's exceptions. Every error the engine raises derives from loom::Error and carries a
/// message a user can act on: what went wrong, where (layer, file, op) and, where known, how
/// to fix it.

#include <stdexcept>
#include <string>

namespace loom {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A tensor or layer received a shape it cannot work with.
class ShapeError : public Error {
public:
    using Error::Error;
};

/// A graph is not a valid network: a cycle, a dangling input, an unknown layer type.
class GraphError : public Error {
public:
    using Error::Error;
};

/// A parameter is unknown, of the wrong type or out of its range.
class ConfigError : public Error {
public:
    using Error::Error;
};

/// A backend op failed or is not available on this device.
class BackendError : public Error {
public:
    using Error::Error;
};

/// Reading or writing a file failed, or the file is corrupt.
class IoError : public Error {
public:
    using Error::Error;
};

/// A data set could not be read or does not fit the model.
class DataError : public Error {
public:
    using Error::Error;
};

}  // namespace loom
