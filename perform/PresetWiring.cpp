// See SetListSetup.h (PresetWiring).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ControlSetup.h"
#include "LiveMidi.h"
#include "ModulationMatrix.h"
#include "ModulationSetup.h"
#include "PresetHooks.h"
#include "ModelSetup.h"
#include "SetListSetup.h"
#include "SourcesSetup.h"

namespace mm {

PresetWiring::PresetWiring(App& app) : app_(app) {
  if (app.modulation) routes_ = app.modulation->commandLineRoutes();  // what plays until a preset says otherwise
  PresetHooks& hooks = app.presetHooks;
  hooks.applyModulation = [this](const std::vector<ModRoute>& routes) { applyModulation(routes); };
  hooks.captureModulation = [this]() { return routes_; };
  hooks.applyPatterns = [this](const std::vector<PatternSlot>& slots) { applyPatterns(slots); };
  // [learn]: the model part learns once the preset's model plays.
  hooks.learn = [this](const LearnAction& a, const std::string& model) {
    if (app_.model) app_.model->learnOnPreset(a, model);
  };
  // Style anchors: one file encodes at a time (on its own thread, the old anchor playing
  // until the new one is ready), so the tick hands them to the encoder one after the other.
  hooks.applyStyle = [this](const StyleAnchors& anchors) {
    wantAnchor_[0] = anchors.a;
    wantAnchor_[1] = anchors.b;
    tried_[0].clear();
    tried_[1].clear();
  };
  hooks.captureStyle = [this]() {
    StyleAnchors a;
    if (app_.sources) {
      a.a = app_.sources->styleAnchor(0).file;
      a.b = app_.sources->styleAnchor(1).file;
    }
    return a;
  };
  hooks.applyMapping = [this](const std::string& path) { applyMapping(path); };
  hooks.captureMapping = [this]() { return app_.midi ? app_.midi->live().presetMapping() : std::string(); };
}

// Every route the preset holds is kept (a save writes it back, nothing is lost); the ones
// whose target this model lacks do not play, and the performer is told.
void PresetWiring::applyModulation(const std::vector<ModRoute>& routes) {
  if (!app_.modulation) return;
  for (const ModRoute& r : routes)
    if (app_.registry->indexOf(r.target) < 0)
      app_.post("preset: modulation route " + routeToString(r) + " does not play: this model has no parameter '" +
                r.target + "' (kept in the preset)");
  routes_ = routes;
  app_.modulation->setRoutes(routes);
}

std::vector<std::string> PresetWiring::activeRoutes() const {
  std::vector<std::string> out;
  for (const ModRoute& r : routes_)
    if (app_.registry->indexOf(r.target) >= 0) out.push_back(routeToString(r));
  return out;
}

void PresetWiring::applyPatterns(const std::vector<PatternSlot>& slots) {
  LiveEngine& engine = *app_.engine;
  const float bpm = app_.registry->getById("bpm");
  for (int k = 0; k < engine.modelCount(); ++k) {
    InferenceWorker* w = engine.workerAt(k);
    if (!w) continue;
    const int dims = w->info().latentSize;
    for (const PatternSlot& p : slots) {
      if (p.dims != dims || p.frames.empty() || p.slot < 0 || p.slot >= PatternMemory::kSlots) {
        if (k == 0)
          app_.post("preset: pattern slot " + std::to_string(p.slot) + " has " + std::to_string(p.dims) +
                    " dimensions; the model has " + std::to_string(dims) + ": slot left as it was");
        continue;
      }
      auto clip = std::make_unique<LatentClip>();
      clip->dims = dims;
      clip->frames = static_cast<int>(p.frames.size());
      clip->bpm = bpm;
      clip->source = "preset";
      clip->z.assign(static_cast<size_t>(dims) * clip->frames, 0.f);
      for (int f = 0; f < clip->frames; ++f)
        for (int d = 0; d < dims && d < static_cast<int>(p.frames[f].size()); ++d)
          clip->z[static_cast<size_t>(d) * clip->frames + f] = p.frames[f][d];
      clip->findSlices(w->processor().controls().frameRate());
      w->processor().pattern().load(p.slot, std::move(clip));
    }
  }
}

void PresetWiring::applyMapping(const std::string& path) {
  if (!app_.midi) {
    if (!path.empty()) app_.post("preset: mapping " + path + " needs MIDI (--midi-in or --mapping); not used");
    return;
  }
  LiveMidi& live = app_.midi->live();
  if (live.presetMapping() == path) return;
  const std::string problems = live.setPresetMapping(path);
  if (!problems.empty()) app_.post("preset: mapping " + path + " not used:\n" + problems);
}

void PresetWiring::tick() {
  SourcesPart* sources = app_.sources.get();
  if (!sources) return;
  for (int w = 0; w < 2; ++w)
    if (!sources->styleAnchor(w).encoding.empty()) return;  // one at a time
  for (int w = 0; w < 2; ++w) {
    const std::string& want = wantAnchor_[w];
    if (want.empty() || sources->styleAnchor(w).file == want || tried_[w] == want) continue;
    tried_[w] = want;  // tried once per preset change: a failure is posted by the encoder
    const std::string why = sources->setStyleAnchor(w, want);
    if (!why.empty()) app_.post("preset: style anchor " + std::string(w == 0 ? "A" : "B") + ": " + why);
    return;
  }
}

bool attachPresetWiring(App& app) {
  app.presets = std::make_unique<PresetWiring>(app);
  return true;
}

}  // namespace mm
