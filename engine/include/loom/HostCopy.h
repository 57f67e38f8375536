#pragma once

#include <loom/Tensor.h>

namespace loom {

/// The host's float32 view of a tensor: the tensor itself when it is float32 on the CPU, else a
/// copy (from a device, which waits for the device, and converted from another dtype).
Tensor hostFloat32(const Tensor& t);

}  // namespace loom
