// PerformanceModulation: the LFOs and modulation routes of one performance, wired into
// every model slot of the live engine. Performance state lives here once, not per model:
// one LfoBank and one ModulationMatrix, both clocked by the audio callback (LFO phases,
// route pulses and smoothing advance per audio block), and applied by every slot's worker.
// So an LFO keeps its phase and a pulse its decay through a model switch, and the UI shows
// the LFOs that play.
//
// Threads: construct, attachTo() and setRoutes() on the control thread; the clocks in the
// audio callback; the modulators on each slot's worker.
#pragma once

#include <vector>

#include "LfoBank.h"
#include "LiveEngine.h"
#include "ModulationMatrix.h"

namespace mm {

class PerformanceModulation {
 public:
  PerformanceModulation(const ParameterRegistry& registry, const ModulationSources& sources)
      : lfos_(registry), matrix_(registry, sources, &lfos_) {}
  PerformanceModulation(const PerformanceModulation&) = delete;
  PerformanceModulation& operator=(const PerformanceModulation&) = delete;

  // Before the engine starts (after the voice analysis joined it): the clocks join its
  // callback, and every model slot (the ones open now and any preloaded later) applies the
  // LFOs, then the routes (which may use the LFOs).
  void attachTo(LiveEngine& engine) {
    engine.addInputAnalyzer(&lfos_);
    engine.addInputAnalyzer(&matrix_);
    engine.setProcessorSetup([this](FrameProcessor& proc) {
      proc.setModulator(&lfos_);
      proc.addModulator(&matrix_);
    });
  }
  // Every slot plays `routes` from the next audio block.
  void setRoutes(const std::vector<ModRoute>& routes) { matrix_.setRoutes(routes); }
  const LfoBank& lfos() const { return lfos_; }
  const ModulationMatrix& matrix() const { return matrix_; }

 private:
  LfoBank lfos_;
  ModulationMatrix matrix_;
};

}  // namespace mm
