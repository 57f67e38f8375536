#include "cli/Arguments.h"

#include <loom/Error.h>

#include <cstdlib>

namespace loom::cli {

Arguments::Arguments(int argc, char** argv, int first, const std::set<std::string>& valued,
                     const std::set<std::string>& flags) {
    for (int i = first; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) {
            m_positionals.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> inlineValue;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inlineValue = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (flags.count(name)) {
            m_flags.insert(name);
        } else if (valued.count(name)) {
            if (!inlineValue && i + 1 >= argc) {
                throw ConfigError("option --" + name + " needs a value");
            }
            m_values[name].push_back(inlineValue ? *inlineValue : argv[++i]);
        } else {
            throw ConfigError("unknown option --" + name + " (see loom-cli help)");
        }
    }
}

std::optional<std::string> Arguments::value(const std::string& name) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::nullopt : std::optional(it->second.back());
}

const std::vector<std::string>& Arguments::values(const std::string& name) const {
    static const std::vector<std::string> none;
    auto it = m_values.find(name);
    return it == m_values.end() ? none : it->second;
}

std::string Arguments::value(const std::string& name, const std::string& fallback) const {
    return value(name).value_or(fallback);
}

std::optional<double> Arguments::number(const std::string& name) const {
    auto text = value(name);
    if (!text) {
        return std::nullopt;
    }
    char* end = nullptr;
    double v = std::strtod(text->c_str(), &end);
    if (end == text->c_str() || *end != '\0') {
        throw ConfigError("--" + name + " expects a number, got '" + *text + "'");
    }
    return v;
}

std::optional<int64_t> Arguments::integer(const std::string& name) const {
    auto text = value(name);
    if (!text) {
        return std::nullopt;
    }
    char* end = nullptr;
    long long v = std::strtoll(text->c_str(), &end, 10);
    if (end == text->c_str() || *end != '\0') {
        throw ConfigError("--" + name + " expects a whole number, got '" + *text + "'");
    }
    return v;
}

}  // namespace loom::cli
