#pragma once
// The Gloo implementation of loom::Collective, built where Gloo is found (LOOM_HAVE_GLOO).

#include <loom/Collective.h>

namespace loom {

std::unique_ptr<Collective> connectGloo(const JobPlace& place);

}  // namespace loom
