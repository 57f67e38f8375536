#include "NewFromPretrainedDialog.h"

#include <loom/ArtModel.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/ModelFile.h>
#include <loom/Transfer.h>

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QVBoxLayout>

namespace loom {

namespace {

/// The fetched networks a base can be, with the names loadPretrainedModel knows them by.
const std::pair<const char*, const char*> kFetchedNetworks[] = {
    {"MobileNetV2", "mobilenet_v2"},
    {"InceptionV3", "inception_v3"},
};

/// A source is a fetched network's name or a model file's path.
bool isFile(const QString& source) {
    return source.contains(QLatin1Char('/'));
}

/// The classes of an image folder as loadData reads it: the sub-folders of its train/ folder
/// (or of itself); without sub-folders, the file name prefixes (cat.1.jpg).
struct FolderClasses {
    int count = 0;
    bool fromPrefixes = false;
};

FolderClasses folderClasses(const QString& folder) {
    QDir dir(folder);
    if (dir.exists(QStringLiteral("train"))) {
        dir.cd(QStringLiteral("train"));
    }
    const QStringList classes = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    if (!classes.isEmpty()) {
        return {static_cast<int>(classes.size()), false};
    }
    QSet<QString> prefixes;
    for (const QString& file : dir.entryList(QDir::Files)) {
        prefixes.insert(file.section(QLatin1Char('.'), 0, 0));
    }
    return {static_cast<int>(prefixes.size()), true};
}

}  // namespace

NewFromPretrainedDialog::NewFromPretrainedDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("New from a Pretrained Network"));
    createForm();
    chooseNetwork(0);
}

NewFromPretrainedDialog::~NewFromPretrainedDialog() = default;

void NewFromPretrainedDialog::createForm() {
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("The network's layers up to the cut keep what they learned (frozen, shown as one "
           "group); a new head learns your classes: global average pooling, dropout and a "
           "softmax layer."),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    m_form = form;
    layout->addLayout(form);

    m_network = new QComboBox(this);
    for (const auto& [title, name] : kFetchedNetworks) {
        m_network->addItem(QString::fromLatin1(title), QString::fromLatin1(name));
    }
    m_network->addItem(tr("Another model file..."), QString());
    form->addRow(tr("Pretrained network"), m_network);
    m_cut = new QComboBox(this);
    m_cut->setToolTip(
        tr("The base's last layer kept. Later layers are more specific to what the network "
           "was trained on; earlier ones keep more general features of pictures."));
    form->addRow(tr("Cut after"), m_cut);
    m_side = new QSpinBox(this);
    m_side->setSuffix(tr(" px"));
    m_side->setToolTip(
        tr("Pictures are resized to this many pixels a side (grey ones made "
           "RGB); smaller trains faster, the network's own size sees most."));
    form->addRow(tr("Picture size"), m_side);

    m_data = new QComboBox(this);
    m_data->addItem(tr("Fashion-MNIST"), QStringLiteral("fashion-mnist"));
    m_data->addItem(tr("Image folder..."), QStringLiteral("folder"));
    form->addRow(tr("Data"), m_data);
    m_folder = new QLabel(this);
    m_folder->setWordWrap(true);
    form->addRow(QString(), m_folder);
    form->setRowVisible(m_folder, false);
    m_classes = new QSpinBox(this);
    m_classes->setRange(2, 100000);
    m_classes->setValue(10);
    form->addRow(tr("Classes"), m_classes);
    m_dropout = new QDoubleSpinBox(this);
    m_dropout->setRange(0, 0.9);
    m_dropout->setSingleStep(0.1);
    m_dropout->setValue(0.2);
    form->addRow(tr("Head dropout"), m_dropout);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->setStyleSheet(QStringLiteral("color: #b3261e"));
    layout->addWidget(m_problem);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Create"));
    layout->addWidget(m_buttons);

    connect(m_network, &QComboBox::activated, this, &NewFromPretrainedDialog::chooseNetwork);
    connect(m_cut, &QComboBox::currentIndexChanged, this, &NewFromPretrainedDialog::chooseCut);
    connect(m_data, &QComboBox::activated, this, &NewFromPretrainedDialog::chooseData);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &NewFromPretrainedDialog::build);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void NewFromPretrainedDialog::chooseNetwork(int index) {
    const QString source = m_network->itemData(index).toString();
    if (source.isEmpty()) {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("A pretrained model"), QString(),
            tr("Models with weights (*.loom *.h5 *.hdf5 *.keras *.onnx model.json)"));
        if (path.isEmpty() || !useModelFile(path)) {
            m_network->setCurrentIndex(m_network->findData(m_source));
        }
        return;
    }
    if (m_bases.count(source) == 0) {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        try {
            m_bases.emplace(source, loadPretrainedModel(source.toStdString()));
            QApplication::restoreOverrideCursor();
        } catch (const Error& e) {
            QApplication::restoreOverrideCursor();
            m_source = source;
            m_cut->clear();
            refuse(QString::fromUtf8(e.what()));
            return;
        }
    }
    showBase(source);
}

