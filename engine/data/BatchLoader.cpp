#include <loom/Augmentation.h>
#include <loom/BatchLoader.h>
#include <loom/Error.h>

#include <cstring>
#include <span>

namespace loom {

BatchLoader::BatchLoader(const Dataset& data, std::vector<int64_t> order, int64_t batchSize,
                         TargetForm form, const Augmenter* augmenter, int64_t epoch)
    : m_data(data),
      m_order(std::move(order)),
      m_batchSize(batchSize),
      m_form(form),
      m_augmenter(augmenter),
      m_epoch(epoch),
      m_batchCount((static_cast<int64_t>(m_order.size()) + batchSize - 1) / batchSize) {
    if (batchSize < 1) {
        throw DataError("the batch size must be at least 1");
    }
    m_worker = std::thread([this] { produce(); });
}

BatchLoader::~BatchLoader() {
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_changed.notify_all();
    m_worker.join();
}

// Two slots: the worker fills slot k % 2 while the trainer holds the other.
void BatchLoader::produce() {
    for (int64_t index = 0; index < m_batchCount; ++index) {
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [&] { return m_quit || index - m_consumed < 1; });
            if (m_quit) {
                return;
            }
        }
        std::exception_ptr error;
        try {
            assemble(index, m_slots[index % 2]);
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(m_mutex);
            m_produced = index + 1;
            m_error = error;
        }
        m_changed.notify_all();
        if (error) {
            return;
        }
    }
}

bool BatchLoader::next(Batch& batch) {
    std::unique_lock lock(m_mutex);
    if (m_consumed >= m_batchCount) {
        return false;
    }
    m_changed.wait(lock, [&] { return m_produced > m_consumed; });
    if (m_error) {
        m_consumed = m_batchCount;  // what follows the failed batch never comes
        std::rethrow_exception(m_error);
    }
    // Swap rather than copy: the caller's previous buffers become the slot refilled next.
    std::swap(batch, m_slots[m_consumed % 2]);
    ++m_consumed;
    lock.unlock();
    m_changed.notify_all();
    return true;
}

void BatchLoader::assemble(int64_t index, Batch& into) const {
    const int64_t begin = index * m_batchSize;
    const int64_t size =
        std::min<int64_t>(m_batchSize, static_cast<int64_t>(m_order.size()) - begin);
    const Shape sampleShape = m_data.sampleShape();
    if (!into.samples.defined() || into.samples.dim(0) != size) {
        into.samples = Tensor::empty(sampleShape.withBatch(size));
    }
    const size_t rowBytes = static_cast<size_t>(sampleShape.numel()) * sizeof(float);
    const auto* from = static_cast<const char*>(m_data.samples.raw());
    auto* to = static_cast<char*>(into.samples.raw());
    const Shape targetShape = m_data.targets.shape().withoutBatch();
    const int64_t targetWidth = targetShape.numel();
    const float* targets = m_data.targets.data<float>();
    const Shape batchTargetShape = m_form == TargetForm::OneHot ? Shape{size, m_data.classCount()}
                                                                : targetShape.withBatch(size);
    if (!into.targets.defined() || into.targets.shape() != batchTargetShape) {
        into.targets = Tensor::empty(batchTargetShape);
    }
    if (m_form == TargetForm::OneHot) {
        std::memset(into.targets.raw(), 0, into.targets.bytes());
    }
    if (m_data.isClassification() && (!into.labels.defined() || into.labels.dim(0) != size)) {
        into.labels = Tensor::empty(Shape{size});
    }
    for (int64_t i = 0; i < size; ++i) {
        const int64_t row = m_order[static_cast<size_t>(begin + i)];
        std::memcpy(to + static_cast<size_t>(i) * rowBytes,
                    from + static_cast<size_t>(row) * rowBytes, rowBytes);
        const float* target = targets + row * targetWidth;
        if (m_form == TargetForm::OneHot) {
            into.targets.data<float>()[i * m_data.classCount() + static_cast<int64_t>(*target)] = 1;
        } else {
            std::memcpy(into.targets.data<float>() + i * targetWidth, target,
                        static_cast<size_t>(targetWidth) * sizeof(float));
        }
        if (into.labels.defined()) {
            into.labels.data<float>()[i] = *target;
        }
    }
    if (m_augmenter != nullptr) {
        m_augmenter->apply(
            into.samples,
            std::span(m_order).subspan(static_cast<size_t>(begin), static_cast<size_t>(size)),
            m_epoch);
    }
}

}  // namespace loom
