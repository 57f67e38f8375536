#pragma once
// Catching the message of an expected exception, so a test can check what it says.

#include <QString>

#include <exception>
#include <functional>

namespace loom::testing {

/// The message of the E that action throws; "no exception" or "wrong exception type: ..."
/// otherwise, so that a QVERIFY on the expected words fails with something readable.
template <class E>
QString messageOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const E& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return "wrong exception type: " + QString::fromStdString(e.what());
    }
    return "no exception";
}

}  // namespace loom::testing
