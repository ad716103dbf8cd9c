#include "ModulationSetup.h"

#include <iostream>

#include "ModulationMatrix.h"
#include "PerformanceModulation.h"
#include "VoiceAnalyzer.h"

namespace mm {

ModulationPart::ModulationPart() = default;
ModulationPart::~ModulationPart() = default;

void ModulationPart::setRoutes(const std::vector<ModRoute>& routes) { modulation_->setRoutes(routes); }
const LfoBank& ModulationPart::lfos() const { return modulation_->lfos(); }

bool attachModulation(App& app) {
  const Args& args = *app.args;
  auto part = std::make_unique<ModulationPart>();
  for (const std::string& text : args.all("mod")) {
    std::string err;
    auto r = parseRoute(text, *app.registry, &err);
    if (!r) {
      std::cerr << "musicmill perform: " << err << "\n";
      return false;
    }
    part->commandLine_.push_back(*r);
  }
  VoiceAnalysisSettings vs;
  try {
    vs.onset.method = args.get("onset-method", "hfc");
    vs.onset.hop = args.getInt("onset-hop", 128);
    vs.onset.threshold = static_cast<float>(args.getDouble("onset-threshold", 0.3));
    part->voice_ = std::make_unique<VoiceAnalyzer>(app.modSources, vs);
    app.engine->addInputAnalyzer(part->voice_.get());
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: voice analysis: " << e.what() << "\n";
    return false;
  }
  part->modulation_ = std::make_unique<PerformanceModulation>(*app.registry, app.modSources);
  part->modulation_->setRoutes(part->commandLine_);
  part->modulation_->attachTo(*app.engine);
  app.modulation = std::move(part);
  return true;
}

}  // namespace mm
