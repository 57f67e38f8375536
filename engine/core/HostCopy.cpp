#include <loom/HostCopy.h>

namespace loom {

Tensor hostFloat32(const Tensor& t) {
    const Tensor host = t.device().kind == DeviceKind::CPU ? t : t.toHost();
    return host.dtype() == DType::F32 ? host : host.to(DType::F32);
}

}  // namespace loom
