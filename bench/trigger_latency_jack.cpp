// trigger_bench latency: voice onset in -> MIDI note out, through JACK audio and JACK MIDI.
// A private JACK dummy server (tests/JackHarness.h) runs the real musicmill binary with a
// profile learned from one performer's takes; one JACK client plays that performer's
// held-out take into `musicmill:inport 0`, another receives the trigger port's MIDI. Both
// stamp in JACK frame time, so the latency of a hit is
//   (frame time of the note-on) - (frame time at which the true onset was played),
// which excludes the sound card's own buffers (they add the same to any JACK client).
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "JackHarness.h"
#include "TestSupport.h"
#include "TriggerBenchSet.h"
#include "TriggerJackClients.h"
#include "TriggerProfile.h"

using namespace mmbench;

namespace {

struct PerformerResult {
  std::vector<double> ms;
  int played = 0, received = 0, right = 0;
  double xruns = 0, callbacks = 0;
};

PerformerResult measure(const Performer& performer, const std::map<std::string, std::string>& opt,
                        const mm::TriggerSettings& settings, int rate, const std::string& model) {
  PerformerResult res;
  const std::string dir = mmtest::tempDir();
  const mm::TriggerProfile profile = learnFromTakes(performer, settings, 8);
  const std::string profilePath = dir + "/profile.toml";
  if (const std::string err = mm::saveTriggerProfile(profilePath, profile); !err.empty()) throw std::runtime_error(err);
  double fileRate = 0;
  std::vector<float> voice = readMono(performer.dir + "/test.wav", &fileRate);
  if (static_cast<int>(fileRate) != rate)
    throw std::runtime_error("the set is at " + std::to_string(static_cast<int>(fileRate)) + " Hz; run with --rate " +
                             std::to_string(static_cast<int>(fileRate)));
  const auto labels = readLabels(performer.dir + "/test.csv");
  const double seconds = voice.size() / fileRate;

  char args[1024];
  std::snprintf(args, sizeof args,
                "perform --audio-api jack --headless --no-connect --model %s --triggers %s --trigger-midi-out virtual "
                "--duration %.0f --no-autosave --report %s/report.json",
                model.c_str(), profilePath.c_str(), seconds + 20, dir.c_str());
  // On a loaded machine musicmill sometimes misses the server at its first try.
  auto mmp = std::make_unique<mmtest::MusicmillProcess>(args);
  if (!mmp->waitForPorts(60)) {
    mmp->stop();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    mmp = std::make_unique<mmtest::MusicmillProcess>(args);
    if (!mmp->waitForPorts(60)) throw std::runtime_error("musicmill did not come up:\n" + mmp->output());
  }
  mmtest::MusicmillProcess& mm = *mmp;
  mmtest::JackVoicePlayer player(voice);
  mmtest::JackNoteReceiver receiver;
  const std::string triggerPort = receiver.findOutputPort("triggers");
  if (triggerPort.empty())
    throw std::runtime_error("musicmill has no JACK MIDI port named *triggers*:\n" + mm.output());
  if (!player.connect("musicmill:inport 0") || !receiver.connectFrom(triggerPort))
    throw std::runtime_error("cannot connect the bench clients to musicmill");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  player.start();
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds + 10);
  while (!player.done() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  mm.stop();

  const auto notes = receiver.notes();
  std::vector<bool> used(notes.size(), false);
  for (const auto& l : labels) {
    const double onsetFrame = player.frameOf(std::lround(l.time * rate));
    // The first note-on within 100 ms after the true onset.
    for (size_t j = 0; j < notes.size(); ++j) {
      const double d = (static_cast<double>(notes[j].frame) - onsetFrame) / rate * 1000.0;
      if (used[j] || d < -5.0) continue;
      if (d > 100.0) break;
      used[j] = true;
      res.ms.push_back(d);
      const int cls = profile.classIndex(l.cls);
      res.right += cls >= 0 && notes[j].note == profile.classes[cls].note;
      break;
    }
  }
  if (opt.count("verbose")) {
    for (const auto& n : notes)
      std::printf("note %3d vel %3d at %+.1f ms from the start\n", n.note, n.velocity,
                  (static_cast<double>(n.frame) - player.frameOf(0)) / rate * 1000.0);
    for (const auto& l : labels) std::printf("label %-6s at %.1f ms\n", l.cls.c_str(), l.time * 1000.0);
    std::printf("%s\n", mm.output().c_str());
  }
  const std::string report = mmtest::readFile(dir + "/report.json");
  res.played = static_cast<int>(labels.size());
  res.received = static_cast<int>(notes.size());
  res.xruns = mmtest::jsonNumber(report, "xruns");
  res.callbacks = mmtest::jsonNumber(report, "callbacks");
  return res;
}

}  // namespace

int runLatency(const std::map<std::string, std::string>& opt, const mm::TriggerSettings& settings) {
  auto get = [&](const char* k, const std::string& d) { return opt.count(k) ? opt.at(k) : d; };
  const int rate = std::stoi(get("rate", "44100")), period = std::stoi(get("period", "128"));
  const std::string model = get("model", mmtest::fixture("delay_44k.ts"));
  const std::string which = get("performer", "all");
  std::printf("trigger latency through JACK (dummy backend, %d Hz, period %d = %.2f ms), model %s\n", rate, period,
              1000.0 * period / rate, model.c_str());
  std::printf(
      "listen window %.1f ms, onsets %s hop %d; latency = JACK frame time of the note-on - frame time at which "
      "the true onset was played\n\n",
      settings.listenMs, settings.onsetMethod.c_str(), settings.hop);
  std::printf("%-10s %6s %6s %7s %6s | %9s %9s %9s %9s | %s\n", "performer", "hits", "notes", "matched", "right",
              "median", "p95", "min", "max", "xruns/callbacks");
  mmtest::JackServer server(rate, period);
  if (!server.ok()) throw std::runtime_error("jackd (dummy backend) did not start:\n" + server.log());
  std::vector<double> all;
  int played = 0, matched = 0, right = 0;
  for (const Performer& p : loadSet(get("set", ""))) {
    if (which != "all" && which != p.name) continue;
    const PerformerResult r = measure(p, opt, settings, rate, model);
    std::printf("%-10s %6d %6d %7zu %6d | %6.1f ms %6.1f ms %6.1f ms %6.1f ms | %.0f/%.0f\n", p.name.c_str(), r.played,
                r.received, r.ms.size(), r.right, median(r.ms), percentile(r.ms, 95), percentile(r.ms, 0),
                percentile(r.ms, 100), r.xruns, r.callbacks);
    std::fflush(stdout);
    all.insert(all.end(), r.ms.begin(), r.ms.end());
    played += r.played;
    matched += static_cast<int>(r.ms.size());
    right += r.right;
  }
  if (all.empty()) throw std::runtime_error("no performer '" + which + "' in the set, or no notes came back");
  std::printf("%-10s %6d %6s %7d %6d | %6.1f ms %6.1f ms %6.1f ms %6.1f ms |\n", "ALL", played, "", matched, right,
              median(all), percentile(all, 95), percentile(all, 0), percentile(all, 100));
  std::printf("\nxruns: JACK cycles that ran late on this machine (each delays what follows).\n");
  return 0;
}
