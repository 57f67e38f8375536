#include "NetworkChecksView.h"

#include <QEvent>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

namespace loom {

namespace {

const char* const kRowName = "networkWarning";
const char* const kLayerProperty = "layer";

}  // namespace

NetworkChecksView::NetworkChecksView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("networkChecks"));
    m_list = new QWidget(this);
    m_rows = new QVBoxLayout(m_list);
    m_rows->setContentsMargins(4, 4, 4, 4);
    m_rows->setSpacing(4);
    m_noProblems = new QLabel(tr("No problems found"), m_list);
    m_noProblems->setObjectName(QStringLiteral("noProblems"));
    m_noProblems->setEnabled(false);
    m_rows->addWidget(m_noProblems);
    m_rows->addStretch(1);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_list);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    // Messages wrap to the width instead of scrolling sideways.
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
}

void NetworkChecksView::setWarnings(const std::vector<NetworkWarning>& warnings) {
    m_warnings = warnings;
    qDeleteAll(m_list->findChildren<QFrame*>(kRowName, Qt::FindDirectChildrenOnly));
    for (const NetworkWarning& warning : m_warnings) {
        // Before the stretch that keeps the rows at the top.
        m_rows->insertWidget(m_rows->count() - 1, createRow(warning));
    }
    m_noProblems->setVisible(m_warnings.empty());
}

QWidget* NetworkChecksView::createRow(const NetworkWarning& warning) {
    auto* row = new QFrame(m_list);
    row->setObjectName(kRowName);
    row->setStyleSheet(QStringLiteral(
        "QFrame#networkWarning { background: #fff8e1; border-left: 4px solid #ffb300; }"));
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(8, 6, 6, 6);
    auto* sign = new QLabel(QStringLiteral("⚠"), row);
    sign->setStyleSheet(QStringLiteral("color: #b26a00;"));
    auto* message = new QLabel(QString::fromStdString(warning.message), row);
    message->setWordWrap(true);
    layout->addWidget(sign, 0, Qt::AlignTop);
    layout->addWidget(message, 1);
    if (warning.fix) {
        // A tool button: as narrow as its word, so that the message keeps the width of a dock.
        auto* fix = new QToolButton(row);
        fix->setText(tr("Fix"));
        fix->setToolTip(QString::fromStdString(describeFix(*warning.fix)));
        connect(fix, &QToolButton::clicked, this, [this, requested = *warning.fix] {
            // Applying the fix checks the network again, which replaces this button: ask once
            // its click is over.
            QMetaObject::invokeMethod(
                this, [this, requested] { emit fixRequested(requested); }, Qt::QueuedConnection);
        });
        layout->addWidget(fix, 0, Qt::AlignTop);
    }
    if (!warning.layer.empty()) {
        const QString layer = QString::fromStdString(warning.layer);
        row->setProperty(kLayerProperty, layer);
        row->setCursor(Qt::PointingHandCursor);
        row->setToolTip(tr("Click to select '%1' on the canvas").arg(layer));
        row->installEventFilter(this);
    }
    return row;
}

bool NetworkChecksView::eventFilter(QObject* watched, QEvent* event) {
    // Only rows about a layer are watched; the labels in them pass their clicks on to the row.
    if (event->type() == QEvent::MouseButtonRelease &&
        static_cast<QMouseEvent*>(event)->button() == Qt::LeftButton) {
        event->accept();
        emit layerActivated(watched->property(kLayerProperty).toString());
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

std::map<std::string, int64_t> parameterCountsOf(const NetworkAnalysis& analysis) {
    std::map<std::string, int64_t> counts;
    for (const auto& [name, layer] : analysis.layers) {
        if (layer.parameters) {
            counts[name] = *layer.parameters;
        }
    }
    return counts;
}

}  // namespace loom
