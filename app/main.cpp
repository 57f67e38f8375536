#include "MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

namespace {

/// Saves the window as a PNG once it has been shown and laid out, then ends the program: how
/// the package check and the README's screenshots see the window without a person.
void screenshotAndQuit(loom::MainWindow& window, const QString& path) {
    QTimer::singleShot(800, &window, [&window, path] {
        const bool saved = window.grab().save(path, "PNG");
        if (!saved) {
            std::fprintf(stderr, "loom: cannot write the screenshot %s\n", qPrintable(path));
        }
        QApplication::exit(saved ? 0 : 1);
    });
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Loom"));
    QApplication::setApplicationName(QStringLiteral("Loom"));
    QApplication::setApplicationVersion(QStringLiteral(LOOM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Loom: a workbench for building, training and watching neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Show the window, save it as a PNG to <file> and quit."),
        QStringLiteral("file"));
    parser.addOption(screenshot);
    parser.addPositionalArgument(QStringLiteral("project"),
                                 QStringLiteral("A project (.loom), a model (.json, .h5, "
                                                ".keras, model.json, .onnx) to open, e.g. "
                                                "examples/w4_cnn.json."),
                                 QStringLiteral("[project]"));
    parser.process(app);

    loom::MainWindow window;
    window.resize(1400, 900);
    window.show();
    if (!parser.positionalArguments().isEmpty()) {
        window.openProject(parser.positionalArguments().constFirst());
    }
    if (parser.isSet(screenshot)) {
        screenshotAndQuit(window, parser.value(screenshot));
    } else {
        window.offerRecovery();
    }
    return app.exec();
}
