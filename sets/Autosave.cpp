#include "Autosave.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <vector>

#include "AtomicFile.h"
#include "PresetTable.h"
#include "PresetText.h"
#include "TomlWrite.h"

namespace fs = std::filesystem;

namespace mm {

namespace {

std::string localTime(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
  return b;
}

}  // namespace

std::string liveStateToToml(const LiveState& s, bool withTime) {
  std::ostringstream o;
  o << "# MusicMill autosave: the live state, written every few seconds while playing.\n"
       "# `musicmill perform --restore` loads it; it is also a valid preset.\nformat = "
    << kPresetFormat << "\n";
  // Paths absolute (dir ""): the autosave folder is far from the gig's files.
  writePresetBody(o, s.preset, "", "");
  o << "\n[session]\n";
  if (withTime) o << "saved_at = " << tomlString(s.savedAt) << "\n";
  if (!s.setList.empty()) o << "set_list = " << tomlString(s.setList) << "\n";
  if (s.song > 0) o << "song = " << s.song << "\npart = " << s.part << "\n";
  return o.str();
}

std::optional<LiveState> loadLiveState(const std::string& path, LoadReport& report, const ParameterRegistry* registry) {
  auto table = readTomlFile(path, report);
  if (!table) return std::nullopt;
  const TomlSource src{path, fs::absolute(path).parent_path().string(), &report};
  LiveState s;
  if (const toml::node* n = table->get("session")) {
    if (const toml::table* t = n->as_table()) {
      warnUnknownKeys(*t, {"saved_at", "set_list", "song", "part"}, src, "[session]");
      s.savedAt = readString(*t, "saved_at", src, "[session]").value_or("");
      s.setList = readString(*t, "set_list", src, "[session]").value_or("");
      s.song = static_cast<int>(readInteger(*t, "song", src, "[session]", 0, 9999).value_or(0));
      s.part = static_cast<int>(readInteger(*t, "part", src, "[session]", 0, 9999).value_or(0));
    } else {
      src.error(*n, "[session] must be a table, not " + describe(*n));
    }
    table->erase("session");  // the rest is an ordinary preset
  }
  auto preset = readPresetTable(*table, src, PresetChecks{registry}, "autosave", "Live", true);
  if (!preset) return std::nullopt;
  s.preset = std::move(*preset);
  return s;
}

Autosave::Autosave(std::string dir, double intervalSeconds)
    : dir_(std::move(dir)), path_((fs::path(dir_) / "autosave.toml").string()), interval_(intervalSeconds) {}

std::string Autosave::defaultDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "musicmill").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".local" / "share" / "musicmill").string();
  return (fs::temp_directory_path() / "musicmill").string();
}

bool Autosave::exists() const {
  std::error_code ec;
  return fs::is_regular_file(path_, ec);
}

std::string Autosave::savedAt() const {
  LoadReport ignored;  // a damaged file still has a time: its modification time
  if (auto s = loadLiveState(path_, ignored); s && !s->savedAt.empty()) return s->savedAt;
  std::error_code ec;
  const auto ft = fs::last_write_time(path_, ec);
  if (ec) return "an unknown time";
  const auto sys = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      ft - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
  return localTime(std::chrono::system_clock::to_time_t(sys));
}

void Autosave::setBaseline(const LiveState& state) { lastText_ = liveStateToToml(state, false); }

std::string Autosave::tick(Clock::time_point now, const std::function<LiveState()>& capture) {
  if (interval_ <= 0) return "";
  if (last_ == Clock::time_point{}) last_ = now;
  if (std::chrono::duration<double>(now - last_).count() < interval_) return "";
  last_ = now;
  return saveIfChanged(capture());
}

std::string Autosave::saveIfChanged(const LiveState& state) {
  if (liveStateToToml(state, false) == lastText_) return "";
  return write(state);
}

std::string Autosave::moveOldAutosaveToHistory() {
  rotated_ = true;
  if (!exists()) return "";
  std::error_code ec;
  const fs::path history = fs::path(dir_) / "history";
  fs::create_directories(history, ec);
  std::string stamp = savedAt();
  std::replace(stamp.begin(), stamp.end(), ' ', '_');
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  fs::path dest = history / ("autosave-" + stamp + ".toml");
  for (int i = 2; fs::exists(dest, ec); ++i) dest = history / ("autosave-" + stamp + "-" + std::to_string(i) + ".toml");
  fs::rename(path_, dest, ec);
  if (ec) return "cannot move the previous autosave to " + dest.string() + ": " + ec.message() +
                 " (autosave is off for this session so that it is not overwritten)";
  // Keep the newest kHistoryKeep; names sort by time.
  std::vector<fs::path> old;
  for (const auto& e : fs::directory_iterator(history, ec))
    if (e.path().extension() == ".toml") old.push_back(e.path());
  std::sort(old.begin(), old.end());
  for (size_t i = 0; i + kHistoryKeep < old.size(); ++i) fs::remove(old[i], ec);
  return "";
}

std::string Autosave::write(const LiveState& state) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (!rotated_) {
    const std::string err = moveOldAutosaveToHistory();
    if (!err.empty()) {
      interval_ = 0;
      rotated_ = false;
      return err;
    }
  }
  LiveState s = state;
  s.savedAt = localTime(std::time(nullptr));
  std::string err = writeTextAtomically(path_, liveStateToToml(s, true));
  if (err.empty()) {
    lastText_ = liveStateToToml(state, false);
    lastError_.clear();
    ++writes_;
    return "";
  }
  if (err == lastError_) return "";
  lastError_ = err;
  return "autosave: " + err;
}

}  // namespace mm
