#pragma once
// A Loom model file whose second layer's "inputs" is an array nested `depth` deep, as a
// fuzzer's mutation of a real model made it: at 100,000 levels it overflowed the stack of
// loom-cli and the window; at a few thousand its error message repeated the whole value.

#include <QByteArray>

namespace loom::testing {

inline QByteArray modelWithNestedInputs(int depth) {
    return R"({"format": "loom-graph", "version": 1, "layers": [)"
           R"({"name": "in", "type": "Input", "params": {"shape": [4]}},)"
           R"({"name": "out", "type": "Dense", "params": {"units": 2}, "inputs": )" +
           QByteArray(depth, '[') + QByteArray(depth, ']') + R"(}], "outputs": ["out"]})";
}

}  // namespace loom::testing
