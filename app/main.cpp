#include "MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Loom"));
    QApplication::setApplicationVersion(QStringLiteral(LOOM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Loom: a workbench for building, training and watching neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("project"),
                                 QStringLiteral("A graph JSON file to open, e.g. "
                                                "examples/w2_mlp.json."),
                                 QStringLiteral("[project]"));
    parser.process(app);

    loom::MainWindow window;
    window.show();
    if (!parser.positionalArguments().isEmpty()) {
        window.openProject(parser.positionalArguments().constFirst());
    }
    return app.exec();
}
