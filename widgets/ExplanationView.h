#pragma once

#include <loom/Tensor.h>

#include <QImage>
#include <QList>
#include <QString>
#include <QWidget>

class QGridLayout;
class QLabel;

namespace loom {

/// One explanation map of a prediction ([H, W], >= 0), with its name and what it shows.
struct ExplanationMap {
    QString title;    ///< "Saliency"
    QString meaning;  ///< the tooltip: how the map was made and how to read it
    Tensor map;
};

/// The picture with a heat map over it: the map (stretched from 0 to its maximum) in a
/// black-red-yellow ramp, more opaque where it is stronger, so the picture shows through where
/// the map is weak.
QImage heatmapOverlay(const QImage& picture, const Tensor& map);

/// ExplanationView: why the model gave its answer for one picture, as overlays side by side
/// (saliency, occlusion, Grad-CAM, ...) after the picture itself, each scaled to share the
/// view's width (never widening the window) with its title under it and its meaning as its
/// tooltip.
class ExplanationView : public QWidget {
    Q_OBJECT

public:
    explicit ExplanationView(QWidget* parent = nullptr);

    /// subject: what is explained ("why 'Sneaker' (97 %)").
    void setExplanation(const QImage& picture, const QString& subject,
                        const QList<ExplanationMap>& maps);
    void setMessage(const QString& message);
    /// The titles of the tiles shown, the picture's first.
    QStringList shownTitles() const;
    /// The image on tile `index` as shown (before scaling), for tests.
    QImage tileImage(int index) const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void addTile(const QImage& image, const QString& title, const QString& meaning);
    void clearTiles();
    /// Scales every tile to the side the view's width allows.
    void scaleTiles();

    QLabel* m_heading;
    QGridLayout* m_tiles;
    QList<QImage> m_images;
    QList<QLabel*> m_pictures;
    QStringList m_titles;
};

}  // namespace loom
