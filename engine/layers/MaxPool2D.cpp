// MaxPool2D: largest value of each window (see Pooling2D.h for the formulas).

#include "Pooling2D.h"

namespace loom::layers {
namespace {

LayerKind kind() {
    LayerKind k;
    k.type = "MaxPool2D";
    k.category = "Pooling";
    k.description = "Largest value of each window";
    k.params = Pooling2D::paramSpecs();
    k.kerasClass = "MaxPooling2D";
    k.onnxOp = "MaxPool";
    k.create = [] { return std::make_unique<Pooling2D>(PoolMode::Max); };
    return k;
}

LOOM_REGISTER_LAYER(MaxPool2D, kind());

}  // namespace
}  // namespace loom::layers
