#pragma once

#include <loom/ArtModel.h>

#include <QWidget>

class QLineEdit;
class QTableWidget;

namespace loom {

/// ArtLayerList: the layers of a network, each with a check box (use it) and a weight (edited
/// with a spin box), and a filter over the names, since an InceptionV3 has 318 layers and a
/// person wants the few `mixed*` ones.
class ArtLayerList : public QWidget {
    Q_OBJECT

public:
    explicit ArtLayerList(QWidget* parent = nullptr);

    /// Lists every layer of `graph` but its inputs, checking those in `chosen`.
    void setLayers(const Graph& graph, const std::vector<LayerWeight>& chosen);
    void setChosen(const std::vector<LayerWeight>& chosen);
    /// The checked layers with their weights, in the network's order.
    std::vector<LayerWeight> chosen() const;

signals:
    void chosenChanged();

protected:
    void showEvent(QShowEvent* event) override;

private:
    void applyFilter(const QString& text);
    /// The first checked layer at the top, so a person sees what is in use.
    void scrollToFirstChosen();

    QLineEdit* m_filter;
    QTableWidget* m_table;
};

}  // namespace loom
