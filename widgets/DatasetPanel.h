#pragma once

#include <loom/DataSource.h>
#include <loom/NetworkChecks.h>

#include <nlohmann/json.hpp>

#include <QImage>
#include <QWidget>

#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QSpinBox;
class QTableWidget;
class QThread;

namespace loom {

class AugmentationPanel;

/// DatasetPanel: where a project's data come from and how they are prepared. It edits the
/// project's "data" section (the JSON loom-cli and the training controller read through
/// loadData): Fashion-MNIST or MNIST-format IDX files, a folder of images labelled by
/// sub-folder or file-name prefix, or a CSV file; normalisation; validation and test splits
/// with their seed. Loading a preview (on a worker thread) shows a grid of samples with their
/// labels, the samples per class, the split sizes and the files that were skipped and why; its
/// class count and sample shape are what the network checks compare the network with.
class DatasetPanel : public QWidget {
    Q_OBJECT

public:
    enum class Source { FashionMnist, Idx, ImageFolder, Csv };

    explicit DatasetPanel(QWidget* parent = nullptr);
    ~DatasetPanel() override;

    /// The data section the settings describe, with the shown section's other settings.
    nlohmann::json dataSection() const;
    /// Shows a project's data section; keys it does not know keep their defaults.
    void setDataSection(const nlohmann::json& section);
    /// The facts of the last preview while the settings still describe the same samples
    /// (normalisation and splits change neither classes nor shapes); empty before a preview.
    const std::optional<DataFacts>& dataFacts() const { return m_facts; }

public slots:
    /// Reads the data as the settings say and shows the preview (previewLoaded or loadFailed).
    void loadPreview();

signals:
    /// A setting changed by the user; dataSection() has the new section.
    void dataSectionChanged();
    void previewLoaded();
    void loadFailed(const QString& message);
    /// dataFacts() changed: a preview was loaded or failed, or the source settings changed.
    void dataFactsChanged();
    /// A preview sample was double-clicked: `sample` [1, ...] in raw pixel values (the preview
    /// is not normalised), `image` as shown, `name` its place and label ("training sample 12
    /// (Sneaker)").
    void sampleChosen(const loom::Tensor& sample, const QImage& image, const QString& name);

private:
    QWidget* createSettings();
    QWidget* createPreview();
    void addLocationRow(QFormLayout* form);
    void updateSourceRows();
    void browse(QLineEdit* into, bool folder);
    void settingChanged();
    void showPreview(const LoadedData& data);
    void showSamples(const Dataset& data);
    void chooseSample(int row);
    void showClassCounts(const Dataset& data);
    void showSummary(const LoadedData& data);
    void showSkipped(const std::vector<SkippedFile>& skipped);
    void showFailure(const QString& message);
    void setFacts(std::optional<DataFacts> facts, const nlohmann::json& section);
    /// Forgets the facts when the settings no longer describe the samples they came from.
    void dropStaleFacts();
    Source source() const;
    QString sourceSpec() const;

    QComboBox* m_source = nullptr;
    QLineEdit* m_location = nullptr;
    QLineEdit* m_labelsFile = nullptr;
    QComboBox* m_labelSource = nullptr;
    QSpinBox* m_imageHeight = nullptr;
    QSpinBox* m_imageWidth = nullptr;
    QCheckBox* m_grayscale = nullptr;
    QCheckBox* m_crop = nullptr;
    QLineEdit* m_labelColumn = nullptr;
    QCheckBox* m_regression = nullptr;
    QComboBox* m_normalization = nullptr;
    QDoubleSpinBox* m_validationSplit = nullptr;
    QDoubleSpinBox* m_testSplit = nullptr;
    QSpinBox* m_splitSeed = nullptr;
    QFormLayout* m_form = nullptr;
    QLabel* m_summary = nullptr;
    QListWidget* m_samples = nullptr;
    AugmentationPanel* m_augmentation = nullptr;
    Tensor m_shownSamples;  ///< the preview's samples, in the order m_samples shows them
    QTableWidget* m_classCounts = nullptr;
    QPlainTextEdit* m_skipped = nullptr;
    QThread* m_loader = nullptr;
    std::optional<DataFacts> m_facts;
    nlohmann::json m_factsSource;  ///< the settings the facts depend on, when they were loaded
    bool m_updating = false;       ///< setDataSection is filling in the widgets
    nlohmann::json m_shownSection = nlohmann::json::object();  ///< as setDataSection gave it
};

}  // namespace loom
