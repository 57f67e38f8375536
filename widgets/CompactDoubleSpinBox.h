#pragma once

#include <QDoubleSpinBox>

namespace loom {

/// CompactDoubleSpinBox: a real number shown as a person writes it ("0.001", "1e-07", "0.9"),
/// not padded to a fixed count of decimals, and typed in either form.
class CompactDoubleSpinBox : public QDoubleSpinBox {
    Q_OBJECT

public:
    explicit CompactDoubleSpinBox(QWidget* parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& position) const override;
};

}  // namespace loom
