#pragma once
/// CSV data: numeric feature columns and one label column chosen by name or index. String
/// labels become classes (sorted by name, the mapping kept in classNames); with `regression`
/// the label column is read as numbers. NaN and infinite cells ("nan", "inf") are an error
/// naming their line and column, or drop their rows.

#include <loom/Dataset.h>

#include <string>
#include <vector>

namespace loom {

struct CsvOptions {
    std::string labelColumn;  ///< a header name, or a 0-based index; empty: the last column
    bool regression = false;
    char delimiter = ',';
    bool dropNonFinite = false;  ///< rows with a NaN or infinite number are left out
};

struct CsvData {
    Dataset data;
    std::vector<int64_t> droppedLines;  ///< 1-based lines of the rows dropNonFinite left out
};

/// Throws DataError naming the file, line and column of the first bad value, and when no row
/// is left.
CsvData readCsv(const std::string& path, const CsvOptions& options);

}  // namespace loom
