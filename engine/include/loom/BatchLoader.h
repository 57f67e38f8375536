#pragma once
/// BatchLoader: hands out the batches of one epoch in a given order, assembling the next batch
/// on its own thread while the current one is trained on. Targets come out in the form the
/// loss wants: one-hot rows, class indices, or the data set's own values. An Augmenter, when
/// given, changes each batch's samples on that thread too.

#include <loom/Dataset.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace loom {

class Augmenter;

enum class TargetForm { ClassIndex, OneHot, Values };

struct Batch {
    Tensor samples;  ///< [B, ...]
    Tensor targets;  ///< as the TargetForm says
    Tensor labels;   ///< [B] class indices, for metrics (classification only)
};

class BatchLoader {
public:
    /// augmenter (kept by the caller, may be null) augments with this epoch's randomness.
    BatchLoader(const Dataset& data, std::vector<int64_t> order, int64_t batchSize, TargetForm form,
                const Augmenter* augmenter = nullptr, int64_t epoch = 0);
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    int64_t batchCount() const { return m_batchCount; }
    /// The next batch, valid until the following call; false after the last. Rethrows what
    /// assembling it threw.
    bool next(Batch& batch);

private:
    void produce();
    void assemble(int64_t index, Batch& into) const;

    const Dataset& m_data;
    std::vector<int64_t> m_order;
    int64_t m_batchSize;
    TargetForm m_form;
    const Augmenter* m_augmenter;
    int64_t m_epoch;
    int64_t m_batchCount;

    std::mutex m_mutex;
    std::condition_variable m_changed;
    Batch m_slots[2];
    int64_t m_produced = 0;  ///< batches assembled so far
    int64_t m_consumed = 0;  ///< batches handed out so far
    bool m_quit = false;
    std::exception_ptr m_error;  ///< what the worker threw; it stops at the first
    std::thread m_worker;
};

}  // namespace loom
