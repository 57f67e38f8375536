#include "CompactDoubleSpinBox.h"

#include "ShortestNumber.h"

#include <limits>

namespace loom {

namespace {

/// QDoubleSpinBox rounds every value to its decimals. These many keep the nine significant
/// digits that tell float32s apart down to the smallest normal one (1e-37), so a small rate or
/// epsilon is never rounded to another float32, or to zero.
constexpr int kDecimals =
    std::numeric_limits<float>::max_digits10 - std::numeric_limits<float>::min_exponent10 - 1;

}  // namespace

CompactDoubleSpinBox::CompactDoubleSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    setDecimals(kDecimals);
    setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    setKeyboardTracking(false);
}

QString CompactDoubleSpinBox::textFromValue(double value) const {
    return shortestNumber(value);
}

double CompactDoubleSpinBox::valueFromText(const QString& text) const {
    // Enter on the text as shown is no edit, even when the value behind it is a float32
    // widened to double (0.89999998 shown as "0.9").
    if (text.trimmed() == textFromValue(value())) {
        return value();
    }
    return shortestValue(parse(text).value_or(value()));
}

QValidator::State CompactDoubleSpinBox::validate(QString& text, int&) const {
    // Half-typed numbers ("1e-", "-") are fine while the person types.
    return parse(text) ? QValidator::Acceptable : QValidator::Intermediate;
}

/// The number as shown (C locale, "0.9"), or in the person's own locale ("0,9").
std::optional<double> CompactDoubleSpinBox::parse(const QString& text) const {
    QLocale shown = QLocale::c();
    shown.setNumberOptions(QLocale::RejectGroupSeparator);
    for (const QLocale& reading : {shown, locale()}) {
        bool ok = false;
        const double value = reading.toDouble(text.trimmed(), &ok);
        if (ok) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace loom