bool NewFromPretrainedDialog::useModelFile(const QString& path) {
    QApplication::setOverrideCursor(Qt::WaitCursor);
    try {
        ModelFile model = readModelFile(QFile::encodeName(path).toStdString());
        QApplication::restoreOverrideCursor();
        if (!model.hasWeights) {
            refuse(tr("%1 has no trained weights: a base passes on what it learned.")
                       .arg(QFileInfo(path).fileName()));
            return false;
        }
        const QString source = QFileInfo(path).absoluteFilePath();
        if (m_network->findData(source) < 0) {
            m_network->insertItem(m_network->count() - 1, QFileInfo(path).fileName(), source);
        }
        m_network->setCurrentIndex(m_network->findData(source));
        m_bases.insert_or_assign(source, std::move(model.graph));
        showBase(source);
        return true;
    } catch (const Error& e) {
        QApplication::restoreOverrideCursor();
        refuse(QString::fromUtf8(e.what()));
        return false;
    }
}

void NewFromPretrainedDialog::showBase(const QString& source) {
    m_source = source;
    const Graph& base = m_bases.at(source);
    std::string defaultCut;
    try {
        defaultCut = defaultCutLayer(base);
    } catch (const Error& e) {
        refuse(QString::fromUtf8(e.what()));
        return;
    }
    const QSignalBlocker quiet(m_cut);
    m_cut->clear();
    for (const Graph::Node& node : base.nodes()) {
        if (node.outputShape.rank() == 3) {
            const QString name = QString::fromStdString(node.layer->name());
            m_cut->addItem(
                QStringLiteral("%1  %2").arg(name, QString::fromStdString(node.outputShape.str())),
                name);
        }
    }
    const Shape input = base.node(base.inputNames().front()).outputShape;
    m_baseSide = static_cast<int>(input[1]);
    m_side->setMaximum(std::max(1024, m_baseSide));
    m_cut->setCurrentIndex(m_cut->findData(QString::fromStdString(defaultCut)));
    chooseCut();
    suggestPictureSide();
}

void NewFromPretrainedDialog::suggestPictureSide() {
    // Fashion-MNIST's garments are 28x28: upscaling them past 96 pixels adds cost (60,000
    // pictures at 224x224 RGB are 36 GB), not detail. Photos get the size the base knows.
    m_side->setValue(m_imageFolder.isEmpty() ? std::max(m_side->minimum(), 96) : m_baseSide);
}

void NewFromPretrainedDialog::refuse(const QString& reason) {
    m_problem->setText(reason);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
}

void NewFromPretrainedDialog::chooseCut() {
    const auto base = m_bases.find(m_source);
    if (base == m_bases.end() || m_cut->currentIndex() < 0) {
        return;
    }
    try {
        const int64_t smallest =
            smallestInputSide(base->second, m_cut->currentData().toString().toStdString());
        m_side->setMinimum(static_cast<int>(smallest));
        m_problem->clear();
        m_buttons->button(QDialogButtonBox::Ok)->setEnabled(true);
    } catch (const Error& e) {
        refuse(QString::fromUtf8(e.what()));
    }
}

void NewFromPretrainedDialog::chooseData(int index) {
    if (m_data->itemData(index).toString() == QLatin1String("folder")) {
        const QString folder =
            QFileDialog::getExistingDirectory(this, tr("Image folder"), m_imageFolder);
        if (!folder.isEmpty()) {
            useImageFolder(folder);
        } else if (m_imageFolder.isEmpty()) {
            m_data->setCurrentIndex(0);
        }
        return;
    }
    m_imageFolder.clear();
    m_folder->clear();
    m_form->setRowVisible(m_folder, false);
    m_classes->setValue(10);
    suggestPictureSide();
}

void NewFromPretrainedDialog::useImageFolder(const QString& folder) {
    m_imageFolder = QFileInfo(folder).absoluteFilePath();
    m_data->setCurrentIndex(m_data->findData(QStringLiteral("folder")));
    const FolderClasses classes = folderClasses(m_imageFolder);
    m_folder->setText(
        classes.count < 2
            ? tr("%1: fewer than two classes found; set their number").arg(folder)
            : tr("%1: %2 classes (%3)")
                  .arg(folder)
                  .arg(classes.count)
                  .arg(classes.fromPrefixes ? tr("file name prefixes") : tr("one folder each")));
    m_form->setRowVisible(m_folder, true);
    m_classes->setValue(std::max(classes.count, 2));
    suggestPictureSide();
}

nlohmann::json NewFromPretrainedDialog::dataSection() const {
    nlohmann::json section = defaultDataSection();
    if (m_imageFolder.isEmpty()) {
        section["source"] = "fashion-mnist";
        return section;
    }
    section["source"] = "folder:" + m_imageFolder.toStdString();
    if (folderClasses(m_imageFolder).fromPrefixes) {
        section["labels"] = "prefix";
    }
    return section;
}

void NewFromPretrainedDialog::build() {
    const auto base = m_bases.find(m_source);
    if (base == m_bases.end()) {
        return;
    }
    TransferOptions options;
    options.cutAt = m_cut->currentData().toString().toStdString();
    options.height = options.width = m_side->value();
    options.classes = m_classes->value();
    options.dropout = m_dropout->value();
    options.group = baseName().toStdString();
    QApplication::setOverrideCursor(Qt::WaitCursor);
    try {
        m_project = transferProject(base->second, options, dataSection());
        QApplication::restoreOverrideCursor();
        accept();
    } catch (const Error& e) {
        QApplication::restoreOverrideCursor();
        refuse(QString::fromUtf8(e.what()));
    }
}

std::optional<Project> NewFromPretrainedDialog::takeProject() {
    return std::exchange(m_project, std::nullopt);
}

QString NewFromPretrainedDialog::baseName() const {
    return isFile(m_source) ? QFileInfo(m_source).completeBaseName() : m_source;
}

}  // namespace loom
