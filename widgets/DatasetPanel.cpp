#include "DatasetPanel.h"

#include "AugmentationPanel.h"
#include "CompactDoubleSpinBox.h"
#include "SampleImage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include <atomic>
#include <exception>
#include <limits>
#include <optional>

namespace loom {

namespace {

/// The preview shows this many samples of each class, so that every class is seen.
constexpr int kSamplesPerClass = 4;
constexpr int kMaxSamples = 60;
constexpr int kThumbnail = 56;

const char* const kNormalizations[] = {"divide_255", "mean_std", "none"};

QString withThousands(int64_t n) {
    return QLocale().toString(static_cast<qlonglong>(n));
}

int64_t classOf(const Dataset& data, int64_t i) {
    return static_cast<int64_t>(data.targets.data<float>()[i]);
}

std::vector<int64_t> countsOf(const std::optional<Dataset>& data, size_t classes) {
    std::vector<int64_t> counts = data ? data->classCounts() : std::vector<int64_t>{};
    counts.resize(classes, 0);
    return counts;
}

/// The settings that decide the classes and the shape of the samples: the section without
/// its normalisation and splits.
nlohmann::json samplesSource(nlohmann::json section) {
    for (const char* key : {"normalization", "validation_split", "test_split", "split_seed"}) {
        section.erase(key);
    }
    return section;
}

/// What loading a preview produced, handed from the worker thread to the GUI thread.
struct LoadResult {
    std::optional<LoadedData> data;
    QString error;
    /// Stored last by the loader thread and loaded first by the GUI thread: the hand-off
    /// ThreadSanitizer can see (QThread::finished is ordered by a futex inside Qt it cannot).
    std::atomic<bool> done{false};
};

}  // namespace

DatasetPanel::DatasetPanel(QWidget* parent) : QWidget(parent) {
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(createSettings());
    splitter->addWidget(createPreview());
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
    updateSourceRows();
}

DatasetPanel::~DatasetPanel() {
    if (m_loader) {
        // Its finished() handler, which would delete it, no longer runs once this is gone.
        m_loader->wait();
        delete m_loader;
    }
}

QWidget* DatasetPanel::createSettings() {
    auto* settings = new QWidget(this);
    m_form = new QFormLayout(settings);
    m_source = new QComboBox(settings);
    m_source->setObjectName(QStringLiteral("dataSource"));
    m_source->addItems(
        {tr("Fashion-MNIST"), tr("IDX files (MNIST format)"), tr("Image folder"), tr("CSV file")});
    m_form->addRow(tr("Source"), m_source);
    addLocationRow(m_form);
    m_labelSource = new QComboBox(settings);
    m_labelSource->addItems({tr("sub-folder (cat/1.jpg)"), tr("file-name prefix (cat.1.jpg)")});
    m_form->addRow(tr("Labels from"), m_labelSource);
    auto* size = new QWidget(settings);
    auto* sizeRow = new QHBoxLayout(size);
    sizeRow->setContentsMargins(0, 0, 0, 0);
    m_imageHeight = new QSpinBox(size);
    m_imageWidth = new QSpinBox(size);
    for (QSpinBox* side : {m_imageHeight, m_imageWidth}) {
        side->setRange(4, 1024);
        side->setValue(32);
    }
    m_grayscale = new QCheckBox(tr("grey"), size);
    m_crop = new QCheckBox(tr("crop to fit"), size);
    m_crop->setObjectName(QStringLiteral("cropToFit"));
    m_crop->setToolTip(
        tr("Images of another shape: take their centred part of this shape "
           "instead of stretching the whole image"));
    sizeRow->addWidget(m_imageHeight);
    sizeRow->addWidget(new QLabel(QStringLiteral("×"), size));
    sizeRow->addWidget(m_imageWidth);
    sizeRow->addWidget(m_grayscale);
    sizeRow->addWidget(m_crop);
    m_form->addRow(tr("Resize to"), size);
    m_labelColumn = new QLineEdit(settings);
    m_labelColumn->setPlaceholderText(tr("name or index; empty: the last column"));
    m_form->addRow(tr("Label column"), m_labelColumn);
    m_regression = new QCheckBox(tr("numbers to predict (regression)"), settings);
    m_form->addRow(QString(), m_regression);
    m_normalization = new QComboBox(settings);
    m_normalization->addItems({tr("divide by 255"), tr("mean and std per channel"), tr("none")});
    m_form->addRow(tr("Normalisation"), m_normalization);
    m_validationSplit = new CompactDoubleSpinBox(settings);
    m_testSplit = new CompactDoubleSpinBox(settings);
    for (QDoubleSpinBox* split : {m_validationSplit, m_testSplit}) {
        split->setRange(0, 0.9);
        split->setStepType(QAbstractSpinBox::DefaultStepType);
        split->setSingleStep(0.05);
    }
    m_form->addRow(tr("Validation split"), m_validationSplit);
    m_form->addRow(tr("Test split"), m_testSplit);
    m_splitSeed = new QSpinBox(settings);
    m_splitSeed->setRange(0, std::numeric_limits<int>::max());
    m_splitSeed->setValue(12345);
    m_form->addRow(tr("Split seed"), m_splitSeed);
    auto* load = new QPushButton(tr("Load preview"), settings);
    load->setObjectName(QStringLiteral("loadPreview"));
    connect(load, &QPushButton::clicked, this, &DatasetPanel::loadPreview);
    m_form->addRow(QString(), load);

    connect(m_source, &QComboBox::currentIndexChanged, this, &DatasetPanel::updateSourceRows);
    for (QComboBox* c : {m_source, m_labelSource, m_normalization}) {
        connect(c, &QComboBox::currentIndexChanged, this, &DatasetPanel::settingChanged);
    }
    for (QLineEdit* e : {m_location, m_labelsFile, m_labelColumn}) {
        connect(e, &QLineEdit::editingFinished, this, &DatasetPanel::settingChanged);
    }
    for (QCheckBox* b : {m_grayscale, m_crop, m_regression}) {
        connect(b, &QCheckBox::toggled, this, &DatasetPanel::settingChanged);
    }
    for (QSpinBox* s : {m_imageHeight, m_imageWidth, m_splitSeed}) {
        connect(s, &QSpinBox::valueChanged, this, &DatasetPanel::settingChanged);
    }
    for (QDoubleSpinBox* s : {m_validationSplit, m_testSplit}) {
        connect(s, &QDoubleSpinBox::valueChanged, this, &DatasetPanel::settingChanged);
    }
    return settings;
}

void DatasetPanel::addLocationRow(QFormLayout* form) {
    for (QLineEdit** edit : {&m_location, &m_labelsFile}) {
        auto* row = new QWidget(form->parentWidget());
        auto* layout = new QHBoxLayout(row);
        layout->setContentsMargins(0, 0, 0, 0);
        *edit = new QLineEdit(row);
        auto* browseButton = new QPushButton(tr("Browse…"), row);
        QLineEdit* target = *edit;
        connect(browseButton, &QPushButton::clicked, this, [this, target] {
            browse(target, target == m_location && (source() == Source::FashionMnist ||
                                                    source() == Source::ImageFolder));
        });
        layout->addWidget(*edit, 1);
        layout->addWidget(browseButton);
        form->addRow(edit == &m_location ? tr("Location") : tr("Labels file"), row);
    }
    m_location->setText(QString::fromUtf8(kDefaultFashionMnistFolder));
}

QWidget* DatasetPanel::createPreview() {
    auto* preview = new QWidget(this);
    m_summary = new QLabel(tr("Load a preview to see the data."), preview);
    m_summary->setObjectName(QStringLiteral("dataSummary"));
    m_summary->setWordWrap(true);
    m_samples = new QListWidget(preview);
    m_samples->setObjectName(QStringLiteral("samples"));
    m_samples->setViewMode(QListView::IconMode);
    m_samples->setIconSize(QSize(kThumbnail, kThumbnail));
    m_samples->setGridSize(QSize(kThumbnail + 40, kThumbnail + 26));
    m_samples->setResizeMode(QListView::Adjust);
    m_samples->setMovement(QListView::Static);
    m_samples->setToolTip(tr("Double-click a sample to look inside the trained network with it"));
    connect(m_samples, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { chooseSample(m_samples->row(item)); });
    m_classCounts = new QTableWidget(0, 4, preview);
    m_classCounts->setObjectName(QStringLiteral("classCounts"));
    m_classCounts->setHorizontalHeaderLabels(
        {tr("Class"), tr("Training"), tr("Validation"), tr("Test")});
    m_classCounts->verticalHeader()->hide();
    m_classCounts->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_classCounts->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_skipped = new QPlainTextEdit(preview);
    m_skipped->setObjectName(QStringLiteral("skippedFiles"));
    m_skipped->setReadOnly(true);
    m_skipped->setMaximumHeight(90);
    m_skipped->hide();
    auto* columns = new QSplitter(Qt::Horizontal, preview);
    columns->addWidget(m_samples);
    columns->addWidget(m_classCounts);
    columns->setStretchFactor(0, 3);
    columns->setStretchFactor(1, 1);
    m_augmentation = new AugmentationPanel(preview);
    connect(m_augmentation, &AugmentationPanel::changed, this, &DatasetPanel::settingChanged);
    auto* layout = new QVBoxLayout(preview);
    layout->addWidget(m_summary);
    layout->addWidget(columns, 1);
    layout->addWidget(m_augmentation);
    layout->addWidget(m_skipped);
    return preview;
}

DatasetPanel::Source DatasetPanel::source() const {
    return static_cast<Source>(m_source->currentIndex());
}

void DatasetPanel::updateSourceRows() {
    const Source s = source();
    m_form->setRowVisible(m_labelsFile->parentWidget(), s == Source::Idx);
    m_form->setRowVisible(m_labelSource, s == Source::ImageFolder);
    m_form->setRowVisible(m_grayscale->parentWidget(), s == Source::ImageFolder);
    m_form->setRowVisible(m_labelColumn, s == Source::Csv);
    m_form->setRowVisible(m_regression, s == Source::Csv);
    // Fashion-MNIST comes with its own test set.
    m_form->setRowVisible(m_testSplit, s != Source::FashionMnist);
    m_location->setPlaceholderText(s == Source::Idx ? tr("images file") : QString());
}

void DatasetPanel::browse(QLineEdit* into, bool folder) {
    const QString start = into->text();
    const QString path = folder
                             ? QFileDialog::getExistingDirectory(this, tr("Choose a folder"), start)
                             : QFileDialog::getOpenFileName(this, tr("Choose a file"), start);
    if (!path.isEmpty()) {
        into->setText(path);
        settingChanged();
    }
}

void DatasetPanel::settingChanged() {
    if (!m_updating) {
        emit dataSectionChanged();
        dropStaleFacts();
    }
}

void DatasetPanel::setFacts(std::optional<DataFacts> facts, const nlohmann::json& section) {
    m_factsSource = samplesSource(section);
    // Settings changed while the preview loaded leave it describing other samples.
    m_facts = m_factsSource == samplesSource(dataSection()) ? std::move(facts) : std::nullopt;
    emit dataFactsChanged();
}

void DatasetPanel::dropStaleFacts() {
    if (m_facts && samplesSource(dataSection()) != m_factsSource) {
        m_facts.reset();
        emit dataFactsChanged();
    }
}

QString DatasetPanel::sourceSpec() const {
    const QString where = m_location->text().trimmed();
    switch (source()) {
        case Source::FashionMnist:
            return where.isEmpty() || where == QString::fromUtf8(kDefaultFashionMnistFolder)
                       ? QStringLiteral("fashion-mnist")
                       : QStringLiteral("fashion-mnist:") + where;
        case Source::Idx:
            return QStringLiteral("idx:%1,%2").arg(where, m_labelsFile->text().trimmed());
        case Source::ImageFolder:
            return QStringLiteral("folder:") + where;
        case Source::Csv:
            return QStringLiteral("csv:") + where;
    }
    return {};
}

nlohmann::json DatasetPanel::dataSection() const {
    // Settings this panel has no field for (an image budget, how to treat NaN cells) stay as
    // the project has them; those it shows are written afresh.
    nlohmann::json section = m_shownSection;
    for (const char* shown :
         {"source", "path", "normalization", "validation_split", "split_seed", "test_split",
          "labels", "size", "grayscale", "resize", "label_column", "regression", "augmentation"}) {
        section.erase(shown);
    }
    section["source"] = sourceSpec().toStdString();
    if (const nlohmann::json augmentation = m_augmentation->section(); !augmentation.is_null()) {
        section["augmentation"] = augmentation;
    }
    section["normalization"] = kNormalizations[m_normalization->currentIndex()];
    section["validation_split"] = m_validationSplit->value();
    section["split_seed"] = m_splitSeed->value();
    if (source() != Source::FashionMnist) {
        section["test_split"] = m_testSplit->value();
    }
    if (source() == Source::ImageFolder) {
        section["labels"] = m_labelSource->currentIndex() == 1 ? "prefix" : "subfolder";
        section["size"] = {m_imageHeight->value(), m_imageWidth->value()};
        section["grayscale"] = m_grayscale->isChecked();
        section["resize"] = m_crop->isChecked() ? "crop" : "stretch";
    }
    if (source() == Source::Csv) {
        section["label_column"] = m_labelColumn->text().trimmed().toStdString();
        section["regression"] = m_regression->isChecked();
    }
    return section;
}

void DatasetPanel::setDataSection(const nlohmann::json& section) {
    m_updating = true;
    m_shownSection = section.is_object() ? section : nlohmann::json::object();
    const QString spec = QString::fromStdString(section.value("source", "fashion-mnist"));
    const QString kind = spec.section(':', 0, 0);
    const QString where = spec.section(':', 1);
    const QStringList kinds = {QStringLiteral("fashion-mnist"), QStringLiteral("idx"),
                               QStringLiteral("folder"), QStringLiteral("csv")};
    m_source->setCurrentIndex(std::max<int>(0, static_cast<int>(kinds.indexOf(kind))));
    m_location->setText(
        where.isEmpty() && source() == Source::FashionMnist
            ? QString::fromStdString(section.value("path", kDefaultFashionMnistFolder))
            : where.section(',', 0, 0));
    m_labelsFile->setText(source() == Source::Idx ? where.section(',', 1) : QString());
    m_labelSource->setCurrentIndex(section.value("labels", "subfolder") == "prefix" ? 1 : 0);
    const std::vector<int> size = section.value("size", std::vector<int>{32, 32});
    m_imageHeight->setValue(size.size() == 2 ? size[0] : 32);
    m_imageWidth->setValue(size.size() == 2 ? size[1] : 32);
    m_grayscale->setChecked(section.value("grayscale", false));
    m_crop->setChecked(section.value("resize", "stretch") == "crop");
    m_augmentation->setSection(section.value("augmentation", nlohmann::json()));
    m_labelColumn->setText(QString::fromStdString(section.value("label_column", "")));
    m_regression->setChecked(section.value("regression", false));
    const std::string normalization = section.value("normalization", "divide_255");
    m_normalization->setCurrentIndex(normalization == "mean_std" ? 1
                                     : normalization == "none"   ? 2
                                                                 : 0);
    m_validationSplit->setValue(section.value("validation_split", 0.0));
    m_testSplit->setValue(section.value("test_split", 0.0));
    m_splitSeed->setValue(section.value("split_seed", 12345));
    m_updating = false;
    updateSourceRows();
    dropStaleFacts();
}

void DatasetPanel::loadPreview() {
    if (m_loader) {
        return;
    }
    nlohmann::json section = dataSection();
    // The preview shows pictures as they are; normalising would only cost time.
    section["normalization"] = "none";
    m_summary->setText(tr("Loading…"));
    auto result = std::make_shared<LoadResult>();
    m_loader = QThread::create([section, result] {
        try {
            result->data = loadData("", section, Shape{});
        } catch (const std::exception& e) {
            result->error = QString::fromUtf8(e.what());
        }
        result->done.store(true, std::memory_order_release);
    });
    connect(m_loader, &QThread::finished, this, [this, result, section] {
        m_loader->deleteLater();
        m_loader = nullptr;
        if (result->done.load(std::memory_order_acquire) && result->data) {
            setFacts(dataFactsOf(*result->data, section), section);
            showPreview(*result->data);
        } else {
            setFacts(std::nullopt, section);
            showFailure(result->error);
        }
    });
    m_loader->start();
}

void DatasetPanel::showPreview(const LoadedData& data) {
    showSamples(data.train);
    showClassCounts(data.train.isClassification() ? data.train : Dataset{});
    if (data.train.isClassification()) {
        const size_t classes = data.train.classNames.size();
        const std::vector<int64_t> validation = countsOf(data.validation, classes);
        const std::vector<int64_t> test = countsOf(data.test, classes);
        for (size_t c = 0; c < classes; ++c) {
            m_classCounts->setItem(int(c), 2, new QTableWidgetItem(withThousands(validation[c])));
            m_classCounts->setItem(int(c), 3, new QTableWidgetItem(withThousands(test[c])));
        }
    }
    showSummary(data);
    showSkipped(data.skipped);
    emit previewLoaded();
}

void DatasetPanel::showSamples(const Dataset& data) {
    m_samples->clear();
    std::vector<int64_t> rows;
    std::vector<int> shown(data.classNames.size(), 0);
    for (int64_t i = 0; i < data.size() && int64_t(rows.size()) < kMaxSamples; ++i) {
        QString label;
        if (data.isClassification()) {
            const int64_t c = classOf(data, i);
            if (c < 0 || c >= data.classCount() || shown[size_t(c)]++ >= kSamplesPerClass) {
                continue;
            }
            label = QString::fromStdString(data.classNames[size_t(c)]);
        } else {
            label = QString::number(
                data.targets.data<float>()[i * (data.targets.numel() / data.size())]);
        }
        const QImage image = sampleImage(data.samples, i);
        auto* item = new QListWidgetItem(label, m_samples);
        item->setData(Qt::UserRole, QVariant::fromValue(i + 1));
        if (!image.isNull()) {
            item->setIcon(QIcon(
                QPixmap::fromImage(image.scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio))));
        }
        rows.push_back(i);
    }
    m_shownSamples = data.subset(rows).samples;
    m_augmentation->setSamples(m_shownSamples);
}

