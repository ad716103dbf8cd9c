#include "TriggerSetup.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>

#include "Commands.h"
#include "SaveThread.h"
#include "MidiInputPorts.h"
#include "TriggerAnalyzer.h"
#include "TriggerClassifier.h"
#include "TriggerLearner.h"
#include "TriggerMidiOut.h"
#include "TriggerProfile.h"

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

void TriggerPart::save() {
  // Written on the save thread from a copy: the control thread never waits for the disk.
  auto profile = std::make_shared<TriggerProfile>(learner.profile());
  App* a = &app;
  const std::string file = path;
  app.saves->submit([file, profile] { return saveTriggerProfile(file, *profile); },
                    [a, file](const std::string& err) { a->post(err.empty() ? "triggers: saved " + file : "triggers: " + err); });
}

void TriggerPart::arm(int cls, int examplesPerTake) {
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

void TriggerPart::fillView(TriggerView& v) const {
  const TriggerProfile& p = learner.profile();
  v.lastClass.clear();
  v.lastHit = {};
  if (!recent.empty() && recent.front().cls >= 0 && recent.front().cls < static_cast<int>(p.classes.size())) {
    v.lastClass = p.classes[static_cast<size_t>(recent.front().cls)].name;
    v.lastHit = recent.front().when;
  }
  v.hits = analyzer->hits();
  v.midiOut = midi ? midi->portName() : std::string();
  v.status = learner.status();
  v.path = path;
  v.listenMs = p.settings.listenMs;
  v.sensitivity = sensitivityForMinRise(p.settings.minRiseDb);
  v.reject = p.settings.rejectDistance;
  v.armed = learner.armed();
  v.classes.resize(p.classes.size());
  for (size_t c = 0; c < p.classes.size(); ++c) {
    v.classes[c].name = p.classes[c].name;
    v.classes[c].examples = static_cast<int>(p.classes[c].examples.size());
    v.classes[c].note = p.classes[c].note;
    v.classes[c].armed = learner.armedClass() == static_cast<int>(c);
  }
  v.canAddClass = p.classes.size() < static_cast<size_t>(kMaxTriggerClasses);
  v.recent.resize(recent.size());
  for (size_t i = 0; i < recent.size(); ++i)
    v.recent[i] = {recent[i].cls, recent[i].velocity, recent[i].distance, recent[i].decisionMs, recent[i].when};
}

void TriggerPart::setDetection(float minRiseDb, float rejectDistance) {
  if (const std::string err = learner.setDetection(minRiseDb, rejectDistance); !err.empty()) app.post("triggers: " + err);
}

void TriggerPart::cancelLearning() {
  learner.cancel();
  analyzer->setLearning(false);
}

void TriggerPart::clearClass(int cls) {
  if (const std::string err = learner.clearClass(cls); !err.empty()) app.post("triggers: " + err);
}

void TriggerPart::removeClass(int cls) {
  if (const std::string err = learner.removeClass(cls); !err.empty()) app.post("triggers: " + err);
}

void TriggerPart::setNote(int cls, int note) {
  if (const std::string err = learner.setNote(cls, std::clamp(note, 0, 127)); !err.empty()) app.post("triggers: " + err);
}

void TriggerPart::addClass(const std::string& name) {
  if (const std::string err = learner.addClass(name); !err.empty()) app.post("triggers: " + err);
}

void TriggerPart::reload() {
  TriggerProfile loaded;
  // A broken file changes nothing: the messages say where, the music goes on.
  if (LoadReport report; !loadTriggerProfile(path, loaded, report)) {
    app.post("triggers: " + report.text());
    return;
  }
  const TriggerSettings& running = analyzer->settings();
  const bool restart = loaded.settings.listenMs != running.listenMs || loaded.settings.hop != running.hop ||
                       loaded.settings.onsetMethod != running.onsetMethod ||
                       loaded.settings.onsetThreshold != running.onsetThreshold;
  learner.replaceProfile(std::move(loaded));
  app.post("triggers: reloaded " + path +
           (restart ? " (its onset and listen-window settings apply from the next start)" : ""));
}

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
