// Session: everything a running `musicmill perform` has, handed to each subsystem
// (UI, MIDI, OSC, set lists, triggers) so that each one plugs in from its own file.
//
// Threads: built and torn down on the main thread. onTick hooks run on the control thread
// (ControlLoop, about every millisecond) with controlMutex held: that is where MIDI/OSC
// queues are drained into parameters, set-list navigation happens and autosave runs.
// Never on the audio thread. The UI reaches the subsystems (panels, navigation, learn)
// only while it holds controlMutex; it holds it to handle input and build a frame, never
// while it renders or waits for the display.
#pragma once

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "Cli.h"
#include "LfoBank.h"
#include "LiveEngine.h"
#include "ModulationRoute.h"
#include "ModulationSources.h"
#include "Parameters.h"
#include "Semaphore.h"
#include "PresetHooks.h"

namespace mm {

// Set-list / preset navigation, requested by MIDI, OSC, the keyboard or the UI and carried
// out by whoever subscribes (the set-list player). `value`: song number for GotoSong,
// program number for ProgramChange, bank for BankSelect, preset number (from 1, as on the screen) for SelectPreset.
enum class NavCommand { NextPart, PrevPart, NextSong, PrevSong, GotoSong, ProgramChange, BankSelect, SelectPreset };

// What a style anchor (A or B) holds, for the UI (see Session::styleAnchor).
struct StyleAnchorStatus {
  std::string file;      // the audio file it was encoded from; "" = none loaded
  std::string encoding;  // the file being encoded into it now; "" = none
  double encodingSeconds = 0;  // how long that has been running
  std::string error;     // why the last encoding into it failed; "" = it did not
};

class LiveMidi;
class SetListPlayer;

struct Session {
  // First, so that they outlive every part below that may post or lock them (the MIDI
  // ports' callbacks post controlWake until the hooks holding them are gone).
  // Held by the control thread for each tick and by the UI while it builds a frame.
  std::mutex controlMutex;
  // Wakes the control thread at once (a MIDI message, an OSC request); it also ticks every
  // few milliseconds on its own (ramps, autosave, the watches).
  WakeSignal controlWake;

  const Args* args = nullptr;
  std::string modelPath;
  const char* argv0 = nullptr;
  ParameterRegistry* registry = nullptr;
  LiveEngine* engine = nullptr;
  // Where the style, pattern, modulation and mapping subsystems set their apply/capture
  // hooks (sets/PresetHooks.h), before or after the set list attaches: whoever sets a hook
  // receives the playing preset's sections on the first tick at the latest.
  PresetHooks presetHooks;
  // The set-list player (attachSetList) and the MIDI side (attachMidi; nullptr without
  // MIDI). Set before the control thread starts, cleared by onStop; the control thread
  // and the UI (under controlMutex) use them.
  SetListPlayer* setList = nullptr;
  LiveMidi* midi = nullptr;
  const LfoBank* lfos = nullptr;  // the performance's LFOs (for the UI)
  // Voice analysis, beatbox triggers and MIDI publish here; modulation matrices read it.
  ModulationSources modSources;
  // Control thread: capture the last `beats` beats of the voice's latents into pattern
  // slot `slot` of the current model (recall it with pattern.slot + source.pattern).
  std::function<void(int slot, double beats)> capturePattern;
  // Control thread: the modulation routes of every model slot.
  std::function<void(const std::vector<struct ModRoute>&)> setModRoutes;
  // The routes given with --mod, parsed once by attachModulation: what plays until a
  // preset says otherwise.
  std::vector<ModRoute> commandLineRoutes;
  // Main thread: "match this track". Starts encoding `audioPath` into style anchor `which`
  // (0 = A, 1 = B) on a thread of its own and returns at once: "" or why it cannot start
  // (another file is still encoding). A later tick swaps the new anchor into every model
  // slot whose latent size fits and posts the outcome; until then the old anchor plays.
  std::function<std::string(int which, const std::string& audioPath)> setStyleAnchor;
  // Main thread: what anchor `which` holds and whether a file is encoding into it.
  std::function<StyleAnchorStatus(int which)> styleAnchor;
  // Control thread (or after it stopped): the modulation routes playing, in --mod syntax.
  std::function<std::vector<std::string>()> activeRoutes;
  // Any thread: MIDI messages dropped because a port's queue was full (0 without MIDI).
  std::function<uint64_t()> midiDropped;

  // Objects a subsystem creates for the length of the performance (freed after the engine
  // stopped, in reverse order).
  std::vector<std::shared_ptr<void>> keepAlive;
  std::vector<std::function<void()>> onTick;  // control thread, about every millisecond
  std::vector<std::function<void()>> onStop;  // main thread, after the control thread stopped
  // Main thread: subscribers carry out navigation (see NavCommand).
  std::vector<std::function<void(NavCommand, int)>> onNavigate;
  // UI panels other subsystems contribute (title, draw function using Dear ImGui);
  // drawn by the UI every frame on the main thread.
  std::vector<std::pair<std::string, std::function<void()>>> panels;
  // What the beatbox triggers are doing, for the stage screen (TriggerSetup fills; the UI
  // calls it under controlMutex).
  struct TriggerActivity {
    std::string lastClass;        // "" before the first hit
    double lastSecondsAgo = 1e9;  // since that hit
    uint64_t hits = 0;            // all hits played so far
    std::string midiOut;          // the notes' port, "" when no MIDI out
  };
  std::function<TriggerActivity()> triggerActivity;
  // Text the UI shows as the current and next set-list position (set-list player fills).
  std::function<std::string()> setListNow, setListNext, setListNotes;
  std::atomic<bool> stopRequested{false};

  void tick() {
    for (auto& f : onTick) f();
  }
  void navigate(NavCommand c, int value = 0) {
    for (auto& f : onNavigate) f(c, value);
  }

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

 private:
  mutable std::mutex messagesMutex_;
  std::deque<std::string> messages_;
  std::atomic<uint64_t> messageCount_{0};
};

// Each subsystem's attach function (declared here, defined in its own file) is called by
// runPerform after the engine is open and before it starts. Returns false (after printing
// why) when the performance cannot start.
using SessionAttach = bool (*)(Session&);

}  // namespace mm
