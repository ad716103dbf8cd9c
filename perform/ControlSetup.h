// MIDI and OSC in a running `musicmill perform` (MidiSetup.cpp, OscSetup.cpp): the attach
// functions that sessionAttachments() lists, and the handle the UI uses for MIDI learn.
//
// Threads: main thread only (attach, ticks, the UI's learn button).
#pragma once

#include <memory>

#include "MidiMap.h"
#include "OfflineRenderer.h"
#include "Session.h"

namespace mm {

class LiveMidi;
class MidiFilePlayer;

// MIDI is on when --midi-in, --mapping or --clock-out is given. Returns false (after
// printing every problem, file:line each) when a mapping file is broken.
bool attachMidi(Session& session);
// OSC is on when --osc-port is given (0: any free port); bound to --osc-bind, default
// 127.0.0.1 (this machine only).
bool attachOsc(Session& session);

// `render --midi PERFORMANCE.mid --mapping MAP`: loads both and hooks the performance into
// the renderer's beforeBlock; its CCs drive the `ccN` sources in `sources`. Returns false
// after printing every problem; without --midi does nothing and returns true.
bool attachMidiPerformance(const Args& args, ParameterRegistry& registry, ModulationSources& sources,
                           RenderOptions& options, std::unique_ptr<MidiFilePlayer>& performance);

// Carries out a set-list action from MIDI or OSC (`from`) and posts what it did.
void navigateAndSay(Session& session, const char* from, MidiAction action, int value);

}  // namespace mm
