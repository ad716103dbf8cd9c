// See App.h.
#include "App.h"

#include "ControlSetup.h"
#include "EngineWatch.h"
#include "LiveMidi.h"
#include "ModulationSetup.h"
#include "SetListSetup.h"
#include "SourcesSetup.h"
#include "TriggerSetup.h"

namespace mm {

App::App() = default;
// The parts go in the reverse of the order they were built (unique_ptr members).
App::~App() = default;

bool App::build() {
  watch = std::make_unique<EngineWatch>(*this);
  // In this order: a part may use the ones before it (the preset wiring all of them).
  for (bool (*attach)(App&) : {attachModulation, attachSources, attachSetList, attachMidi, attachOsc, attachTriggers,
                               attachPresetWiring})
    if (!attach(*this)) return false;
  return true;
}

void App::tick() {
  if (watch) watch->tick();
  if (sources) sources->tick();
  if (setList) setList->tick();
  if (midi) midi->tick();
  if (osc) osc->tick();
  if (triggers) triggers->tick();
  if (presets) presets->tick();
}

void App::navigate(NavCommand c, int value) {
  if (setList) setList->navigate(c, value);
  if (midi) midi->navigated();
}

void App::stop() {
  if (setList) setList->stop();
  if (midi) midi->stop();
  if (osc) osc->stop();
  if (triggers) triggers->stop();
}

}  // namespace mm
