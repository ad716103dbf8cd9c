#include "TriggerSetup.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>

#include "Commands.h"
#include "MidiInputPorts.h"
#include "TriggerAnalyzer.h"
#include "TriggerClassifier.h"
#include "TriggerLearner.h"
#include "TriggerMidiOut.h"
#include "TriggerProfile.h"

#ifdef MM_UI_BUILT
#include <imgui.h>
#endif

namespace mm {

TriggerPart::TriggerPart(App& a, std::string p, TriggerProfile profile, double rate)
  : app(a), path(std::move(p)), learner(std::move(profile), rate) {}

TriggerPart::~TriggerPart() = default;

void TriggerPart::publish() {
  const TriggerProfile& p = learner.profile();
  analyzer->setClassifier(std::make_unique<TriggerClassifier>(p));
  analyzer->setMinRiseDb(p.settings.minRiseDb);
  if (midi) {
    for (size_t c = 0; c < p.classes.size(); ++c) midi->setNote(static_cast<int>(c), p.classes[c].note);
    midi->setChannel(p.settings.midiChannel);
    midi->setNoteLengthMs(p.settings.noteLengthMs);
  }
  published = learner.revision();
}

std::string TriggerPart::save() {
  const std::string err = saveTriggerProfile(path, learner.profile());
  app.post(err.empty() ? "triggers: saved " + path : "triggers: " + err);
  return err;
}

void TriggerPart::arm(int cls) {
  if (const std::string err = learner.arm(cls, examplesPerTake); !err.empty()) {
    app.post("triggers: " + err);
    return;
  }
  analyzer->setLearning(true);
  app.post("triggers: " + learner.status());
}

void TriggerPart::tick() {
  TriggerReport r;
  bool completed = false;
  while (analyzer->popReport(r)) {
    if (r.learning) {
      const int before = learner.collected();
      const int cls = learner.armedClass();
      if (learner.onReport(r)) {
        completed = true;
        const TriggerClass& c = learner.profile().classes[cls];
        std::string msg = "triggers: learned " + std::to_string(c.examples.size()) + " examples of " + c.name;
        const double loo = leaveOneOutAccuracy(learner.profile());
        if (loo >= 0) msg += " (leave-one-out accuracy " + std::to_string(static_cast<int>(loo * 100 + 0.5)) + " %)";
        app.post(msg);
      } else if (learner.collected() != before) {
        app.post("triggers: " + learner.status());
      }
      continue;
    }
    if (r.hit.cls < 0) continue;
    recent.push_front({r.hit.cls, r.hit.velocity, r.hit.distance,
                       1000.0 * static_cast<double>(r.hit.decidedSample - r.hit.onsetSample) / analyzer->sampleRate(),
                       std::chrono::steady_clock::now()});
    if (recent.size() > 8) recent.pop_back();
  }
  analyzer->setLearning(learner.armed());
  if (learner.revision() != published) {
    publish();
    if (completed) save();
  }
  if (midi) {  // after a JACK server crash, the notes out come back with a server
    const auto rec = midiRecovery->poll(midi->serverLost(), [this] { return midi->reopen(); }, MidiOutputRecovery::Clock::now());
    if (rec.reopened) app.post("triggers: MIDI notes out reopened on " + midi->portName());
    if (!rec.error.empty()) app.post("triggers: MIDI notes out not reopened yet: " + rec.error);
  }
}

void TriggerPart::stop() {
  if (midi) midi->stop();
}

TriggerPart::Activity TriggerPart::activity() const {
  Activity a;
  const TriggerProfile& p = learner.profile();
  if (!recent.empty() && recent.front().cls >= 0 && recent.front().cls < static_cast<int>(p.classes.size())) {
    a.lastClass = p.classes[static_cast<size_t>(recent.front().cls)].name;
    a.lastSecondsAgo = std::chrono::duration<double>(std::chrono::steady_clock::now() - recent.front().when).count();
  }
  a.hits = analyzer->hits();
  if (midi) a.midiOut = midi->portName();
  return a;
}

#ifdef MM_UI_BUILT
void TriggerPart::drawPanel() {
  const TriggerProfile& p = learner.profile();
  const auto now = std::chrono::steady_clock::now();
  // The panel sits in a narrow stage column with large type: every row stays short.
  ImGui::TextWrapped("%s", learner.status().c_str());
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("%s | listen %.0f ms | MIDI %s", path.c_str(), p.settings.listenMs,
                     midi ? midi->portName().c_str() : "off");
  ImGui::PopStyleColor();
  // Sensitivity (how far a hit must rise above what sounded before it) and reject (how
  // unlike every example a sound may be and still play): live, saved when let go.
  float sensitivity = sensitivityForMinRise(p.settings.minRiseDb), reject = p.settings.rejectDistance;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.f);
  const bool sensMoved = ImGui::SliderFloat("sensitivity", &sensitivity, 0.f, 1.f, "%.2f");
  const bool sensDone = ImGui::IsItemDeactivatedAfterEdit();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.f);
  const bool rejectMoved = ImGui::SliderFloat("reject", &reject, 0.f, 5.f, reject > 0.f ? "%.2f" : "off");
  const bool rejectDone = ImGui::IsItemDeactivatedAfterEdit();
  if (sensMoved || rejectMoved) learner.setDetection(minRiseForSensitivity(sensitivity), reject);
  if (sensDone || rejectDone) save();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 3.f);
  ImGui::SliderInt("per take", &examplesPerTake, 3, 16);
  if (learner.armed()) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) {
      learner.cancel();
      analyzer->setLearning(false);
    }
  }
  int removeAt = -1;
  for (size_t c = 0; c < p.classes.size(); ++c) {
    ImGui::PushID(static_cast<int>(c));
    ImGui::Separator();
    // A class flashes with its velocity for 150 ms after each hit.
    float flash = 0.f;
    for (const auto& h : recent)
      if (h.cls == static_cast<int>(c) && now - h.when < std::chrono::milliseconds(150)) flash = h.velocity / 127.f;
    ImGui::ProgressBar(flash, ImVec2(ImGui::GetFontSize(), 0), "");
    ImGui::SameLine();
    ImGui::Text("%s: %zu examples", p.classes[c].name.c_str(), p.classes[c].examples.size());
    const bool armedHere = learner.armedClass() == static_cast<int>(c);
    if (ImGui::Button(armedHere ? "Listening" : "Learn")) arm(static_cast<int>(c));
    ImGui::SameLine();
    if (ImGui::Button("Clear")) learner.clearClass(static_cast<int>(c));
    ImGui::SameLine();
    if (ImGui::Button("Remove")) removeAt = static_cast<int>(c);
    int note = p.classes[c].note;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.f);
    if (ImGui::InputInt("note", &note)) learner.setNote(static_cast<int>(c), std::clamp(note, 0, 127));
    ImGui::PopID();
  }
  ImGui::Separator();
  if (removeAt >= 0) learner.removeClass(removeAt);
  if (p.classes.size() < static_cast<size_t>(kMaxTriggerClasses)) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.f);
    ImGui::InputText("##newclass", newClass, sizeof newClass);
    ImGui::SameLine();
    if (ImGui::Button("Add class") && newClass[0]) {
      if (const std::string err = learner.addClass(newClass); !err.empty()) app.post("triggers: " + err);
      newClass[0] = '\0';
    }
  }
  if (ImGui::Button("Save")) save();
  ImGui::SameLine();
  if (ImGui::Button("Reload")) {
    TriggerProfile loaded;
    // A broken file changes nothing: the messages say where, the music goes on.
    if (LoadReport report; !loadTriggerProfile(path, loaded, report)) {
      app.post("triggers: " + report.text());
    } else {
      const TriggerSettings& running = analyzer->settings();
      const bool restart = loaded.settings.listenMs != running.listenMs || loaded.settings.hop != running.hop ||
                           loaded.settings.onsetMethod != running.onsetMethod ||
                           loaded.settings.onsetThreshold != running.onsetThreshold;
      learner.replaceProfile(std::move(loaded));
      app.post("triggers: reloaded " + path +
                   (restart ? " (its onset and listen-window settings apply from the next start)" : ""));
    }
  }
  for (const auto& h : recent) {
    if (h.cls < 0 || h.cls >= static_cast<int>(p.classes.size())) continue;
    ImGui::TextDisabled("%s v%d d%.2f +%.0f ms", p.classes[h.cls].name.c_str(), h.velocity, h.distance, h.decisionMs);
  }
}
#endif

