#include "train/GradientReducer.h"

#include <algorithm>
#include <chrono>

namespace loom {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GradientReducer::GradientReducer(Collective& collective, Graph& graph, size_t riders)
    : m_collective(collective), m_bucketOfNode(graph.nodes().size(), -1), m_riders(riders) {
    // In backward's order (the graph's, reversed), a node's parameters all in one bucket.
    for (auto it = graph.order().rbegin(); it != graph.order().rend(); ++it) {
        std::vector<Parameter*> trainable;
        Layer& layer = graph.layer(graph.nodes()[*it].layer->name());
        for (Parameter& p : layer.parameters()) {
            if (p.trainable && layer.trainable()) {
                trainable.push_back(&p);
            }
        }
        if (trainable.empty()) {
            continue;
        }
        const size_t cap = m_buckets.size() <= 1 ? kFirstBucketBytes : kBucketBytes;
        if (m_buckets.empty() || m_buckets.back().values.size() * sizeof(float) >= cap) {
            m_buckets.emplace_back();
        }
        Bucket& bucket = m_buckets.back();
        for (Parameter* p : trainable) {
            bucket.parameters.push_back(p);
            bucket.values.resize(bucket.values.size() + static_cast<size_t>(p->value.numel()));
        }
        ++bucket.nodes;
        m_bucketOfNode[*it] = static_cast<int>(m_buckets.size() - 1);
    }
    if (m_buckets.empty()) {
        m_buckets.emplace_back();  // for the riders: finish() sends it
    }
    m_buckets.front().values.resize(m_buckets.front().values.size() + riders);
    m_thread = std::thread([this] { communicate(); });
}

GradientReducer::~GradientReducer() {
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void GradientReducer::begin(float share, std::span<const float> riders) {
    m_share = share;
    std::copy(riders.begin(), riders.end(), m_riders.begin());
    m_launched = 0;
    std::lock_guard lock(m_mutex);
    m_finished = 0;
    for (Bucket& bucket : m_buckets) {
        bucket.pending = bucket.nodes;
    }
}

void GradientReducer::nodeDone(size_t node) {
    const int bucket = m_bucketOfNode[node];
    if (bucket >= 0) {
        --m_buckets[static_cast<size_t>(bucket)].pending;
        launchReady();
    }
}

// Buckets go to the thread in their order only, so that every rank sums the same bucket at
// the same time.
void GradientReducer::launchReady() {
    std::lock_guard lock(m_mutex);
    while (m_launched < m_buckets.size() && m_buckets[m_launched].pending == 0) {
        m_queue.push_back(m_launched++);
    }
    m_wake.notify_one();
}

void GradientReducer::finish() {
    const auto started = std::chrono::steady_clock::now();
    for (Bucket& bucket : m_buckets) {
        bucket.pending = 0;  // a node backward skipped leaves its gradients as they are
    }
    launchReady();
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_finished == m_buckets.size(); });
    m_timing.waited += secondsSince(started);
    if (m_error) {
        std::rethrow_exception(std::exchange(m_error, nullptr));
    }
}

void GradientReducer::sumNow(std::span<float> values) {
    std::unique_lock lock(m_mutex);
    m_now = values;
    m_nowDone = false;
    m_queue.push_back(kSumNow);
    m_wake.notify_one();
    m_done.wait(lock, [&] { return m_nowDone; });
    if (m_error) {
        std::rethrow_exception(std::exchange(m_error, nullptr));
    }
}

GradientReducer::Timing GradientReducer::takeTiming() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_timing, Timing{});
}

void GradientReducer::communicate() {
    for (;;) {
        size_t index = 0;
        bool failed = false;  // after a failed bucket the others are not sent
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_quit || !m_queue.empty(); });
            if (m_quit) {
                return;
            }
            index = m_queue.front();
            m_queue.pop_front();
            failed = m_error != nullptr;
        }
        const auto started = std::chrono::steady_clock::now();
        try {
            if (!failed && index == kSumNow) {
                m_collective.sum(m_now.data(), m_now.size());
            } else if (!failed) {
                reduce(m_buckets[index]);
            }
        } catch (...) {
            std::lock_guard lock(m_mutex);
            m_error = std::current_exception();
        }
        std::lock_guard lock(m_mutex);
        m_timing.communicating += secondsSince(started);
        if (index == kSumNow) {
            m_nowDone = true;
        } else {
            ++m_finished;
        }
        m_done.notify_all();
    }
}

// A gradient backward did not reach (none allocated yet) counts as zeros and stays undefined.
void GradientReducer::reduce(Bucket& bucket) {
    float* packed = bucket.values.data();
    for (Parameter* p : bucket.parameters) {
        const int64_t n = p->value.numel();
        if (p->grad.defined()) {
            const float* grad = p->grad.data<float>();
            for (int64_t i = 0; i < n; ++i) {
                packed[i] = grad[i] * m_share;
            }
        } else {
            std::fill(packed, packed + n, 0.0f);
        }
        packed += n;
    }
    const bool carriesRiders = &bucket == &m_buckets.front();
    if (carriesRiders) {
        std::copy(m_riders.begin(), m_riders.end(), packed);
    }
    m_collective.sum(bucket.values.data(), bucket.values.size());
    if (carriesRiders) {
        std::copy(packed, packed + m_riders.size(), m_riders.begin());
    }
    packed = bucket.values.data();
    for (Parameter* p : bucket.parameters) {
        if (p->grad.defined()) {
            std::copy(packed, packed + p->value.numel(), p->grad.data<float>());
        }
        packed += p->value.numel();
    }
}

}  // namespace loom
