// ModulationMatrix: sources (voice onset pulse with decay, voice envelope, voice pitch,
// LFOs, MIDI controls, beatbox trigger classes) -> targets (any parameter or latent
// dimension), each route with depth, polarity, curve and smoothing. Runs after the LFOs
// on the parameter snapshot, once per model block, on the processing thread.
//
// Route text (command line `--mod`, presets):  SOURCE>TARGET:DEPTH[:option...]
//   SOURCE  onset | envelope | pitch | lfo1 | lfo2 | ccN (MIDI CC N, 0..127) | triggerK (class K, 0..7)
//   TARGET  any parameter id (energy, dim.1, chaos, ...)
//   DEPTH   in the target's own units (energy 0.3 = +0.3 of energy at full source)
//   options decay=150ms (pulse sources) | smooth=20ms | curve=linear|exp|log|s | bipolar | invert
// Examples: "onset>energy:0.3:decay=150ms"  (every voice hit bumps energy by 0.3, decaying
// over 150 ms);  "envelope>dim.1:2.0"  (voice loudness drives dim.1).
//
// Threads: setRoutes() on the control thread (lock-free hand-over); modulate() on the
// processing thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "FrameProcessor.h"
#include "LfoBank.h"
#include "ModulationSources.h"
#include "ObjectExchange.h"
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
};

// Parses one route; on failure returns nullopt and sets `error` (says what and how).
std::optional<ModRoute> parseRoute(const std::string& text, const ParameterRegistry& registry,
                                   std::string* error);
std::string routeToString(const ModRoute& route);

class ModulationMatrix : public ParamModulator {
 public:
  ModulationMatrix(const ParameterRegistry& registry, const ModulationSources& sources,
                   const LfoBank* lfos = nullptr);
  void setRoutes(const std::vector<ModRoute>& routes);  // control thread
  void modulate(float* params, int count, int frames, double frameRate) override;
  // Current modulation amount per route (target units), for the UI and tests.
  std::vector<float> lastAmounts() const { return amounts_; }

 private:
  struct Active {
    ModRoute route;
    int target = -1;
    uint64_t lastCount = 0;
    float pulse = 0.f, smoothed = 0.f, velocity = 1.f;
  };
  float sourceValue(Active& a, double dt);
  const ParameterRegistry& registry_;
  const ModulationSources& sources_;
  const LfoBank* lfos_;
  ObjectExchange<std::vector<Active>> incoming_;
  std::vector<Active> routes_;
  std::vector<float> amounts_;
};

}  // namespace mm
