// ModulationRoute: the one modulation route type of the instrument — what `--mod`,
// presets, set lists, the autosave, the matrix, OSC and the UI all carry. A route says:
// this source, into this parameter (by id), with this depth in the parameter's own units,
// shaped so. Plain data; every field survives the text form and the preset file form.
//
// Text form (command line `--mod`, `perform --report`):  SOURCE>TARGET:DEPTH[:option...]
//   SOURCE  onset | envelope | pitch | lfo1 | lfo2 | ccN (MIDI CC N, 0..127) | triggerK (class K, 0..7)
//   TARGET  any parameter id (energy, dim.1, chaos, ...)
//   DEPTH   in the target's own units (energy 0.3 = +0.3 of energy at full source)
//   options decay=150ms (pulse sources) | smooth=20ms | curve=linear|exp|log|s | bipolar | invert
// Examples: "onset>energy:0.3:decay=150ms"  (every voice hit bumps energy by 0.3, decaying
// over 150 ms);  "envelope>dim.1:2.0"  (voice loudness drives dim.1).
// File form (presets, sets/README.md): source names "voice.onset", "voice.envelope",
// "voice.pitch", "lfo.N", "midi.cc.N", "trigger.K"; curve names "linear", "exponential",
// "logarithmic", "s-curve"; polarity "unipolar" | "bipolar".
//
// Threads: none of its own; a value.
#pragma once

#include <optional>
#include <string>

#include "Parameters.h"

namespace mm {

enum class ModSource { Onset, Envelope, Pitch, Lfo, MidiControl, Trigger };
enum class ModCurve { Linear, Exponential, Logarithmic, SCurve };

struct ModRoute {
  ModSource source = ModSource::Onset;
  int sourceIndex = 0;  // LFO number (0-based), CC number or trigger class
  std::string target;   // parameter id
  float depth = 0.f;
  bool bipolar = false; // source spans -1..1 (LFOs always do)
  bool invert = false;
  ModCurve curve = ModCurve::Linear;
  float smoothingMs = 0.f;
  float decayMs = 150.f;  // onset / trigger pulses
  bool operator==(const ModRoute& o) const {
    return source == o.source && sourceIndex == o.sourceIndex && target == o.target && depth == o.depth &&
           bipolar == o.bipolar && invert == o.invert && curve == o.curve && smoothingMs == o.smoothingMs &&
           decayMs == o.decayMs;
  }
};

// Parses one route in the text form; on failure returns nullopt and sets `error` (says
// what and how). The target must be a parameter of `registry`.
std::optional<ModRoute> parseRoute(const std::string& text, const ParameterRegistry& registry,
                                   std::string* error);
std::string routeToString(const ModRoute& route);

// The file form's names. parseRouteSource also takes the text form's names ("lfo1").
std::string routeSourceName(const ModRoute& route);
bool parseRouteSource(const std::string& name, ModRoute& route);
const char* routeCurveName(ModCurve curve);
std::optional<ModCurve> parseRouteCurve(const std::string& name);

}  // namespace mm
