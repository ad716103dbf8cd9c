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

class SetListPlayer;
struct PresetHooks;

bool attachSetList(Session& session);

// The set-list player of a running session (nullptr when attachSetList has not run or the
// session is over): the UI's save buttons call savePresetAs / updateCurrentPart /
// addPartFromLive / saveSet on it. Main thread only.
SetListPlayer* setListPlayer(const Session& session);

// Where the style, pattern, modulation and mapping subsystems set their apply/capture
// hooks (see sets/PresetHooks.h), from their attach function, before or after
// attachSetList runs: whoever sets a hook receives the playing preset's sections on the
// first tick at the latest. Main thread only.
PresetHooks* presetHooks(const Session& session);

// PresetWiring.cpp: sets those hooks for the modulation matrices, the pattern memories,
// the live MIDI mapping and the style anchors.
bool attachPresetWiring(Session& session);

}  // namespace mm
