// Beatbox triggers in a running `musicmill perform` (see Session.h and input/Trigger*.h).
//
// On when --triggers PROFILE.toml is given. A profile file that does not exist yet starts
// a new one (kick, snare, hihat) to learn live from the "Beatbox triggers" panel; a
// broken one stops the start with one "file:line: ..." line per problem. Options:
//   --triggers PROFILE.toml           the performer's sounds (saved back after learning)
//   --trigger-midi-out PORT|virtual   send each hit as a MIDI note (JACK MIDI under JACK)
//   --listen-ms MS                    listen window after each onset (default: profile's)
//   --midi-api jack|alsa              as for MIDI in
//
// Threads: main thread only (attach, the onTick hook, the panel).
#pragma once

#include "Session.h"

namespace mm {

bool attachTriggers(Session& session);

}  // namespace mm
