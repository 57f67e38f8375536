#include "CompactDoubleSpinBox.h"

namespace loom {

CompactDoubleSpinBox::CompactDoubleSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    // Enough decimals that the range check never rounds a small rate such as 1e-7 to zero.
    setDecimals(12);
    setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    setKeyboardTracking(false);
}

QString CompactDoubleSpinBox::textFromValue(double value) const {
    return QString::number(value, 'g', 8);
}

double CompactDoubleSpinBox::valueFromText(const QString& text) const {
    return locale().toDouble(text.trimmed());
}

QValidator::State CompactDoubleSpinBox::validate(QString& text, int&) const {
    bool ok = false;
    locale().toDouble(text.trimmed(), &ok);
    // Half-typed numbers ("1e-", "-") are fine while the person types.
    return ok ? QValidator::Acceptable : QValidator::Intermediate;
}

}  // namespace loom
