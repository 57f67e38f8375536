#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/Params.h>

#include <cmath>
#include <sstream>

namespace loom {

namespace {

std::string formatNumber(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

std::string rangeText(const ParamSpec& spec) {
    return "[" + formatNumber(spec.min) + ", " + formatNumber(spec.max) + "]";
}

void checkRange(const ParamSpec& spec, double v, const std::string& where) {
    if (std::isnan(v) || v < spec.min || v > spec.max) {
        throw ConfigError(where + ": " + formatNumber(v) + " is outside the allowed range " +
                          rangeText(spec));
    }
}

int64_t toInteger(const nlohmann::json& value, const std::string& where) {
    if (value.is_number_integer()) {
        return value.get<int64_t>();
    }
    if (value.is_number_float()) {
        double v = value.get<double>();
        if (std::floor(v) == v && std::abs(v) < 9.0e15) {
            return static_cast<int64_t>(v);
        }
    }
    throw ConfigError(where + ": expected a whole number, got " + jsonExcerpt(value));
}

ParamValue convertValue(const ParamSpec& spec, const nlohmann::json& value,
                        const std::string& where) {
    switch (spec.type) {
        case ParamType::Int: {
            int64_t v = toInteger(value, where);
            checkRange(spec, static_cast<double>(v), where);
            return v;
        }
        case ParamType::Float: {
            if (!value.is_number()) {
                throw ConfigError(where + ": expected a number, got " + jsonExcerpt(value));
            }
            double v = value.get<double>();
            checkRange(spec, v, where);
            return v;
        }
        case ParamType::Bool:
            if (!value.is_boolean()) {
                throw ConfigError(where + ": expected true or false, got " + jsonExcerpt(value));
            }
            return value.get<bool>();
        case ParamType::Choice: {
            if (!value.is_string()) {
                throw ConfigError(where + ": expected one of its choices as a string, got " +
                                  jsonExcerpt(value));
            }
            std::string v = value.get<std::string>();
            for (const std::string& c : spec.choices) {
                if (c == v) {
                    return v;
                }
            }
            std::string known;
            for (const std::string& c : spec.choices) {
                known += (known.empty() ? "" : ", ") + c;
            }
            throw ConfigError(where + ": '" + v + "' is not one of: " + known);
        }
        case ParamType::IntList: {
            std::vector<int64_t> list;
            if (value.is_number()) {
                list.push_back(toInteger(value, where));  // Keras accepts 3 for (3, 3)
                if (spec.minCount > 1) {
                    list.resize(static_cast<size_t>(spec.minCount), list[0]);
                }
            } else if (value.is_array()) {
                for (const auto& item : value) {
                    list.push_back(toInteger(item, where));
                }
            } else {
                throw ConfigError(where + ": expected a list of whole numbers, got " +
                                  jsonExcerpt(value));
            }
            if (static_cast<int>(list.size()) < spec.minCount ||
                static_cast<int>(list.size()) > spec.maxCount) {
                throw ConfigError(
                    where + ": expected " + std::to_string(spec.minCount) +
                    (spec.minCount == spec.maxCount ? "" : " to " + std::to_string(spec.maxCount)) +
                    " values, got " + std::to_string(list.size()));
            }
            for (int64_t v : list) {
                checkRange(spec, static_cast<double>(v), where);
            }
            return list;
        }
        case ParamType::String:
            if (!value.is_string()) {
                throw ConfigError(where + ": expected a string, got " + jsonExcerpt(value));
            }
            return value.get<std::string>();
    }
    throw ConfigError(where + ": unknown parameter type");
}

nlohmann::json valueToJson(const ParamValue& value) {
    return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

}  // namespace

namespace {

ParamSpec makeSpec(std::string name, ParamType type, ParamValue def, std::string help,
                   double min = -std::numeric_limits<double>::infinity(),
                   double max = std::numeric_limits<double>::infinity()) {
    ParamSpec s;
    s.name = std::move(name);
    s.type = type;
    s.defaultValue = std::move(def);
    s.min = min;
    s.max = max;
    s.help = std::move(help);
    return s;
}

}  // namespace

ParamSpec ParamSpec::integer(std::string name, int64_t def, double min, double max,
                             std::string help) {
    return makeSpec(std::move(name), ParamType::Int, def, std::move(help), min, max);
}

ParamSpec ParamSpec::real(std::string name, double def, double min, double max, std::string help) {
    return makeSpec(std::move(name), ParamType::Float, def, std::move(help), min, max);
}

ParamSpec ParamSpec::boolean(std::string name, bool def, std::string help) {
    return makeSpec(std::move(name), ParamType::Bool, def, std::move(help));
}

ParamSpec ParamSpec::choice(std::string name, std::string def, std::vector<std::string> choices,
                            std::string help) {
    ParamSpec s = makeSpec(std::move(name), ParamType::Choice, std::move(def), std::move(help));
    s.choices = std::move(choices);
    return s;
}

ParamSpec ParamSpec::intList(std::string name, std::vector<int64_t> def, int minCount, int maxCount,
                             double min, double max, std::string help) {
    ParamSpec s =
        makeSpec(std::move(name), ParamType::IntList, std::move(def), std::move(help), min, max);
    s.minCount = minCount;
    s.maxCount = maxCount;
    return s;
}

ParamSpec ParamSpec::text(std::string name, std::string def, std::string help) {
    return makeSpec(std::move(name), ParamType::String, std::move(def), std::move(help));
}

const char* paramTypeName(ParamType type) {
    switch (type) {
        case ParamType::Int:
            return "int";
        case ParamType::Float:
            return "float";
        case ParamType::Bool:
            return "bool";
        case ParamType::Choice:
            return "choice";
        case ParamType::IntList:
            return "int list";
        case ParamType::String:
            return "string";
    }
    return "?";
}

ParamSet::ParamSet(const std::vector<ParamSpec>* specs, const nlohmann::json& values,
                   std::string owner)
    : m_specs(specs), m_owner(std::move(owner)) {
    for (const ParamSpec& spec : *m_specs) {
        m_values.push_back(spec.defaultValue);
    }
    if (values.is_null()) {
        return;
    }
    if (!values.is_object()) {
        throw ConfigError(m_owner + ": parameters must be a JSON object, got " +
                          jsonExcerpt(values));
    }
    for (const auto& [name, value] : values.items()) {
        set(name, value);
    }
}

size_t ParamSet::indexOf(const std::string& name) const {
    if (m_specs != nullptr) {
        for (size_t i = 0; i < m_specs->size(); ++i) {
            if ((*m_specs)[i].name == name) {
                return i;
            }
        }
    }
    std::string known;
    if (m_specs != nullptr) {
        for (const ParamSpec& spec : *m_specs) {
            known += (known.empty() ? "" : ", ") + spec.name;
        }
    }
    throw ConfigError(m_owner + ": unknown parameter '" + name + "'" +
                      (known.empty() ? " (it takes none)" : "; known: " + known));
}

bool ParamSet::has(const std::string& name) const {
    if (m_specs == nullptr) {
        return false;
    }
    for (const ParamSpec& spec : *m_specs) {
        if (spec.name == name) {
            return true;
        }
    }
    return false;
}

void ParamSet::set(const std::string& name, const nlohmann::json& value) {
    size_t i = indexOf(name);
    m_values[i] = convertValue((*m_specs)[i], value, m_owner + ", parameter '" + name + "'");
}

const ParamValue& ParamSet::get(const std::string& name) const {
    return m_values[indexOf(name)];
}

int64_t ParamSet::getInt(const std::string& name) const {
    return std::get<int64_t>(get(name));
}

double ParamSet::getFloat(const std::string& name) const {
    return std::get<double>(get(name));
}

bool ParamSet::getBool(const std::string& name) const {
    return std::get<bool>(get(name));
}

const std::string& ParamSet::getString(const std::string& name) const {
    return std::get<std::string>(get(name));
}

const std::vector<int64_t>& ParamSet::getInts(const std::string& name) const {
    return std::get<std::vector<int64_t>>(get(name));
}

nlohmann::json ParamSet::toJson() const {
    nlohmann::json json = nlohmann::json::object();
    for (size_t i = 0; i < m_values.size(); ++i) {
        json[(*m_specs)[i].name] = valueToJson(m_values[i]);
    }
    return json;
}

const std::vector<ParamSpec>& ParamSet::specs() const {
    static const std::vector<ParamSpec> none;
    return m_specs != nullptr ? *m_specs : none;
}

}  // namespace loom
