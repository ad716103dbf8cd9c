#include "ModulationSetup.h"

#include <iostream>

#include "ModulationMatrix.h"
#include "VoiceAnalyzer.h"

namespace mm {

namespace {
// Per model slot: its own LFOs and matrix (each slot's worker is its own thread).
struct SlotModulators {
  std::unique_ptr<LfoBank> lfos;
  std::unique_ptr<ModulationMatrix> matrix;
};
}  // namespace

bool attachModulation(Session& session) {
  const Args& args = *session.args;
  VoiceAnalysisSettings vs;
  try {
    vs.onset.method = args.get("onset-method", "hfc");
    vs.onset.hop = args.getInt("onset-hop", 128);
    vs.onset.threshold = static_cast<float>(args.getDouble("onset-threshold", 0.3));
    auto voice = std::make_shared<VoiceAnalyzer>(session.modSources, vs);
    session.engine->addInputAnalyzer(voice.get());
    session.keepAlive.push_back(voice);
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: voice analysis: " << e.what() << "\n";
    return false;
  }
  std::vector<ModRoute> routes;
  for (const std::string& text : args.all("mod")) {
    std::string err;
    auto r = parseRoute(text, *session.registry, &err);
    if (!r) {
      std::cerr << "musicmill perform: " << err << "\n";
      return false;
    }
    routes.push_back(*r);
  }
  auto slots = std::make_shared<std::vector<std::unique_ptr<SlotModulators>>>();
  session.keepAlive.push_back(slots);
  Session* s = &session;
  session.engine->setProcessorSetup([s, slots, routes](FrameProcessor& proc) {
    auto m = std::make_unique<SlotModulators>();
    m->lfos = std::make_unique<LfoBank>(*s->registry);
    m->matrix = std::make_unique<ModulationMatrix>(*s->registry, s->modSources, m->lfos.get());
    m->matrix->setRoutes(routes);
    proc.setModulator(m->lfos.get());
    proc.addModulator(m->matrix.get());
    if (!s->lfos) s->lfos = m->lfos.get();
    slots->push_back(std::move(m));
  });
  session.setModRoutes = [slots](const std::vector<ModRoute>& r) {
    for (auto& m : *slots) m->matrix->setRoutes(r);
  };
  return true;
}

}  // namespace mm
