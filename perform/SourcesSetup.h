// Style anchors and pattern memory for a live performance (see Session.h).
#pragma once

#include "Session.h"

namespace mm {
// Options: --anchor-a FILE, --anchor-b FILE (style anchors: "match this track"),
// --pattern FILE [--pattern-bpm B] (pattern slot 0). Files are encoded before the show
// through a separate copy of each model. Sets Session::capturePattern.
bool attachSources(Session& session);
}  // namespace mm
