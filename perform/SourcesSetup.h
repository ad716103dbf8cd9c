// Style anchors and pattern memory for a live performance (see Session.h).
#pragma once

#include "Session.h"

namespace mm {
// Options: --anchor-a FILE, --anchor-b FILE (style anchors: "match this track"),
// --pattern FILE [--pattern-bpm B] (pattern slot 0). Files are encoded before the show
// through a separate copy of each model. Sets Session::capturePattern, and
// Session::setStyleAnchor / styleAnchor for "match this track" during the show (the UI's
// Style anchors panel): a file is encoded on a thread of its own, at a lower priority, and
// swapped in from the main-thread tick once done. Threads: main thread, except that one
// encoding thread.
bool attachSources(Session& session);
}  // namespace mm
