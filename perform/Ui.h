// The fullscreen performance UI (SDL2 + Dear ImGui).
// Threads: main thread only. runUi() returns when the performer quits, the performance is
// asked to stop, or `durationSeconds` (> 0) has passed. It never calls a part and takes no
// lock of the control thread's: it draws App::view and posts events (App::postFromUi).
#pragma once

#include "App.h"

namespace mm {

// True when this build has the UI and a display can be opened.
bool uiAvailable();
// Returns the process exit status for `perform`.
int runUi(App& app, double durationSeconds);

}  // namespace mm
