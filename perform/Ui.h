// The fullscreen performance UI (SDL2 + Dear ImGui).
// Threads: main thread only. runUi() returns when the performer quits, the session is
// asked to stop, or `durationSeconds` (> 0) has passed; it calls session.tick() every frame.
#pragma once

#include "Session.h"

namespace mm {

// True when this build has the UI and a display can be opened.
bool uiAvailable();
// Returns the process exit status for `perform`.
int runUi(Session& session, double durationSeconds);

}  // namespace mm
