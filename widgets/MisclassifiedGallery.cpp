#include "MisclassifiedGallery.h"

#include "SampleImage.h"

namespace loom {

namespace {

/// Pictures are scaled up to this size without smoothing, so 28x28 pixels stay crisp.
constexpr int kThumbnail = 84;

QString className(const QStringList& names, int64_t index) {
    return index >= 0 && index < names.size() ? names[int(index)] : QString::number(index);
}

}  // namespace

MisclassifiedGallery::MisclassifiedGallery(QWidget* parent) : QListWidget(parent) {
    setViewMode(QListView::IconMode);
    setIconSize(QSize(kThumbnail, kThumbnail));
    setGridSize(QSize(kThumbnail + 56, kThumbnail + 44));
    setResizeMode(QListView::Adjust);
    setMovement(QListView::Static);
    setWordWrap(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
    // Selection, not the current row: focus arriving by keyboard or a tab switch makes the
    // first item current without the user choosing it.
    connect(this, &QListWidget::itemSelectionChanged, this, [this] {
        const int row = selectedItems().isEmpty() ? -1 : this->row(selectedItems().front());
        if (row >= 0 && size_t(row) < m_mistakes.size()) {
            emit mistakeChosen(m_mistakes[size_t(row)]);
        }
    });
}

void MisclassifiedGallery::setMistakes(const std::vector<Mistake>& mistakes,
                                       const QStringList& classNames) {
    clear();
    m_mistakes = mistakes;
    for (const Mistake& m : mistakes) {
        const QImage image =
            sampleImage(m.sample, 0).scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio);
        const QString truth = className(classNames, m.trueClass);
        const QString said = className(classNames, m.predictedClass);
        auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(image)),
                                         tr("%1\nas %2").arg(truth, said), this);
        item->setToolTip(tr("A %1, taken for a %2 with probability %3")
                             .arg(truth, said)
                             .arg(m.confidence, 0, 'f', 2));
    }
    setCurrentRow(-1);  // nothing is chosen until the user clicks
}

}  // namespace loom
