// Connects a preset's non-parameter sections to the subsystems that play them (issue 8):
// modulation routes -> every model's modulation matrix, pattern slots -> every model's
// pattern memory, mapping override -> the live MIDI mapper, style anchors -> the style
// subsystem's "match this track" encoder. Without this the set-list player would carry
// those sections (and save them again) without their having any effect.
//
// Threads: main thread only (the set-list player calls the hooks from the session tick).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ControlSetup.h"
#include "LiveMidi.h"
#include "ModulationMatrix.h"
#include "PresetHooks.h"
#include "Session.h"
#include "SetListSetup.h"

namespace mm {

namespace {

struct WiringState {
  std::vector<ModRoute> routes;  // what the matrices play now
  std::string wantAnchor[2];     // anchor files the playing preset asks for ("" = leave as is)
  std::string tried[2];          // the last file handed to the encoder for each anchor
};

}  // namespace

bool attachPresetWiring(Session& session) {
  PresetHooks* hooks = &session.presetHooks;
  auto state = std::make_shared<WiringState>();
  session.keepAlive.push_back(state);
  state->routes = session.commandLineRoutes;  // what plays until a preset says otherwise
  Session* s = &session;

  // Every route the preset holds is kept (a save writes it back, nothing is lost); the
  // ones whose target this model lacks do not play, and the performer is told.
  hooks->applyModulation = [s, state](const std::vector<ModRoute>& routes) {
    if (!s->setModRoutes) return;
    for (const ModRoute& r : routes)
      if (s->registry->indexOf(r.target) < 0)
        s->post("preset: modulation route " + routeToString(r) + " does not play: this model has no parameter '" +
                r.target + "' (kept in the preset)");
    state->routes = routes;
    s->setModRoutes(routes);
  };
  session.activeRoutes = [s, state]() {
    std::vector<std::string> out;
    for (const ModRoute& r : state->routes)
      if (s->registry->indexOf(r.target) >= 0) out.push_back(routeToString(r));
    return out;
  };
  hooks->captureModulation = [state]() { return state->routes; };

  hooks->applyPatterns = [s](const std::vector<PatternSlot>& slots) {
    LiveEngine& engine = *s->engine;
    const float bpm = s->registry->getById("bpm");
    for (int k = 0; k < engine.modelCount(); ++k) {
      InferenceWorker* w = engine.workerAt(k);
      if (!w) continue;
      const int dims = w->info().latentSize;
      for (const PatternSlot& p : slots) {
        if (p.dims != dims || p.frames.empty() || p.slot < 0 || p.slot >= PatternMemory::kSlots) {
          if (k == 0)
            s->post("preset: pattern slot " + std::to_string(p.slot) + " has " + std::to_string(p.dims) +
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
  };

  // Style anchors: one file encodes at a time (on its own thread, the old anchor playing
  // until the new one is ready), so the tick hands them to the encoder one after the other.
  hooks->applyStyle = [state](const StyleAnchors& anchors) {
    state->wantAnchor[0] = anchors.a;
    state->wantAnchor[1] = anchors.b;
    state->tried[0].clear();
    state->tried[1].clear();
  };
  hooks->captureStyle = [s]() {
    StyleAnchors a;
    if (s->styleAnchor) {
      a.a = s->styleAnchor(0).file;
      a.b = s->styleAnchor(1).file;
    }
    return a;
  };
  session.onTick.push_back([s, state] {
    if (!s->setStyleAnchor || !s->styleAnchor) return;
    for (int w = 0; w < 2; ++w)
      if (!s->styleAnchor(w).encoding.empty()) return;  // one at a time
    for (int w = 0; w < 2; ++w) {
      const std::string& want = state->wantAnchor[w];
      if (want.empty() || s->styleAnchor(w).file == want || state->tried[w] == want) continue;
      state->tried[w] = want;  // tried once per preset change: a failure is posted by the encoder
      const std::string why = s->setStyleAnchor(w, want);
      if (!why.empty()) s->post("preset: style anchor " + std::string(w == 0 ? "A" : "B") + ": " + why);
      return;
    }
  });

  hooks->applyMapping = [s](const std::string& path) {
    LiveMidi* live = s->midi;
    if (!live) {
      if (!path.empty()) s->post("preset: mapping " + path + " needs MIDI (--midi-in or --mapping); not used");
      return;
    }
    if (live->presetMapping() == path) return;
    const std::string problems = live->setPresetMapping(path);
    if (!problems.empty()) s->post("preset: mapping " + path + " not used:\n" + problems);
  };
  hooks->captureMapping = [s]() {
    LiveMidi* live = s->midi;
    return live ? live->presetMapping() : std::string();
  };
  return true;
}

}  // namespace mm
