#pragma once
/// Registry: the explicit list of kinds (layers, optimizers, losses) the engine knows, filled by
/// each kind's own file at start-up. Looking up an unknown name throws with the known ones.

#include <loom/Error.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace loom {

template <class Kind>
class Registry {
public:
    static Registry& instance() {
        static Registry registry;
        return registry;
    }

    /// Adds a kind; returns true so that a file can register from a static initialiser.
    bool add(Kind kind) {
        std::string key = kind.type;
        m_kinds.insert_or_assign(std::move(key), std::move(kind));
        return true;
    }

    const Kind* tryFind(const std::string& type) const {
        auto it = m_kinds.find(type);
        return it == m_kinds.end() ? nullptr : &it->second;
    }

    const Kind& find(const std::string& type) const {
        if (const Kind* kind = tryFind(type)) {
            return *kind;
        }
        std::string known;
        for (const auto& [name, kind] : m_kinds) {
            known += (known.empty() ? "" : ", ") + name;
        }
        throw ConfigError("unknown " + std::string(Kind::registryNoun) + " '" + type +
                          "'; known: " + known);
    }

    std::vector<const Kind*> all() const {
        std::vector<const Kind*> kinds;
        for (const auto& [name, kind] : m_kinds) {
            kinds.push_back(&kind);
        }
        return kinds;
    }

private:
    std::map<std::string, Kind> m_kinds;
};

}  // namespace loom
