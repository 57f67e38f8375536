#include <loom/Collective.h>

#include "distributed/GlooConnect.h"

#include <cstdlib>

namespace loom {

namespace {

class SingleRank final : public Collective {
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    void sum(float*, size_t) override {}
    void sum(double*, size_t) override {}
};

std::optional<int> integerVariable(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') {
        return std::nullopt;
    }
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 0) {
        throw ConfigError(std::string("the environment variable ") + name + "='" + text +
                          "' is not a rank or a count");
    }
    return static_cast<int>(value);
}

}  // namespace

std::optional<JobPlace> jobPlaceFromEnvironment() {
    constexpr const char* kLaunchers[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                             {"PMI_RANK", "PMI_SIZE"},
                                             {"SLURM_PROCID", "SLURM_NTASKS"}};
    for (const auto& [rankName, sizeName] : kLaunchers) {
        const std::optional<int> rank = integerVariable(rankName), size = integerVariable(sizeName);
        if (rank && size) {
            JobPlace place;
            place.rank = *rank;
            place.worldSize = *size;
            const char* rendezvous = std::getenv("LOOM_RENDEZVOUS");
            place.rendezvous = rendezvous ? rendezvous : "";
            return place;
        }
    }
    return std::nullopt;
}

std::unique_ptr<Collective> connectCollective(const JobPlace& place) {
    if (place.worldSize < 1 || place.rank < 0 || place.rank >= place.worldSize) {
        throw ConfigError("rank " + std::to_string(place.rank) + " is not in a job of " +
                          std::to_string(place.worldSize) + " ranks (ranks count from 0)");
    }
    if (place.worldSize == 1 && place.rendezvous.empty()) {
        return std::make_unique<SingleRank>();
    }
    if (place.rendezvous.rfind("file:", 0) != 0 && place.rendezvous.rfind("redis:", 0) != 0) {
        throw ConfigError("the rendezvous '" + place.rendezvous +
                          "' is neither file:FOLDER nor redis:HOST:PORT");
    }
#ifdef LOOM_HAVE_GLOO
    return connectGloo(place);
#else
    throw ConfigError(
        "this Loom was built without Gloo, so it trains in one process only (install "
        "libgloo-dev and rebuild)");
#endif
}

}  // namespace loom
