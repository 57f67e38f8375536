#include <loom/Csv.h>
#include <loom/Error.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

namespace loom {

namespace {

std::vector<std::string> splitLine(const std::string& line, char delimiter) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == delimiter && !quoted) {
            fields.push_back(field);
            field.clear();
        } else if (c != '\r') {
            field += c;
        }
    }
    fields.push_back(field);
    for (std::string& f : fields) {
        f.erase(0, f.find_first_not_of(" \t"));
        f.erase(f.find_last_not_of(" \t") + 1);
    }
    return fields;
}

bool parseNumber(const std::string& text, float& value) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    return ec == std::errc() && ptr == end && !text.empty();
}

size_t findLabelColumn(const std::vector<std::string>& header, const std::string& wanted,
                       bool hasHeader, const std::string& path) {
    if (wanted.empty()) {
        return header.size() - 1;
    }
    if (hasHeader) {
        auto it = std::find(header.begin(), header.end(), wanted);
        if (it != header.end()) {
            return static_cast<size_t>(it - header.begin());
        }
    }
    float index = 0;
    if (parseNumber(wanted, index) && index >= 0 && index < static_cast<float>(header.size())) {
        return static_cast<size_t>(index);
    }
    throw DataError(path + ": no label column '" + wanted + "'");
}

struct Row {
    int64_t line;  // 1-based, in the file
    std::vector<std::string> fields;
};

std::vector<Row> readRows(const std::string& path, char delimiter) {
    std::ifstream in(path);
    if (!in) {
        throw DataError(path + ": cannot open");
    }
    std::string line;
    std::vector<Row> rows;
    for (int64_t number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line != "\r") {
            rows.push_back({number, splitLine(line, delimiter)});
        }
    }
    if (rows.empty()) {
        throw DataError(path + ": the file is empty");
    }
    return rows;
}

// The first column (0-based) of the row whose number is NaN or infinite, or -1. from_chars
// reads "nan" and "inf" as numbers; the label is one only in regression.
int64_t nonFiniteColumn(const Row& row, size_t labelColumn, bool regression) {
    for (size_t c = 0; c < row.fields.size(); ++c) {
        float v = 0;
        if ((c != labelColumn || regression) && parseNumber(row.fields[c], v) &&
            !std::isfinite(v)) {
            return static_cast<int64_t>(c);
        }
    }
    return -1;
}

// Checks one data row and appends its features and label text.
void appendRow(const Row& row, size_t labelColumn, const std::string& where,
               std::vector<float>& features, std::vector<std::string>& labelTexts) {
    for (size_t c = 0; c < row.fields.size(); ++c) {
        float v = 0;
        if (c == labelColumn) {
            labelTexts.push_back(row.fields[c]);
        } else if (parseNumber(row.fields[c], v)) {
            features.push_back(v);
        } else {
            throw DataError(where + ", column " + std::to_string(c + 1) + ": '" + row.fields[c] +
                            "' is not a number");
        }
    }
}

void setClassLabels(const std::vector<std::string>& labelTexts, Dataset& data) {
    std::set<std::string> names(labelTexts.begin(), labelTexts.end());
    data.classNames.assign(names.begin(), names.end());
    // Numeric labels keep numeric order (2 before 10), so class k is label k.
    float a = 0, b = 0;
    if (std::all_of(names.begin(), names.end(), [&](const auto& t) { return parseNumber(t, a); })) {
        std::sort(data.classNames.begin(), data.classNames.end(),
                  [&](const std::string& x, const std::string& y) {
                      parseNumber(x, a);
                      parseNumber(y, b);
                      return a < b;
                  });
    }
    std::vector<float> labels;
    for (const std::string& t : labelTexts) {
        labels.push_back(
            static_cast<float>(std::find(data.classNames.begin(), data.classNames.end(), t) -
                               data.classNames.begin()));
    }
    data.targets = Tensor::fromVector(Shape{static_cast<int64_t>(labels.size())}, labels);
}

void setRegressionTargets(const std::vector<std::string>& labelTexts, const std::string& path,
                          Dataset& data) {
    std::vector<float> labels;
    for (const std::string& text : labelTexts) {
        float v = 0;
        if (!parseNumber(text, v)) {
            throw DataError(path + ": regression target '" + text + "' is not a number");
        }
        labels.push_back(v);
    }
    data.targets = Tensor::fromVector(Shape{static_cast<int64_t>(labels.size())}, labels);
}

}  // namespace

CsvData readCsv(const std::string& path, const CsvOptions& options) {
    const std::vector<Row> rows = readRows(path, options.delimiter);
    float probe = 0;
    // A first row with any non-numeric feature cell is a header.
    const std::vector<std::string>& first = rows[0].fields;
    const bool hasHeader = std::any_of(
        first.begin(), first.end(), [&](const std::string& f) { return !parseNumber(f, probe); });
    const size_t labelColumn = findLabelColumn(first, options.labelColumn, hasHeader, path);
    CsvData out;
    std::vector<float> features;
    std::vector<std::string> labelTexts;
    for (size_t r = hasHeader ? 1 : 0; r < rows.size(); ++r) {
        const Row& row = rows[r];
        const std::string where = path + ", line " + std::to_string(row.line);
        if (row.fields.size() != first.size()) {
            throw DataError(where + ": " + std::to_string(row.fields.size()) +
                            " columns, expected " + std::to_string(first.size()));
        }
        const int64_t bad = nonFiniteColumn(row, labelColumn, options.regression);
        if (bad >= 0 && options.dropNonFinite) {
            out.droppedLines.push_back(row.line);
            continue;
        }
        if (bad >= 0) {
            throw DataError(where + ", column " + std::to_string(bad + 1) + ": '" +
                            row.fields[static_cast<size_t>(bad)] +
                            "' is not a finite number; correct the data or set the data "
                            "section's non_finite to drop to leave such rows out");
        }
        appendRow(row, labelColumn, where, features, labelTexts);
    }
    const auto n = static_cast<int64_t>(labelTexts.size());
    if (n == 0) {
        throw DataError(path + ": no data rows" +
                        (out.droppedLines.empty() ? std::string()
                                                  : " (every row held a NaN or infinite cell)"));
    }
    out.data.source = path;
    out.data.samples =
        Tensor::fromVector(Shape{n, static_cast<int64_t>(first.size() - 1)}, features);
    if (options.regression) {
        setRegressionTargets(labelTexts, path, out.data);
    } else {
        setClassLabels(labelTexts, out.data);
    }
    return out;
}

}  // namespace loom
