// PerformanceModulation: the LFOs and modulation routes of one performance, wired into
// every model slot of the live engine. Performance state lives here once, not per model:
// one LfoBank, clocked by the audio callback, so an LFO keeps its phase through a model
// switch and the UI shows the LFOs that play. Each slot gets a ModulationMatrix of its own
// (a route's pulse and smoothing state is advanced by that slot's worker thread), all
// playing the same routes.
//
// Threads: construct, attachTo() and setRoutes() on the control thread; the LFO clock
// runs in the audio callback; the modulators on each slot's worker.
#pragma once

#include <memory>
#include <vector>

#include "LfoBank.h"
#include "LiveEngine.h"
#include "ModulationMatrix.h"

namespace mm {

class PerformanceModulation {
 public:
  PerformanceModulation(const ParameterRegistry& registry, const ModulationSources& sources)
      : registry_(registry), sources_(sources), lfos_(registry) {}
  PerformanceModulation(const PerformanceModulation&) = delete;
  PerformanceModulation& operator=(const PerformanceModulation&) = delete;

  // Before the engine starts: the LFO clock joins its callback, and every model slot (the
  // ones open now and any preloaded later) gets the LFOs and its own matrix.
  void attachTo(LiveEngine& engine) {
    engine.addInputAnalyzer(&lfos_);
    engine.setProcessorSetup([this](FrameProcessor& proc) {
      auto m = std::make_unique<ModulationMatrix>(registry_, sources_, &lfos_);
      m->setRoutes(routes_);
      proc.setModulator(&lfos_);
      proc.addModulator(m.get());
      matrices_.push_back(std::move(m));
    });
  }
  // Every slot plays `routes` from its next block.
  void setRoutes(const std::vector<ModRoute>& routes) {
    routes_ = routes;
    for (auto& m : matrices_) m->setRoutes(routes);
  }
  const std::vector<ModRoute>& routes() const { return routes_; }
  const LfoBank& lfos() const { return lfos_; }

 private:
  const ParameterRegistry& registry_;
  const ModulationSources& sources_;
  LfoBank lfos_;
  std::vector<ModRoute> routes_;
  std::vector<std::unique_ptr<ModulationMatrix>> matrices_;
};

}  // namespace mm
