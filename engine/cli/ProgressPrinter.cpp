#include "cli/ProgressPrinter.h"

#include <loom/Platform.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace loom::cli {

std::string formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        return "--";
    }
    auto s = static_cast<long>(std::lround(seconds));
    char text[32];
    if (s >= 3600) {
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    } else {
        std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    }
    return text;
}

ProgressPrinter::ProgressPrinter(std::FILE* out) : m_out(out), m_terminal(isTerminal(out)) {}

void ProgressPrinter::report(const ProgressEvent& event) {
    if (const auto* b = std::get_if<BatchProgress>(&event)) {
        printBatch(*b);
    } else if (const auto* e = std::get_if<EpochProgress>(&event)) {
        printEpoch(*e);
    } else if (const auto* f = std::get_if<RunFinished>(&event)) {
        std::fprintf(m_out, "%s%s\n", m_terminal ? "\r\033[K" : "", f->message.c_str());
    } else if (const auto* m = std::get_if<LogMessage>(&event)) {
        std::fprintf(m_out, "%s%s\n", m_terminal ? "\r\033[K" : "", m->text.c_str());
    } else if (const auto* p = std::get_if<PreparationProgress>(&event)) {
        printPreparation(*p);
    }
    std::fflush(m_out);
}

// At most ten lines a second: printing every batch of a fast model would cost more than the
// batch itself. Off a terminal (a log file), one line per 10% of the epoch.
void ProgressPrinter::printBatch(const BatchProgress& b) {
    auto now = std::chrono::steady_clock::now();
    const bool last = b.batch == b.batches;
    if (m_terminal) {
        if (!last && now - m_lastLine < std::chrono::milliseconds(100)) {
            return;
        }
    } else if (b.batches >= 10 && b.batch % (b.batches / 10) != 0) {
        return;
    }
    m_lastLine = now;
    std::string accuracy =
        std::isnan(b.accuracy) ? "" : " acc " + std::to_string(b.accuracy).substr(0, 6);
    std::fprintf(m_out, "%sepoch %d/%d  batch %lld/%lld  loss %.4f%s  %.0f samples/s  ETA %s%s",
                 m_terminal ? "\r\033[K" : "", b.epoch, b.epochs, static_cast<long long>(b.batch),
                 static_cast<long long>(b.batches), b.loss, accuracy.c_str(), b.samplesPerSecond,
                 formatDuration(b.etaSeconds).c_str(), m_terminal ? "" : "\n");
}

// The engine reports a few times a second; off a terminal, one line per 10% of the work.
void ProgressPrinter::printPreparation(const PreparationProgress& p) {
    if (!m_terminal) {
        const int64_t tenths = p.done * 10 / std::max<int64_t>(p.total, 1);
        if (tenths == m_preparationTenths) {
            return;
        }
        m_preparationTenths = tenths;
    }
    std::fprintf(m_out, "%s%s  %lld/%lld samples  ETA %s%s", m_terminal ? "\r\033[K" : "",
                 p.stage.c_str(), static_cast<long long>(p.done), static_cast<long long>(p.total),
                 formatDuration(p.etaSeconds).c_str(), m_terminal ? "" : "\n");
}

void ProgressPrinter::printEpoch(const EpochProgress& e) {
    m_epochs.push_back(e);
    std::fprintf(m_out, "%sepoch %d/%d  loss %.4f", m_terminal ? "\r\033[K" : "", e.epoch, e.epochs,
                 e.loss);
    if (!std::isnan(e.accuracy)) {
        std::fprintf(m_out, "  acc %.4f", e.accuracy);
    }
    if (!std::isnan(e.validationLoss)) {
        std::fprintf(m_out, "  val_loss %.4f", e.validationLoss);
    }
    if (!std::isnan(e.validationAccuracy)) {
        std::fprintf(m_out, "  val_acc %.4f", e.validationAccuracy);
    }
    std::fprintf(m_out, "  lr %.3g  %.1f s  %.0f samples/s\n", e.learningRate, e.seconds,
                 e.samplesPerSecond);
}

void ProgressPrinter::printTable() const {
    if (m_epochs.empty()) {
        return;
    }
    std::fprintf(m_out, "\n%5s  %9s  %9s  %9s  %9s  %9s  %8s\n", "epoch", "loss", "accuracy",
                 "val_loss", "val_acc", "lr", "seconds");
    for (const EpochProgress& e : m_epochs) {
        std::fprintf(m_out, "%5d  %9.4f  %9.4f  %9.4f  %9.4f  %9.3g  %8.1f\n", e.epoch, e.loss,
                     e.accuracy, e.validationLoss, e.validationAccuracy, e.learningRate, e.seconds);
    }
}

}  // namespace loom::cli
