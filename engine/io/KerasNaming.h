#pragma once
// Keras' snake-case naming of class names (keras.src.utils.naming.to_snake_case): what Keras 3
// calls a layer's slot in a .keras archive ("BatchNormalization" -> "batch_normalization") and
// what a loss class is called as a function ("MeanSquaredError" -> "mean_squared_error").

#include <cctype>
#include <string>

namespace loom {

/// An underscore before each capital that starts a word or follows a lower-case letter; all
/// lower case. Digits join the word before them ("Conv2D" -> "conv2d").
inline std::string kerasSnakeCase(const std::string& name) {
    auto isLower = [](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; };
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
            continue;  // Keras drops non-word characters first
        }
        bool startsWord = i + 1 < name.size() && isLower(name[i + 1]);
        bool afterLower = i > 0 && isLower(name[i - 1]);
        if (std::isupper(static_cast<unsigned char>(c)) && !out.empty() &&
            (startsWord || afterLower)) {
            out += '_';
        }
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace loom
