#pragma once
// Command-line arguments: positionals and --options (with a value, or flags).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace loom::cli {

class Arguments {
public:
    /// Parses argv after the command; `flags` are options without a value. Unknown options
    /// are errors, so a typo never silently changes what runs.
    Arguments(int argc, char** argv, int first, const std::set<std::string>& valued,
              const std::set<std::string>& flags);

    const std::vector<std::string>& positionals() const { return m_positionals; }
    bool flag(const std::string& name) const { return m_flags.count(name) > 0; }
    /// The option's value; the last one when it was given more than once.
    std::optional<std::string> value(const std::string& name) const;
    /// Every value the option was given, in order (--vary a=1 --vary b=2).
    const std::vector<std::string>& values(const std::string& name) const;
    std::string value(const std::string& name, const std::string& fallback) const;
    std::optional<double> number(const std::string& name) const;
    std::optional<int64_t> integer(const std::string& name) const;

private:
    std::vector<std::string> m_positionals;
    std::map<std::string, std::vector<std::string>> m_values;
    std::set<std::string> m_flags;
};

}  // namespace loom::cli
