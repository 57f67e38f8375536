// MaxPool2D: largest value of each window (see Pooling2D.h for the formulas).

#include "Pooling2D.h"

namespace loom::layers {
namespace {

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return Pooling2D::fromKeras(r, "MaxPool2D");
}

LayerKind kind() {
    LayerKind k;
    k.type = "MaxPool2D";
    k.category = "Pooling";
    k.description = "Largest value of each window";
    k.params = Pooling2D::paramSpecs();
    k.keras.className = "MaxPooling2D";
    k.keras.read = fromKeras;
    k.keras.write = Pooling2D::toKeras;
    k.onnx.write = Pooling2D::toOnnx;
    k.onnx.readers = {{"MaxPool", Pooling2D::fromOnnx}};
    k.create = [] { return std::make_unique<Pooling2D>(PoolMode::Max); };
    return k;
}

LOOM_REGISTER_LAYER(MaxPool2D, kind());

}  // namespace
}  // namespace loom::layers
