#pragma once

#include <QImage>
#include <QString>
#include <QWidget>

#include <utility>
#include <vector>

class QGridLayout;
class QLabel;

namespace loom {

/// PredictView: drop an image file on it (or choose one) and see what the model thinks it is:
/// the image as the model saw it and the likeliest classes as bars. It asks for a prediction
/// by signal; whoever holds the model answers with setPrediction or setError.
class PredictView : public QWidget {
    Q_OBJECT

public:
    explicit PredictView(QWidget* parent = nullptr);

    /// Shows the image and one bar per (class, probability), in the order given.
    void setPrediction(const QImage& image, const std::vector<std::pair<QString, double>>& top);
    void setError(const QString& message);
    /// The bars' captions and values, in order, as shown.
    std::vector<std::pair<QString, int>> shownBars() const;

signals:
    void imageChosen(const QString& path);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void clearBars();
    void chooseImage();

    QLabel* m_image = nullptr;
    QLabel* m_message = nullptr;
    QGridLayout* m_bars = nullptr;
};

}  // namespace loom
