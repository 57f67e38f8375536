#pragma once
// Data-parallel training's gradient averaging, as PyTorch's DistributedDataParallel does it:
// the trainable parameters are packed into buckets of about 25 MB in the order backward
// finishes them, and each bucket is summed over the ranks on a thread of its own as soon as
// backward has finished every layer it holds, while backward goes on with the layers before.

#include <loom/Collective.h>
#include <loom/Graph.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace loom {

class GradientReducer {
public:
    /// As PyTorch's DDP: the first bucket small, so that its sum starts early in backward
    /// and overlaps the rest of it; the others large, for few collectives.
    static constexpr size_t kFirstBucketBytes = 1u << 20;
    static constexpr size_t kBucketBytes = 25u << 20;

    /// `graph` is built and on the CPU; its parameters do not change while this lives. Each
    /// step, `riders` more values (the step's metrics) are summed with the first bucket, which
    /// saves a collective's latency a step (about 2.5 ms on loopback TCP).
    GradientReducer(Collective& collective, Graph& graph, size_t riders);
    ~GradientReducer();
    GradientReducer(const GradientReducer&) = delete;
    GradientReducer& operator=(const GradientReducer&) = delete;

    /// Before backward: this rank's gradients weigh `share` (its samples over the global
    /// batch's) in the sum, which is then the global batch's mean gradient.
    void begin(float share, std::span<const float> riders);
    /// Graph::backward's afterNode: the node's gradients are final.
    void nodeDone(size_t node);
    /// After backward: sends the buckets not sent yet, waits for all, and leaves every
    /// gradient summed. Rethrows the CollectiveError of a failed bucket.
    void finish();
    /// During forward or backward: sums `values` over the ranks now, after the buckets sent
    /// before it (synchronised batch normalisation's statistics), and waits for the sum.
    void sumNow(std::span<float> values);
    /// After finish(): the riders begin() was given, summed over the ranks.
    std::span<const float> riderTotals() const { return m_riders; }

    /// Seconds the training thread waited in finish() and the communication thread spent in
    /// collectives, since the last call.
    struct Timing {
        double waited = 0, communicating = 0;
    };
    Timing takeTiming();

private:
    struct Bucket {
        std::vector<Parameter*> parameters;
        std::vector<float> values;
        size_t nodes = 0;    ///< the nodes whose parameters it holds
        size_t pending = 0;  ///< of them, those backward has not finished this step
    };
    void launchReady();
    void communicate();
    void reduce(Bucket& bucket);
    /// What the communication thread does for a queue entry of this value: sumNow's sum.
    static constexpr size_t kSumNow = static_cast<size_t>(-1);

    Collective& m_collective;
    std::vector<Bucket> m_buckets;
    std::vector<int> m_bucketOfNode;  ///< -1: a node without trainable parameters
    size_t m_launched = 0;            ///< buckets handed to the thread this step
    float m_share = 1;
    std::vector<float> m_riders;

    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    std::deque<size_t> m_queue;
    size_t m_finished = 0;
    std::span<float> m_now;  ///< sumNow's values, until summed
    bool m_nowDone = false;
    bool m_quit = false;
    std::exception_ptr m_error;
    Timing m_timing;
    std::thread m_thread;
};

}  // namespace loom
