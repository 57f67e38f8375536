#pragma once
/// JSON that comes from outside Loom (model files, projects, Keras and TF.js topologies, the
/// clipboard): parsed within limits, so that no file can exhaust the stack or the memory, and
/// quoted in error messages by a short excerpt, never whole.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace loom {

/// Parses `text`. An IoError that starts with `source` (a file name, or what in a file) when
/// it is not JSON or exceeds the limits no real model file comes near (see Json.cpp): nesting
/// deeper than 256 levels, a string over 16 MiB, more than 2 million values.
nlohmann::json parseJson(std::string_view text, const std::string& source);

/// `value` as JSON, cut to at most `maxChars` characters and ending in "..." where it was cut:
/// how an error message quotes a value of any size or depth.
std::string jsonExcerpt(const nlohmann::json& value, size_t maxChars = 80);

}  // namespace loom
