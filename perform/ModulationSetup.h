// Voice analysis and the modulation matrix for a live performance (an App part).
#pragma once

#include <memory>
#include <vector>

#include "App.h"
#include "ModulationRoute.h"

namespace mm {

class LfoBank;
class PerformanceModulation;
class VoiceAnalyzer;

// The voice analyzer joins the engine's callback, and LFOs + a modulation matrix every
// model slot's processor. Options: --mod ROUTE (repeatable, see mappings/ModulationMatrix.h),
// --onset-method, --onset-threshold, --onset-hop. The engine keeps raw pointers to the
// analyzers until it stops: the part outlives that (App is destroyed after engine.stop()).
class ModulationPart {
 public:
  ModulationPart();
  ~ModulationPart();
  // Control thread: every model slot plays `routes` from the next audio block.
  void setRoutes(const std::vector<ModRoute>& routes);
  // The routes given with --mod, parsed once: what plays until a preset says otherwise.
  const std::vector<ModRoute>& commandLineRoutes() const { return commandLine_; }
  // The performance's LFOs (for the UI).
  const LfoBank& lfos() const;

 private:
  friend bool attachModulation(App& app);
  std::unique_ptr<VoiceAnalyzer> voice_;
  std::unique_ptr<PerformanceModulation> modulation_;
  std::vector<ModRoute> commandLine_;
};

// Builds app.modulation. False (after printing why) when an option is wrong.
bool attachModulation(App& app);

}  // namespace mm