bool attachTriggers(App& app) {
  const Args& args = *app.args;
  const auto path = args.get("triggers");
  if (!path) {
    for (const char* o : {"trigger-midi-out", "listen-ms", "trigger-sensitivity", "trigger-reject"})
      if (args.get(o))
        std::cerr << "musicmill perform: note: --" << o << " without --triggers PROFILE.toml does nothing\n";
    return true;
  }
  TriggerProfile profile;
  std::error_code ec;
  if (std::filesystem::exists(*path, ec)) {
    if (LoadReport report; !loadTriggerProfile(*path, profile, report)) {
      std::cerr << "musicmill perform: the trigger profile cannot be used:\n" << report.text();
      return false;
    }
  } else {
    profile = starterTriggerProfile();
    app.post("triggers: " + *path +
                 " does not exist yet: learn kick, snare and hihat in the Beatbox triggers "
                 "panel; it is saved after each take");
  }
  if (const std::string bad = applyTriggerOptions(args, profile.settings); !bad.empty()) {
    std::cerr << "musicmill perform: " << bad << "\n";
    return false;
  }
  const double rate = app.engine->sampleRate();
  if (profile.sampleRate > 0 && std::abs(profile.sampleRate - rate) > 0.1 * rate)
    app.post("triggers: the profile was learned at " + std::to_string(static_cast<int>(profile.sampleRate)) +
                 " Hz and the stream runs at " + std::to_string(static_cast<int>(rate)) +
                 " Hz; if hits are misread, learn the classes again");

  auto live = std::make_unique<TriggerPart>(app, *path, std::move(profile), rate);
  live->analyzer = std::make_shared<TriggerAnalyzer>(&app.modSources, live->learner.profile().settings);
  try {
    app.engine->addInputAnalyzer(live->analyzer.get());  // prepares it at the stream's rate
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: triggers: " << e.what() << "\n";
    return false;
  }
  if (auto port = args.get("trigger-midi-out")) {
    int api = 0;
    try {
      api = midiApiFromName(chooseMidiApi(args));
    } catch (const std::exception& e) {
      std::cerr << "musicmill perform: " << e.what() << "\n";
      return false;
    }
    live->midi = std::make_unique<TriggerMidiOut>(*live->analyzer);
    if (const std::string err = live->midi->open(api, app.engine->config().clientName + "-triggers", *port);
        !err.empty()) {
      std::cerr << "musicmill perform: " << err << "\n";
      return false;
    }
    live->midi->start();
    app.post("triggers: MIDI notes out on " + live->midi->portName());
  }
  live->publish();
  if (live->midi) live->midiRecovery = std::make_unique<MidiOutputRecovery>();
  // The engine keeps a raw pointer to the analyzer until it stops: the part outlives that
  // (App is destroyed after engine.stop()). The MIDI thread stops before the engine does.
  app.triggers = std::move(live);
  return true;
}

}  // namespace mm
