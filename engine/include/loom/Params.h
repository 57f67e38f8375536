#pragma once
/// Parameter declarations and values. A layer kind, an optimizer or a loss declares each of its
/// settings once (name, type, default, range, help); that one declaration drives validation,
/// serialisation, the property editor and the palette.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace loom {

enum class ParamType { Int, Float, Bool, Choice, IntList, String };

using ParamValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Int;
    ParamValue defaultValue;
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    std::vector<std::string> choices;  ///< for Choice
    std::string help;
    int minCount = 0, maxCount = 1 << 20;  ///< list lengths, for IntList

    static ParamSpec integer(std::string name, int64_t def, double min, double max,
                             std::string help);
    static ParamSpec real(std::string name, double def, double min, double max, std::string help);
    static ParamSpec boolean(std::string name, bool def, std::string help);
    static ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                            std::string help);
    static ParamSpec intList(std::string name, std::vector<int64_t> def, int minCount, int maxCount,
                             double min, double max, std::string help);
    static ParamSpec text(std::string name, std::string def, std::string help);
};

const char* paramTypeName(ParamType type);

/// Validated values for a list of specs. Every spec has a value (its default unless given).
class ParamSet {
public:
    ParamSet() = default;
    /// Validates json values against specs; `owner` names the thing in error messages
    /// ("layer 'dense_1' (Dense)"). Unknown names, wrong types and out-of-range values throw
    /// ConfigError.
    ParamSet(const std::vector<ParamSpec>* specs, const nlohmann::json& values, std::string owner);

    int64_t getInt(const std::string& name) const;
    double getFloat(const std::string& name) const;
    bool getBool(const std::string& name) const;
    const std::string& getString(const std::string& name) const;
    const std::vector<int64_t>& getInts(const std::string& name) const;
    const ParamValue& get(const std::string& name) const;
    bool has(const std::string& name) const;

    /// Sets one value, validated like the constructor does.
    void set(const std::string& name, const nlohmann::json& value);
    /// Every value (defaults included) as a JSON object.
    nlohmann::json toJson() const;
    const std::vector<ParamSpec>& specs() const;
    const std::string& owner() const { return m_owner; }

private:
    size_t indexOf(const std::string& name) const;

    const std::vector<ParamSpec>* m_specs = nullptr;
    std::vector<ParamValue> m_values;
    std::string m_owner;
};

}  // namespace loom
