// AveragePool2D: mean of each window (see Pooling2D.h for the formulas).

#include "Pooling2D.h"

namespace loom::layers {
namespace {

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return Pooling2D::fromKeras(r, "AveragePool2D");
}

LayerKind kind() {
    LayerKind k;
    k.type = "AveragePool2D";
    k.category = "Pooling";
    k.description = "Mean of each window";
    k.params = Pooling2D::paramSpecs();
    k.keras.className = "AveragePooling2D";
    k.keras.read = fromKeras;
    k.keras.write = Pooling2D::toKeras;
    k.onnx.write = Pooling2D::toOnnx;
    k.onnx.readers = {{"AveragePool", Pooling2D::fromOnnx}};
    k.create = [] { return std::make_unique<Pooling2D>(PoolMode::AverageExcludePadding); };
    return k;
}

LOOM_REGISTER_LAYER(AveragePool2D, kind());

}  // namespace
}  // namespace loom::layers
