// Autosave: the live state written every few seconds to DIR/autosave.toml (atomically), so
// that after a crash (kill -9, power cut) the next start can offer it back.
//
// Nothing saved is lost: a session writes only once its state differs from where it
// started, and before its first write the previous session's autosave is moved to
// DIR/history/ (the newest kHistoryKeep are kept), so starting without --restore and then
// playing never destroys the state a crash left behind.
//
// The file is a preset (format 1) holding every parameter, venue ones included, plus a
// [session] table: when it was saved and where in which set list the performer was.
//
// Threads: one at a time: AutosaveWriter's thread during the show, then the main thread
// for the last save (SetListPart::stop).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "LoadReport.h"
#include "Preset.h"

namespace mm {

class ParameterRegistry;

struct LiveState {
  Preset preset;
  std::string setList;  // absolute path of the set list playing, "" for none
  int song = 0;         // song number, 0 = none
  int part = 0;         // 1-based part within the song, 0 = none
  std::string savedAt;  // local time "YYYY-MM-DD HH:MM:SS" (filled when written)
};

// The autosave text; `withTime` adds saved_at (left out to compare states).
std::string liveStateToToml(const LiveState& state, bool withTime);
std::optional<LiveState> loadLiveState(const std::string& path, LoadReport& report,
                                       const ParameterRegistry* registry = nullptr);

class Autosave {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kHistoryKeep = 100;

  Autosave(std::string dir, double intervalSeconds);
  // $XDG_DATA_HOME/musicmill, else ~/.local/share/musicmill.
  static std::string defaultDir();

  const std::string& dir() const { return dir_; }
  const std::string& path() const { return path_; }
  bool exists() const;
  // When the state in the file was saved (its saved_at, else the file's time).
  std::string savedAt() const;

  // The state this session starts from: nothing is written while the live state equals it.
  void setBaseline(const LiveState& state);
  // Every tick: once per interval, writes the state if it changed. Returns "" or a
  // message (each distinct failure once, so a read-only disk does not flood the screen).
  std::string tick(Clock::time_point now, const std::function<LiveState()>& capture);
  // Writes now if the state changed (the session is ending). "" or a message.
  std::string saveIfChanged(const LiveState& state);
  int writes() const { return writes_; }

 private:
  std::string write(const LiveState& state);
  std::string moveOldAutosaveToHistory();

  std::string dir_, path_;
  double interval_;
  Clock::time_point last_{};
  std::string lastText_;  // state text (without time) last written or the baseline
  bool rotated_ = false;
  std::string lastError_;
  int writes_ = 0;
};

}  // namespace mm
