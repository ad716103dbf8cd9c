#include "ModulationSetup.h"

#include <iostream>

#include "ModulationMatrix.h"
#include "PerformanceModulation.h"
#include "VoiceAnalyzer.h"

namespace mm {

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
  auto modulation = std::make_shared<PerformanceModulation>(*session.registry, session.modSources);
  session.keepAlive.push_back(modulation);
  modulation->setRoutes(routes);
  session.commandLineRoutes = routes;
  modulation->attachTo(*session.engine);
  session.lfos = &modulation->lfos();
  session.setModRoutes = [modulation](const std::vector<ModRoute>& r) { modulation->setRoutes(r); };
  return true;
}

}  // namespace mm
