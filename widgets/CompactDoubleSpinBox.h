#pragma once

#include <QDoubleSpinBox>

#include <optional>

namespace loom {

/// CompactDoubleSpinBox: a real number shown as a person writes it ("0.001", "1e-07", "0.9"),
/// with the shortest digits that give the engine's float32 back (see shortestNumber), not
/// padded to a fixed count of decimals; typed in either form. A typed value is kept as the
/// number shown, so "0.9" stores 0.9, which the engine reads as 0.9f.
class CompactDoubleSpinBox : public QDoubleSpinBox {
    Q_OBJECT

public:
    explicit CompactDoubleSpinBox(QWidget* parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& position) const override;

private:
    std::optional<double> parse(const QString& text) const;
};

}  // namespace loom