void DatasetPanel::chooseSample(int row) {
    if (row < 0 || !m_shownSamples.defined() || row >= m_shownSamples.shape()[0]) {
        return;
    }
    const QListWidgetItem* item = m_samples->item(row);
    const QString name =
        tr("training sample %1 (%2)").arg(item->data(Qt::UserRole).toLongLong()).arg(item->text());
    emit sampleChosen(m_shownSamples.slice(row, row + 1).clone(), sampleImage(m_shownSamples, row),
                      name);
}

void DatasetPanel::showClassCounts(const Dataset& data) {
    m_classCounts->setRowCount(0);
    const std::vector<int64_t> counts =
        data.isClassification() ? data.classCounts() : std::vector<int64_t>{};
    m_classCounts->setRowCount(static_cast<int>(counts.size()));
    for (size_t c = 0; c < counts.size(); ++c) {
        m_classCounts->setItem(int(c), 0,
                               new QTableWidgetItem(QString::fromStdString(data.classNames[c])));
        m_classCounts->setItem(int(c), 1, new QTableWidgetItem(withThousands(counts[c])));
    }
}

void DatasetPanel::showSummary(const LoadedData& data) {
    QString text = tr("%1 training samples of shape %2")
                       .arg(withThousands(data.train.size()),
                            QString::fromStdString(data.train.sampleShape().str()));
    if (data.validation) {
        text += tr(", %1 for validation").arg(withThousands(data.validation->size()));
    }
    if (data.test) {
        text += tr(", %1 for testing").arg(withThousands(data.test->size()));
    }
    text += data.train.isClassification()
                ? (data.train.classCount() == 1 ? tr("; one class.")
                                                : tr("; %1 classes.").arg(data.train.classCount()))
                : tr("; values to predict (regression).");
    m_summary->setStyleSheet(QString());
    m_summary->setText(text);
}

void DatasetPanel::showSkipped(const std::vector<SkippedFile>& skipped) {
    QStringList lines;
    for (const SkippedFile& s : skipped) {
        lines << QStringLiteral("%1: %2").arg(QString::fromStdString(s.path),
                                              QString::fromStdString(s.reason));
    }
    m_skipped->setPlainText(lines.isEmpty() ? QString()
                                            : tr("Skipped, not used (%1):\n").arg(lines.size()) +
                                                  lines.join('\n'));
    m_skipped->setVisible(!lines.isEmpty());
}

void DatasetPanel::showFailure(const QString& message) {
    m_summary->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_summary->setText(tr("Cannot load the data: %1").arg(message));
    emit loadFailed(message);
}

}  // namespace loom
