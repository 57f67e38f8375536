// AveragePool2D: mean of each window (see Pooling2D.h for the formulas).

#include "Pooling2D.h"

namespace loom::layers {
namespace {

LayerKind kind() {
    LayerKind k;
    k.type = "AveragePool2D";
    k.category = "Pooling";
    k.description = "Mean of each window";
    k.params = Pooling2D::paramSpecs();
    k.kerasClass = "AveragePooling2D";
    k.onnxOp = "AveragePool";
    k.create = [] { return std::make_unique<Pooling2D>(PoolMode::AverageExcludePadding); };
    return k;
}

LOOM_REGISTER_LAYER(AveragePool2D, kind());

}  // namespace
}  // namespace loom::layers
