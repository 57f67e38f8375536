// ProgressPump, the GUI end of a worker's progress: what a worker thread reports reaches the
// handler on the GUI thread, every event once and in order, only while the pump is started
// (or when drained by hand); watching a run, it says once, after the run's last events, that
// the run ended; and it measures stalls of the event loop and slow drains.

#include "ProgressPump.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QThread>
#include <QtTest>

#include <thread>
#include <vector>

using namespace loom;

namespace {

/// What the handler saw.
struct Seen {
    std::vector<int64_t> steps;  ///< of the BatchProgress events, in arrival order
    int calls = 0;
    bool offTheGuiThread = false;
};

ProgressPump::Handler recorder(Seen& seen) {
    return [&seen](std::vector<ProgressEvent>&& events) {
        ++seen.calls;
        seen.offTheGuiThread |= QThread::currentThread() != QCoreApplication::instance()->thread();
        for (const ProgressEvent& e : events) {
            if (const auto* b = std::get_if<BatchProgress>(&e)) {
                seen.steps.push_back(b->step);
            }
        }
    };
}

BatchProgress step(int64_t n) {
    BatchProgress b;
    b.step = n;
    return b;
}

}  // namespace

class TestProgressPump : public QObject {
    Q_OBJECT

private slots:
    void handsOnAWorkersEventsInOrderOnTheGuiThread() {
        Seen seen;
        ProgressPump pump(recorder(seen));
        pump.start();
        constexpr int64_t kEvents = 5000;
        std::thread worker([&pump] {
            for (int64_t i = 1; i <= kEvents; ++i) {
                pump.queue().report(step(i));
            }
        });
        const auto joinWorker = qScopeGuard([&worker] { worker.join(); });
        QTRY_COMPARE_WITH_TIMEOUT(seen.steps.size(), size_t(kEvents), 10000);
        for (int64_t i = 0; i < kEvents; ++i) {
            QCOMPARE(seen.steps[size_t(i)], i + 1);
        }
        QVERIFY(!seen.offTheGuiThread);
        // Far fewer calls than events: the pump batches what arrived between two ticks.
        QVERIFY2(seen.calls < kEvents / 10, qPrintable(QString::number(seen.calls)));
    }

    void tellsWhenARunEndedAfterItsLastEvents() {
        Seen seen;
        ProgressPump pump(recorder(seen));
        constexpr int64_t kEvents = 300;
        BackgroundRun run([&pump](RunControl&) {
            for (int64_t i = 1; i <= kEvents; ++i) {
                pump.queue().report(step(i));
            }
        });
        size_t stepsWhenEnded = 0;
        int endings = 0;
        bool endedOffTheGuiThread = false;
        pump.start(run, [&] {
            ++endings;
            stepsWhenEnded = seen.steps.size();
            endedOffTheGuiThread =
                QThread::currentThread() != QCoreApplication::instance()->thread();
        });
        QTRY_COMPARE_WITH_TIMEOUT(endings, 1, 10000);
        QCOMPARE(stepsWhenEnded, size_t(kEvents));  // every event came before the ending
        QVERIFY(!endedOffTheGuiThread);
        // The pump stopped: later ticks neither call the handler nor end the run again.
        const int calls = seen.calls;
        bool waited = false;
        QTimer::singleShot(5 * ProgressPump::kIntervalMs, [&waited] { waited = true; });
        QTRY_VERIFY(waited);
        QCOMPARE(seen.calls, calls);
        QCOMPARE(endings, 1);
    }

    void drainNowHandsOnWhatIsQueuedWithoutTicking() {
        Seen seen;
        ProgressPump pump(recorder(seen));
        pump.queue().report(step(1));
        pump.queue().report(LogMessage{"not a batch"});
        pump.queue().report(step(2));
        pump.drainNow();
        QCOMPARE(seen.calls, 1);
        QCOMPARE(seen.steps, (std::vector<int64_t>{1, 2}));
        pump.drainNow();  // nothing left: the handler gets an empty list
        QCOMPARE(seen.calls, 2);
        QCOMPARE(seen.steps.size(), size_t(2));
    }

    void aStoppedPumpHandsOnNothing() {
        Seen seen;
        ProgressPump pump(recorder(seen));
        pump.start();
        QTRY_VERIFY(seen.calls >= 2);  // ticking
        pump.stop();
        const int callsWhenStopped = seen.calls;
        pump.queue().report(step(7));
        // Several intervals of the event loop running: no tick comes.
        bool waited = false;
        QTimer::singleShot(5 * ProgressPump::kIntervalMs, [&waited] { waited = true; });
        QTRY_VERIFY(waited);
        QCOMPARE(seen.calls, callsWhenStopped);
        QVERIFY(seen.steps.empty());
        pump.drainNow();  // the event was kept, not lost
        QCOMPARE(seen.steps, (std::vector<int64_t>{7}));
    }

    void measuresStallsAndSlowDrains() {
        Seen seen;
        bool slow = false;
        ProgressPump pump([&](std::vector<ProgressEvent>&& events) {
            recorder(seen)(std::move(events));
            if (slow) {
                slow = false;
                QElapsedTimer work;  // a handler busy for 150 ms holds up the next tick
                work.start();
                while (work.elapsed() < 150) {
                }
            }
        });
        pump.start();
        QTRY_VERIFY(seen.calls >= 1);
        slow = true;
        const int before = seen.calls;
        QTRY_VERIFY(seen.calls >= before + 2);  // the slow tick and the one after it
        QVERIFY2(pump.longestDrainMs() >= 150, qPrintable(QString::number(pump.longestDrainMs())));
        // The tick after it came at least 150 ms after the slow one began: 117 ms beyond the
        // 33 ms interval.
        QVERIFY2(pump.longestStallMs() >= 150 - ProgressPump::kIntervalMs - 1,
                 qPrintable(QString::number(pump.longestStallMs())));
        pump.start();  // a new run measures afresh
        QCOMPARE(pump.longestStallMs(), 0.0);
        QCOMPARE(pump.longestDrainMs(), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestProgressPump)
#include "TestProgressPump.moc"
