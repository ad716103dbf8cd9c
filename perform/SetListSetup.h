// Set lists, presets and autosave in a running `musicmill perform` (issue 8).
//
// attachSetList reads --set-list, --preset, --restore, --autosave-dir,
// --autosave-seconds, --no-autosave and --ramp-ms, loads and checks everything before the
// show (models preloaded, progress on the terminal), then carries out the session's
// navigation commands and autosaves from the main-thread tick.
//
// Threads: main thread only.
#pragma once

#include "Session.h"

namespace mm {

// Sets Session::setList (the UI's save buttons call savePresetAs / updateCurrentPart /
// addPartFromLive / saveSet on it).
bool attachSetList(Session& session);

// PresetWiring.cpp: sets those hooks for the modulation matrices, the pattern memories,
// the live MIDI mapping and the style anchors.
bool attachPresetWiring(Session& session);

}  // namespace mm
