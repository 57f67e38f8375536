#pragma once

#include "ArtStudio.h"

class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QSpinBox;

namespace loom {

class ArtLayerList;
class ImagePreview;

/// StyleStudio: the Style tab. Content and style pictures (opened or dropped), the network, its
/// content layer and style layers with weights, the content, style and total-variation
/// weights, the output height, the optimiser (L-BFGS or Adam) and iterations; the result
/// changes after every iteration and a small chart follows the loss and its parts.
class StyleStudio : public ArtStudio {
    Q_OBJECT

public:
    explicit StyleStudio(QWidget* parent = nullptr);

    bool openContent(const QString& path);
    bool openStyle(const QString& path);
    StyleSettings settings() const;
    nlohmann::json settingsJson() const override;
    void applySettings(const nlohmann::json& json) override;
    QCustomPlot* lossChart() const { return m_chart; }

public slots:
    void run() override;

signals:
    void styleRequested(const loom::StyleJob& job);

protected:
    void modelLoaded() override;
    QString resultName() const override;
    void stepShown(const ArtStep& step) override;

private:
    void buildChart();

    ImagePreview* m_content;
    ImagePreview* m_style;
    QComboBox* m_contentLayer;
    ArtLayerList* m_styleLayers;
    QDoubleSpinBox* m_contentWeight;
    QDoubleSpinBox* m_styleWeight;
    QDoubleSpinBox* m_tvWeight;
    QSpinBox* m_height;
    QComboBox* m_optimizer;
    QSpinBox* m_iterations;
    QCustomPlot* m_chart;
};

}  // namespace loom
