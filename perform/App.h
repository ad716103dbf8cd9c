// App: a running `musicmill perform` around its engine: what every part shares (the
// registry, the engine, the modulation sources, the preset hooks, the performer's
// messages) and the parts themselves as typed members, built in the order they are
// declared (App::build) and destroyed in the reverse order.
//
// Threads: built and torn down on the main thread. tick() runs on the control thread
// (ControlLoop): what the UI posted, MIDI and OSC drained into parameters, set-list
// navigation, ramps, autosave hand-over, anchor completion, the engine watch; then the
// StageView the UI draws. Never on the audio thread. The UI never calls a part: it reads
// `view` and posts events (postFromUi); parameters it writes through the registry's
// atomics, as OSC does.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "Cli.h"
#include "LiveEngine.h"
#include "ModelLibrary.h"
#include "ModulationSources.h"
#include "Parameters.h"
#include "PresetHooks.h"
#include "Semaphore.h"
#include "SpscFifo.h"
#include "StageView.h"
#include "TripleBuffer.h"

namespace mm {

// Set-list / preset navigation, requested by MIDI, OSC, the keyboard or the UI. `value`:
// song number for GotoSong, program number for ProgramChange, bank for BankSelect, preset
// number (from 1, as on the screen) for SelectPreset.
enum class NavCommand { NextPart, PrevPart, NextSong, PrevSong, GotoSong, ProgramChange, BankSelect, SelectPreset };

// The parts (each declared in its own header, defined in its own file).
class EngineWatch;     // EngineWatch.h: audio server loss and reconnect, NaN and model faults, latency steps
class ModulationPart;  // ModulationSetup.h: voice analysis, LFOs, the modulation matrices
class SourcesPart;     // SourcesSetup.h: style anchors ("match this track"), pattern capture
class SetListPart;     // SetListSetup.h: the set-list player, presets shelf, autosave
class ModelPart;       // ModelSetup.h: the playing model's own controls (attributes), the model browser
class MidiPart;        // ControlSetup.h: MIDI in (mapping, learn, clock) and clock out
class OscPart;         // ControlSetup.h: the OSC server
class TriggerPart;     // TriggerSetup.h: beatbox triggers, their learning and notes out
class PresetWiring;    // SetListSetup.h: a preset's routes, patterns, anchors and mapping played
class SaveThread;      // SaveThread.h: files the performer's actions write, off the control thread

struct App {
  App();
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // First, so that they outlive every part below that may post or lock them (the MIDI
  // ports' callbacks post controlWake until the part holding them is gone).
 private:
  mutable std::mutex messagesMutex_;  // post() and the readers below
  std::deque<std::string> messages_;
  std::atomic<uint64_t> messageCount_{0};
  // What the UI asked for, waiting for the control thread (see postFromUi).
  using UiEvent = std::function<void(App&)>;
  SingleReaderSingleWriterFifo<UiEvent*> uiEvents_{256};
  std::atomic<uint64_t> uiEventsDropped_{0};
  uint64_t uiEventsHandled_ = 0;  // control thread's
  uint64_t viewSerial_ = 0;       // control thread's
  std::chrono::steady_clock::time_point viewAt_{};
  void publishView();

 public:
  // Held by the control thread for each tick, and by the headless loop to read the
  // engine's status between ticks. The UI never takes it.
  std::mutex controlMutex;
  // Wakes the control thread at once (a MIDI message, an OSC request); it also ticks every
  // few milliseconds on its own (ramps, autosave, the watches).
  WakeSignal controlWake;

  const Args* args = nullptr;
  std::string modelPath;
  const char* argv0 = nullptr;
  ParameterRegistry* registry = nullptr;
  LiveEngine* engine = nullptr;
  // Where a preset's or a set list's `model` may be a short name (--models-dir, the
  // user's library, the bundled models).
  ModelLibrary library;
  // Where the modulation, pattern, style and mapping parts receive a preset's sections
  // (sets/PresetHooks.h); PresetWiring sets them, the set-list player calls them.
  PresetHooks presetHooks;
  // Voice analysis, beatbox triggers and MIDI publish here; modulation matrices read it.
  ModulationSources modSources;

  // Writes what a learned MIDI control or a trigger take changes on disk, off the control
  // thread; built first and gone last, after every part that submits to it.
  std::unique_ptr<SaveThread> saves;
  // The parts, in the order build() makes them. A part may use those above it. MIDI, OSC
  // and triggers are null when the command line does not ask for them.
  std::unique_ptr<EngineWatch> watch;
  std::unique_ptr<ModulationPart> modulation;
  std::unique_ptr<SourcesPart> sources;
  std::unique_ptr<SetListPart> setList;
  std::unique_ptr<ModelPart> model;
  std::unique_ptr<MidiPart> midi;
  std::unique_ptr<OscPart> osc;
  std::unique_ptr<TriggerPart> triggers;
  std::unique_ptr<PresetWiring> presets;

  // Main thread, after the engine is open and before it starts: builds every part in
  // order. False (after printing why) when the performance cannot start.
  bool build();
  // Control thread: every part's control work, in build order.
  void tick();
  // Control thread: carries out a set-list move (from MIDI, OSC or a UI event), then lets
  // MIDI re-arm its pickup (the preset has changed the parameters under the knobs).
  void navigate(NavCommand c, int value = 0);
  // Main thread, after the control thread stopped and before the engine stops: the
  // threads the parts run (MIDI out, OSC, autosave) end; the last autosave is written;
  // every save still queued is written and reported.
  void stop();

  std::atomic<bool> stopRequested{false};

  // The stage screen. While a UI is attached (uiAttached), the control thread publishes
  // what the UI shows of the parts after its tick (at most every 10 ms, and at once after
  // it carried out a UI event); the UI reads it with view.read() and never calls a part.
  TripleBuffer<StageView> view;
  std::atomic<bool> uiAttached{false};
  // UI thread (the one producer): `event` runs on the control thread at its next tick,
  // which this wakes, in the order posted; the StageView published after it reflects it
  // (StageView::uiEventsHandled). Never blocks: false, and the event is dropped and
  // counted, when 256 are already waiting.
  bool postFromUi(std::function<void(App&)> event);
  uint64_t uiEventsDropped() const { return uiEventsDropped_.load(std::memory_order_relaxed); }

  // User-visible messages (problems, confirmations): printed in headless mode, shown by
  // the UI. Any non-audio thread may post.
  void post(const std::string& message) {
    std::lock_guard<std::mutex> lock(messagesMutex_);
    messages_.push_back(message);
    if (messages_.size() > 200) messages_.pop_front();
    ++messageCount_;
  }
  std::vector<std::string> recentMessages(size_t n) const {
    std::lock_guard<std::mutex> lock(messagesMutex_);
    const size_t from = messages_.size() > n ? messages_.size() - n : 0;
    return std::vector<std::string>(messages_.begin() + static_cast<long>(from), messages_.end());
  }
  uint64_t messageCount() const { return messageCount_.load(); }
  // The messages posted since `seen` (which is moved on), oldest first; of a burst larger
  // than what is kept, the newest.
  std::vector<std::string> messagesSince(uint64_t& seen) const {
    std::lock_guard<std::mutex> lock(messagesMutex_);
    const uint64_t total = messageCount_.load();
    const size_t fresh = static_cast<size_t>(std::min<uint64_t>(total - seen, messages_.size()));
    seen = total;
    return std::vector<std::string>(messages_.end() - static_cast<long>(fresh), messages_.end());
  }
};

}  // namespace mm
