#pragma once
/// CSV data: numeric feature columns and one label column chosen by name or index. String
/// labels become classes (sorted by name, the mapping kept in classNames); with `regression`
/// the label column is read as numbers.

#include <loom/Dataset.h>

#include <string>

namespace loom {

struct CsvOptions {
    std::string labelColumn;  ///< a header name, or a 0-based index; empty: the last column
    bool regression = false;
    char delimiter = ',';
};

/// Throws DataError naming the file, line and column of the first bad value.
Dataset readCsv(const std::string& path, const CsvOptions& options);

}  // namespace loom
