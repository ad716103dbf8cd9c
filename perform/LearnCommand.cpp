// `musicmill learn PARAM|ACTION [--mapping FILE]`: waits for the next MIDI control moved,
// recognises what it is (7-bit, 14-bit pair, relative encoder, button, note, pitch bend,
// aftertouch) and adds the binding to the mapping file (atomically; the file's other
// contents and comments are kept).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "Commands.h"
#include "ControlDecoding.h"
#include "MappingFile.h"
#include "MidiInputPorts.h"
#include "MidiLearn.h"
#include "ModelRuntime.h"
#include "Parameters.h"

namespace mm {

namespace {
std::atomic<bool> gCancel{false};
void onSignal(int) { gCancel.store(true); }
}  // namespace

int runLearn(const Args& args, const char* /*argv0*/) {
  if (args.positional.empty()) {
    std::cerr << "musicmill learn: which parameter? e.g. `musicmill learn energy --mapping my.toml`\n"
                 "  (`musicmill params` lists ids; actions: next_part, prev_part, next_song, prev_song,\n"
                 "   goto_song --value N, select_preset --value N)\n";
    return 2;
  }
  const std::string target = args.positional.front();
  // The parameter ids do not depend on the model except for dim.N: with no --model, allow
  // as many latent dimensions as any RAVE export has.
  std::unique_ptr<ParameterRegistry> registry;
  if (auto modelPath = args.get("model")) {
    try {
      ModelRuntime::Options mo;
      registry = makeStandardRegistry(ModelRuntime::load(*modelPath, mo)->info().latentSize);
    } catch (const ModelError& e) {
      std::cerr << "musicmill learn: " << e.what() << "\n";
      return 2;
    }
  } else {
    registry = makeStandardRegistry(128);
  }
  const int paramIndex = registry->indexOf(target);
  MidiAction action = MidiAction::None;
  if (paramIndex < 0 && (!parseAction(target.c_str(), action) || action == MidiAction::ProgramChange ||
                         action == MidiAction::BankSelect)) {
    std::cerr << "musicmill learn: '" << target << "' is neither a parameter id (`musicmill params` lists them)\n"
                 "  nor an action: next_part, prev_part, next_song, prev_song, goto_song, select_preset\n";
    return 2;
  }
  const int value = args.getInt("value", 0);
  if ((action == MidiAction::GotoSong || action == MidiAction::SelectPreset) && !args.get("value")) {
    std::cerr << "musicmill learn: " << target << " needs --value NUMBER (the song or preset)\n";
    return 2;
  }
  const std::string mappingPath = args.get("mapping", "musicmill-learned.toml");
  const double timeout = args.getDouble("timeout", 60.0);

  std::unique_ptr<MidiInputPorts> ports;
  try {
    ports = std::make_unique<MidiInputPorts>(chooseMidiApi(args),
                                             "musicmill-learn", args.all("midi-in"));
  } catch (const std::exception& e) {
    std::cerr << "musicmill learn: " << e.what() << "\n";
    return 3;
  }
  for (const auto& m : ports->rescan()) std::printf("MIDI: %s\n", m.c_str());
  std::printf("Move the control for %s (within %.0f s; Ctrl-C cancels)...\n", target.c_str(), timeout);
  std::fflush(stdout);

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  MidiLearnDetector detector;
  std::vector<MidiEvent> events;
  const double start = midiNow();
  double nextScan = start + 1.0;
  while (!gCancel.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double now = midiNow();
    if (now >= nextScan) {
      nextScan = now + 1.0;
      for (const auto& m : ports->rescan()) std::printf("MIDI: %s\n", m.c_str());
      std::fflush(stdout);
    }
    events.clear();
    ports->drain(events);
    for (const MidiEvent& e : events) detector.feed(e);
    if (auto control = detector.result(now)) {
      const MidiBinding b = paramIndex >= 0 ? learnedBinding(*control, *registry, paramIndex)
                                            : learnedAction(*control, action, value);
      std::string notes;
      const std::string err = addBindingToFile(mappingPath, b, *registry, &notes);
      if (!err.empty()) {
        std::cerr << "musicmill learn: " << err << "\n";
        return 2;
      }
      std::printf("learned %s -> %s; saved to %s\n", describeSource(b).c_str(), target.c_str(), mappingPath.c_str());
      if (!notes.empty()) std::printf("note: %s\n", notes.c_str());
      return 0;
    }
    if (now - start > timeout) {
      std::cerr << "musicmill learn: no control moved in " << timeout
                << " s. Is the controller connected? `musicmill devices` lists MIDI ports; "
                   "--midi-in NAME picks one.\n";
      return 1;
    }
  }
  std::cerr << "musicmill learn: cancelled; " << mappingPath << " is unchanged\n";
  return 1;
}

}  // namespace mm
