#include <loom/Csv.h>
#include <loom/Error.h>

#include <algorithm>
#include <charconv>
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

}  // namespace

Dataset readCsv(const std::string& path, const CsvOptions& options) {
    std::ifstream in(path);
    if (!in) {
        throw DataError(path + ": cannot open");
    }
    std::string line;
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line)) {
        if (!line.empty() && line != "\r") {
            rows.push_back(splitLine(line, options.delimiter));
        }
    }
    if (rows.empty()) {
        throw DataError(path + ": the file is empty");
    }
    float probe = 0;
    // A first row with any non-numeric feature cell is a header.
    bool hasHeader = std::any_of(rows[0].begin(), rows[0].end(),
                                 [&](const std::string& f) { return !parseNumber(f, probe); });
    const size_t labelColumn = findLabelColumn(rows[0], options.labelColumn, hasHeader, path);
    const size_t columns = rows[0].size();
    std::vector<float> features, labels;
    std::vector<std::string> labelTexts;
    for (size_t r = hasHeader ? 1 : 0; r < rows.size(); ++r) {
        const std::string where = path + ", line " + std::to_string(r + 1);
        if (rows[r].size() != columns) {
            throw DataError(where + ": " + std::to_string(rows[r].size()) + " columns, expected " +
                            std::to_string(columns));
        }
        for (size_t c = 0; c < columns; ++c) {
            float v = 0;
            if (c == labelColumn) {
                labelTexts.push_back(rows[r][c]);
                continue;
            }
            if (!parseNumber(rows[r][c], v)) {
                throw DataError(where + ", column " + std::to_string(c + 1) + ": '" + rows[r][c] +
                                "' is not a number");
            }
            features.push_back(v);
        }
    }
    Dataset data;
    data.source = path;
    const auto n = static_cast<int64_t>(labelTexts.size());
    if (n == 0) {
        throw DataError(path + ": no data rows");
    }
    data.samples = Tensor::fromVector(Shape{n, static_cast<int64_t>(columns - 1)}, features);
    if (options.regression) {
        for (size_t i = 0; i < labelTexts.size(); ++i) {
            float v = 0;
            if (!parseNumber(labelTexts[i], v)) {
                throw DataError(path + ": regression target '" + labelTexts[i] +
                                "' is not a number");
            }
            labels.push_back(v);
        }
    } else {
        std::set<std::string> names(labelTexts.begin(), labelTexts.end());
        data.classNames.assign(names.begin(), names.end());
        // Numeric labels keep numeric order (2 before 10), so class k is label k.
        float a = 0, b = 0;
        if (std::all_of(names.begin(), names.end(),
                        [&](const auto& t) { return parseNumber(t, a); })) {
            std::sort(data.classNames.begin(), data.classNames.end(),
                      [&](const std::string& x, const std::string& y) {
                          parseNumber(x, a);
                          parseNumber(y, b);
                          return a < b;
                      });
        }
        for (const std::string& t : labelTexts) {
            labels.push_back(
                static_cast<float>(std::find(data.classNames.begin(), data.classNames.end(), t) -
                                   data.classNames.begin()));
        }
    }
    data.targets = Tensor::fromVector(Shape{n}, labels);
    return data;
}

}  // namespace loom
