// CPU-vs-CUDA parity as a Qt Test suite: one row per case of CudaParityCases.h. Every row skips
// cleanly (QSKIP) where Loom has no CUDA backend or the machine no usable GPU, so the suite
// passes in CI; on a GPU machine without Qt, loom-cuda-parity runs the same cases.

#include "CudaParityCases.h"

#include <QtTest>

using namespace loom;
using namespace loom::test;

namespace {

const std::vector<ParityCase>& casesOf(const char* group) {
    static const std::vector<ParityCase> ops = opParityCases();
    static const std::vector<ParityCase> device = deviceParityCases();
    static const std::vector<ParityCase> training = trainingParityCases();
    const std::string name = group;
    return name == "ops" ? ops : name == "device" ? device : training;
}

void addRows(const char* group) {
    QTest::addColumn<int>("index");
    const std::vector<ParityCase>& cases = casesOf(group);
    for (size_t i = 0; i < cases.size(); ++i) {
        QTest::newRow(cases[i].name.c_str()) << int(i);
    }
}

}  // namespace

class TestCudaParity : public QObject {
    Q_OBJECT

private:
    void run(const char* group) {
        QFETCH(int, index);
        const std::string why = parityGpuUnavailable();
        if (!why.empty()) {
            QSKIP(qPrintable(QString::fromStdString("no GPU to compare with: " + why)));
        }
        const ParityCase& c = casesOf(group).at(size_t(index));
        const CaseResult result = runParityCase(c, parityGpu());
        if (!result.passed()) {
            QFAIL(qPrintable(QString::fromStdString(result.summary())));
        }
        qDebug("%s: %s", c.name.c_str(), result.summary().c_str());
    }

private slots:
    void ops_data() { addRows("ops"); }
    void ops() { run("ops"); }
    void device_data() { addRows("device"); }
    void device() { run("device"); }
    void training_data() { addRows("training"); }
    void training() { run("training"); }
};

QTEST_GUILESS_MAIN(TestCudaParity)
#include "TestCudaParity.moc"
