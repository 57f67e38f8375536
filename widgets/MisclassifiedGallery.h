#pragma once

#include <loom/Tensor.h>

#include <QListWidget>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace loom {

/// One held-out sample the model got wrong.
struct Mistake {
    Tensor sample;  ///< [1, ...] as the model saw it
    int64_t trueClass = 0;
    int64_t predictedClass = 0;
    double confidence = 0;  ///< the model's probability for the wrong class
};

/// MisclassifiedGallery: a grid of samples the model got wrong, each captioned with what it is
/// and what the model said, so a person sees which confusions are forgivable; clicking one
/// chooses it (to see why the model erred).
class MisclassifiedGallery : public QListWidget {
    Q_OBJECT

public:
    explicit MisclassifiedGallery(QWidget* parent = nullptr);

    void setMistakes(const std::vector<Mistake>& mistakes, const QStringList& classNames);

signals:
    void mistakeChosen(const loom::Mistake& mistake);

private:
    std::vector<Mistake> m_mistakes;
};

}  // namespace loom
