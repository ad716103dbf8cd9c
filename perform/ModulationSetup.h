// Voice analysis and the modulation matrix for a live performance (see Session.h).
#pragma once

#include "Session.h"

namespace mm {
// Adds the voice analyzer to the engine's callback, and LFOs + a modulation matrix to the
// processor of every model slot. Options: --mod ROUTE (repeatable, see
// mappings/ModulationMatrix.h), --onset-method, --onset-threshold, --onset-hop.
bool attachModulation(Session& session);
}  // namespace mm
