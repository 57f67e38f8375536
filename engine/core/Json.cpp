// Bounded JSON parsing and short quotes of JSON values.
//
// Why limits: nlohmann's parser keeps its own stack, but everything done with the value after
// (copying it, comparing it, dump() in an error message, the readers that walk it) recurses
// once per level of nesting, so an array nested 100,000 deep overflowed the stack. The
// deepest real file is far from the limits: InceptionV3 as a TF.js model.json nests 10
// levels and holds 13,000 values, a Keras 3 config about 12 levels, and each model nested in
// a model adds about 6. 256 levels leave room for 40 nested models while any walk over the
// value stays a few hundred stack frames deep; 2 million values (about 100 MB in memory) are
// 150 times InceptionV3's; a string of 16 MiB is far beyond any name or config string.

#include <loom/Error.h>
#include <loom/Json.h>

namespace loom {

namespace {

using nlohmann::json;

constexpr int kMaxDepth = 256;
constexpr size_t kMaxValues = 2000000;
constexpr size_t kMaxStringBytes = size_t{16} << 20;

/// At most maxChars characters of text, ending in "..." where it was cut.
std::string excerpt(std::string_view text, size_t maxChars) {
    return text.size() <= maxChars ? std::string(text)
                                   : std::string(text.substr(0, maxChars)) + "...";
}

/// Quotes a string as JSON in ASCII, so that cutting it never splits a character.
std::string quoted(const std::string& text, size_t maxChars) {
    return json(text.substr(0, maxChars)).dump(-1, ' ', true, json::error_handler_t::replace);
}

// Appends value as JSON until `out` holds `limit` characters. Every level of nesting appends
// at least one character, so the recursion ends within `limit` levels whatever the value.
void appendExcerpt(const json& value, std::string& out, size_t limit) {
    if (out.size() >= limit) {
        return;
    }
    if (value.is_string()) {
        out += quoted(value.get_ref<const std::string&>(), limit - out.size());
    } else if (value.is_object() || value.is_array()) {
        out += value.is_object() ? '{' : '[';
        for (auto it = value.begin(); it != value.end() && out.size() < limit; ++it) {
            if (it != value.begin()) {
                out += ',';
            }
            if (value.is_object()) {
                out += quoted(it.key(), limit) + ':';
            }
            appendExcerpt(*it, out, limit);
        }
        out += value.is_object() ? '}' : ']';
    } else {
        out += value.dump();  // a number, true, false or null: a few characters
    }
}

/// The parser's message without its "[json.exception.parse_error.101] " prefix, and short:
/// it quotes the token it stopped in, which can be a whole unterminated string.
std::string parserMessage(const json::exception& e) {
    const std::string_view message = e.what();
    const size_t prefix = message.find("] ");
    return excerpt(prefix == std::string_view::npos ? message : message.substr(prefix + 2), 200);
}

}  // namespace

json parseJson(std::string_view text, const std::string& source) {
    size_t values = 0;
    // Runs before the parser descends into a container or keeps a value, so nothing beyond
    // the limits is ever built.
    const json::parser_callback_t withinLimits = [&](int depth, json::parse_event_t event,
                                                     json& parsed) {
        if ((event == json::parse_event_t::object_start ||
             event == json::parse_event_t::array_start) &&
            depth >= kMaxDepth) {
            throw IoError(source + ": JSON nested deeper than " + std::to_string(kMaxDepth) +
                          " levels; no model file comes near that: the file is damaged");
        }
        if (parsed.is_string() && parsed.get_ref<const std::string&>().size() > kMaxStringBytes) {
            throw IoError(source + ": a JSON string of more than 16 MiB (" +
                          quoted(parsed.get_ref<const std::string&>(), 40) +
                          "...); no model file holds one: the file is damaged");
        }
        if (event != json::parse_event_t::object_end && event != json::parse_event_t::array_end &&
            ++values > kMaxValues) {
            throw IoError(source + ": more than " + std::to_string(kMaxValues) +
                          " JSON values; no model file comes near that: the file is damaged");
        }
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), withinLimits);
    } catch (const json::exception& e) {
        throw IoError(source + " is not valid JSON (" + parserMessage(e) + ")");
    }
}

std::string jsonExcerpt(const json& value, size_t maxChars) {
    std::string out;
    appendExcerpt(value, out, maxChars);
    if (out.size() <= maxChars) {
        return out;
    }
    out.resize(maxChars);
    return out + "...";
}

}  // namespace loom
