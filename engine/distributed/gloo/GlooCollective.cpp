// loom::Collective over Gloo: TCP pairs between every two ranks, found through a FileStore or a
// RedisStore, and Gloo's ring all-reduce. Every Gloo failure (a peer gone, a timeout) becomes a
// CollectiveError that names this rank and the operation.

#include "distributed/GlooConnect.h"

#include <gloo/allreduce.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/rendezvous/redis_store.h>
#include <gloo/transport/tcp/device.h>

#include <unistd.h>

#include <filesystem>

namespace loom {

namespace {

std::string seconds(std::chrono::milliseconds timeout) {
    return std::to_string(timeout.count() / 1000) + " s";
}

std::string hostName() {
    char name[256] = {};
    return gethostname(name, sizeof(name) - 1) == 0 ? std::string(name) : "127.0.0.1";
}

std::unique_ptr<gloo::rendezvous::Store> storeFor(const std::string& rendezvous) {
    const std::string where = rendezvous.substr(rendezvous.find(':') + 1);
    if (rendezvous.rfind("file:", 0) == 0) {
        std::error_code error;
        std::filesystem::create_directories(where, error);
        if (error) {
            throw ConfigError("cannot use the rendezvous folder '" + where +
                              "': " + error.message());
        }
        return std::make_unique<gloo::rendezvous::FileStore>(where);
    }
    const size_t colon = where.rfind(':');
    try {
        return std::make_unique<gloo::rendezvous::RedisStore>(
            where.substr(0, colon),
            colon == std::string::npos ? 6379 : std::stoi(where.substr(colon + 1)));
    } catch (const std::invalid_argument&) {
        throw ConfigError("the rendezvous '" + rendezvous + "' is not redis:HOST:PORT");
    }
}

class GlooCollective final : public Collective {
public:
    GlooCollective(const JobPlace& place) : m_place(place) {
        gloo::transport::tcp::attr attr;
        attr.hostname = place.host.empty() ? hostName() : place.host;
        try {
            auto device = gloo::transport::tcp::CreateDevice(attr);
            std::unique_ptr<gloo::rendezvous::Store> store = storeFor(place.rendezvous);
            gloo::rendezvous::PrefixStore prefixed("loom", *store);
            m_context = std::make_shared<gloo::rendezvous::Context>(place.rank, place.worldSize);
            m_context->setTimeout(place.timeout);
            m_context->connectFullMesh(prefixed, device);
        } catch (const gloo::Exception& e) {
            throw CollectiveError(where() + ": the " + std::to_string(place.worldSize) +
                                  " ranks did not all meet at " + place.rendezvous + " within " +
                                  seconds(place.timeout) + " (" + e.what() + ")");
        }
    }

    int rank() const override { return m_place.rank; }
    int worldSize() const override { return m_place.worldSize; }

    void sum(float* values, size_t count) override {
        reduce(values, count, &gloo::sum<float>, "sum");
    }
    void sum(double* values, size_t count) override {
        reduce(values, count, &gloo::sum<double>, "sum");
    }

private:
    template <typename T>
    void reduce(T* values, size_t count, void (*op)(void*, const void*, const void*, size_t),
                const char* what) {
        gloo::AllreduceOptions options(m_context);
        options.setOutput(values, count);
        options.setReduceFunction(op);
        options.setAlgorithm(gloo::AllreduceOptions::Algorithm::RING);
        options.setTag(m_tag++);
        try {
            gloo::allreduce(options);
        } catch (const gloo::Exception& e) {
            throw CollectiveError(where() + ": the " + what + " of " + std::to_string(count) +
                                  " values over all ranks failed: another rank stopped, crashed "
                                  "or did not answer within " +
                                  seconds(m_place.timeout) + " (" + e.what() + ")");
        }
    }

    std::string where() const {
        return "rank " + std::to_string(m_place.rank) + " of " + std::to_string(m_place.worldSize);
    }

    JobPlace m_place;
    std::shared_ptr<gloo::rendezvous::Context> m_context;
    uint32_t m_tag = 0;
};

}  // namespace

std::unique_ptr<Collective> connectGloo(const JobPlace& place) {
    return std::make_unique<GlooCollective>(place);
}

}  // namespace loom
