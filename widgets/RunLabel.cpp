#include "RunLabel.h"

#include "ShortestNumber.h"

#include <loom/Optimizer.h>

#include <cmath>
#include <exception>

namespace loom {

double learningRateOf(const TrainingConfig& config) {
    try {
        return makeOptimizer(config.optimizer, config.optimizerParams)->learningRate();
    } catch (const std::exception&) {
        return NAN;
    }
}

QString runLabel(const std::string& name, const nlohmann::json& training) {
    const QString base = QString::fromStdString(name);
    try {
        const TrainingConfig config = TrainingConfig::fromJson(training);
        return QStringLiteral("%1 (%2, lr %3)")
            .arg(base, QString::fromStdString(config.optimizer),
                 shortestNumber(learningRateOf(config)));
    } catch (const std::exception&) {
        return base;  // a record without (readable) settings is still named
    }
}

}  // namespace loom
