#pragma once

#include "NetworkAnalysis.h"

#include <loom/NetworkChecks.h>

#include <QMetaType>
#include <QString>
#include <QWidget>

#include <map>
#include <string>
#include <vector>

class QLabel;
class QVBoxLayout;

namespace loom {

/// NetworkChecksView: the network checks' warnings as a list, amber like their marks on the
/// canvas, each with a Fix button when it comes with a fix. It changes nothing itself: a Fix
/// button asks for its fix (the window applies it as one undoable edit) and a click on a
/// warning about a layer asks for that layer (the window selects it on the canvas). With no
/// warnings it says "No problems found".
class NetworkChecksView : public QWidget {
    Q_OBJECT

public:
    explicit NetworkChecksView(QWidget* parent = nullptr);

    /// Shows these warnings instead of the last ones.
    void setWarnings(const std::vector<NetworkWarning>& warnings);
    const std::vector<NetworkWarning>& warnings() const { return m_warnings; }

signals:
    void fixRequested(const loom::NetworkFix& fix);
    void layerActivated(const QString& layer);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QWidget* createRow(const NetworkWarning& warning);

    std::vector<NetworkWarning> m_warnings;
    QWidget* m_list = nullptr;
    QVBoxLayout* m_rows = nullptr;
    QLabel* m_noProblems = nullptr;
};

/// The weight count of every layer the analysis could count, as checkNetwork takes them.
std::map<std::string, int64_t> parameterCountsOf(const NetworkAnalysis& analysis);

}  // namespace loom

Q_DECLARE_METATYPE(loom::NetworkFix)
