// ModulationMatrix: sources (voice onset pulse with decay, voice envelope, voice pitch,
// LFOs, MIDI controls, beatbox trigger classes) -> targets (any parameter or latent
// dimension), each route with depth, polarity, curve and smoothing. Runs after the LFOs
// on the parameter snapshot, once per model block, on the processing thread.
// The routes are engine/ModulationRoute.h's one route type.
//
// Threads: setRoutes() on the control thread (lock-free hand-over, a triple buffer);
// analyze() on the audio thread; modulate() on any processing thread.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "FrameProcessor.h"
#include "LfoBank.h"
#include "ModulationRoute.h"
#include "ModulationSources.h"
#include "Smoother.h"
#include "TripleBuffer.h"
#include "Parameters.h"

namespace mm {

class ModulationMatrix : public ParamModulator, public InputAnalyzer {
 public:
  static constexpr int kMaxRoutes = 32;
  ModulationMatrix(const ParameterRegistry& registry, const ModulationSources& sources,
                   const LfoBank* lfos = nullptr);
  // Control thread: the routes from the next audio block on. Routes whose target is not a
  // parameter here, and any past kMaxRoutes, are left out (the caller says so).
  void setRoutes(const std::vector<ModRoute>& routes);
  // Audio thread (an InputAnalyzer, after the voice analysis and the LFOs): advances every
  // route's source by the block (pulse decay, smoothing) and publishes its amount. Offline,
  // the renderer calls it per piece. One matrix per performance: its clock is the audio.
  void prepare(double sampleRate, int maxBlock) override;
  MM_REALTIME void analyze(const float* mono, int n, uint64_t sampleTime) noexcept override;
  // Any processing thread (every model slot's worker): adds each route's amount to its
  // target in the snapshot. Reads only atomics.
  void modulate(float* params, int count, int frames, double frameRate) override;
  // Current modulation amount per route (target units), for the UI and tests.
  std::vector<float> lastAmounts() const;

 private:
  struct Compiled {  // a route as the audio thread plays it: plain data, no allocation
    ModSource source = ModSource::Onset;
    int sourceIndex = 0, target = -1;
    float depth = 0.f, smoothingMs = 0.f, decayMs = 150.f;
    bool bipolar = false, invert = false;
    ModCurve curve = ModCurve::Linear;
  };
  struct Table {
    uint64_t version = 0;
    int count = 0;
    Compiled routes[kMaxRoutes];
  };
  float sourceValue(int i, double dt) noexcept;
  const ParameterRegistry& registry_;
  const ModulationSources& sources_;
  const LfoBank* lfos_;
  double sampleRate_ = 44100.0;
  uint64_t version_ = 0;            // control thread
  TripleBuffer<Table> tables_;      // control thread -> audio thread
  // Audio thread only.
  Table live_;
  float pulse_[kMaxRoutes] = {};
  Smoother smoothed_[kMaxRoutes];
  uint64_t lastCount_[kMaxRoutes] = {};
  // Audio thread -> workers, UI.
  std::atomic<int> outCount_{0};
  std::atomic<int> outTarget_[kMaxRoutes] = {};
  std::atomic<float> outAmount_[kMaxRoutes] = {};
};

}  // namespace mm
