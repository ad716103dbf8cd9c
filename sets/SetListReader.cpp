// Reads set lists. Everything is validated here, before the show: a part whose preset is
// broken is dropped now, with its file and line, rather than failing when it is called.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "PresetTable.h"
#include "SetList.h"

namespace fs = std::filesystem;

namespace mm {

namespace {

struct Reader {
  const TomlSource& src;
  LoadReport& report;
  PresetChecks checks;
  // Preset files already read (absolute path -> preset, or nothing if broken), so a
  // preset used by several parts is read and reported once.
  std::map<std::string, std::optional<Preset>> presetFiles;

  std::optional<Preset> presetFile(const std::string& path) {
    auto it = presetFiles.find(path);
    if (it == presetFiles.end()) it = presetFiles.emplace(path, loadPreset(path, report, checks)).first;
    return it->second;
  }

  std::optional<Part> part(const toml::table& t, const std::string& where, int index) {
    warnUnknownKeys(t, {"name", "notes", "preset", "program", "ramp_ms"}, src, where);
    Part p;
    p.line = TomlSource::lineOf(t);
    p.name = readString(t, "name", src, where).value_or("Part " + std::to_string(index + 1));
    p.notes = readString(t, "notes", src, where).value_or("");
    if (t.get("program")) {
      if (auto v = readInteger(t, "program", src, where, 0, kMaxProgram)) p.program = static_cast<int>(*v);
    }
    if (t.get("ramp_ms")) p.rampMs = readNumber(t, "ramp_ms", src, where, 0.0, kMaxRampMs);
    const toml::node* pn = t.get("preset");
    if (!pn) {
      src.error(t, where + " ('" + p.name + "') has no preset: add preset = \"presets/NAME.toml\" or an inline "
                               "[song.part.preset] table; part skipped");
      return std::nullopt;
    }
    if (const toml::table* inline_ = pn->as_table()) {
      auto preset = readPresetTable(*inline_, src, checks, where + " preset", p.name, false);
      if (!preset) {
        src.error(*pn, where + " ('" + p.name + "'): its preset is unusable; part skipped");
        return std::nullopt;
      }
      p.preset = std::move(*preset);
      return p;
    }
    if (!pn->is_string()) {
      src.error(*pn, where + ": 'preset' must be a file name in quotes or a table, not " + describe(*pn) +
                         "; part skipped");
      return std::nullopt;
    }
    const std::string written = *pn->value<std::string>();
    p.presetFile = resolvePath(written, src.baseDir);
    std::error_code ec;
    if (written.empty() || !fs::is_regular_file(p.presetFile, ec)) {
      src.error(*pn, where + " ('" + p.name + "'): preset file '" + written + "' does not exist (looked for " +
                         p.presetFile + "); part skipped");
      return std::nullopt;
    }
    auto preset = presetFile(p.presetFile);
    if (!preset) {
      src.error(*pn, where + " ('" + p.name + "'): preset '" + written + "' could not be loaded (see above); part skipped");
      return std::nullopt;
    }
    p.preset = std::move(*preset);
    return p;
  }

  std::optional<Song> song(const toml::table& t, const std::string& where, int defaultNumber) {
    warnUnknownKeys(t, {"number", "name", "notes", "tempo", "program", "part"}, src, where);
    Song s;
    s.line = TomlSource::lineOf(t);
    s.number = defaultNumber;
    if (t.get("number")) {
      const auto n = readInteger(t, "number", src, where, 1, 9999);
      if (!n) {
        src.error(t, where + ": song skipped (its number is needed to jump to it)");
        return std::nullopt;
      }
      s.number = static_cast<int>(*n);
    }
    const std::string here = "song " + std::to_string(s.number);
    s.name = readString(t, "name", src, here).value_or("Song " + std::to_string(s.number));
    s.notes = readString(t, "notes", src, here).value_or("");
    if (t.get("tempo")) {
      if (auto v = readNumber(t, "tempo", src, here + " ('" + s.name + "')", kMinTempo, kMaxTempo))
        s.tempo = static_cast<float>(*v);
      else
        src.error(*t.get("tempo"), here + ": tempo ignored; the parts keep their presets' bpm");
    }
    if (t.get("program")) {
      if (auto v = readInteger(t, "program", src, here, 0, kMaxProgram)) s.program = static_cast<int>(*v);
    }
    const toml::node* pn = t.get("part");
    const toml::array* parts = pn ? pn->as_array() : nullptr;
    if (!parts || !parts->is_array_of_tables() || parts->empty()) {
      src.error(pn ? *pn : static_cast<const toml::node&>(t),
                here + " ('" + s.name + "') has no parts: add [[song.part]] sections; song skipped");
      return std::nullopt;
    }
    for (size_t i = 0; i < parts->size(); ++i)
      if (auto p = part(*parts->get(i)->as_table(), here + " part " + std::to_string(i + 1), static_cast<int>(i)))
        s.parts.push_back(std::move(*p));
    if (s.parts.empty()) {
      src.error(t, here + " ('" + s.name + "'): none of its parts can be played; song skipped");
      return std::nullopt;
    }
    return s;
  }
};

}  // namespace

std::optional<SetList> loadSetList(const std::string& path, LoadReport& report, const ParameterRegistry* registry,
                                   const ModelLibrary* models) {
  const auto table = readTomlFile(path, report);
  const auto notLoaded = [&] {
    report.error(path, 0, "set list not loaded");
    return std::nullopt;
  };
  if (!table) return notLoaded();
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec).lexically_normal();
  const TomlSource src{path, abs.parent_path().string(), &report};
  if (!checkFormat(*table, src, kSetListFormat, true)) return notLoaded();
  warnUnknownKeys(*table, {"format", "name", "notes", "ramp_ms", "crossfade_ms", "song"}, src, "the set list");

  SetList set;
  set.path = abs.string();
  set.name = readString(*table, "name", src, "set list").value_or(abs.stem().string());
  set.notes = readString(*table, "notes", src, "set list").value_or("");
  if (auto v = readNumber(*table, "ramp_ms", src, "set list", 0.0, kMaxRampMs)) set.rampMs = *v;
  if (auto v = readNumber(*table, "crossfade_ms", src, "set list", 0.0, kMaxRampMs)) set.crossfadeMs = *v;

  const toml::node* sn = table->get("song");
  const toml::array* songs = sn ? sn->as_array() : nullptr;
  if (!songs || !songs->is_array_of_tables() || songs->empty()) {
    src.error(sn ? TomlSource::lineOf(*sn) : 1, "no songs: a set list has [[song]] sections, each with [[song.part]]s");
    return notLoaded();
  }
  Reader reader{src, report, PresetChecks{registry, models}, {}};
  std::set<int> numbers;
  std::set<std::string> names;
  std::map<int, std::string> programs;  // program -> who uses it, for duplicate checks
  int nextNumber = 1;
  for (size_t i = 0; i < songs->size(); ++i) {
    const toml::table& st = *songs->get(i)->as_table();
    auto song = reader.song(st, "song #" + std::to_string(i + 1) + " in the file", nextNumber);
    if (!song) continue;
    if (!numbers.insert(song->number).second) {
      src.error(st, "song number " + std::to_string(song->number) + " ('" + song->name +
                        "') is used twice; this song is skipped. Give every song its own number");
      continue;
    }
    if (!names.insert(song->name).second) {
      src.error(st, "song name '" + song->name + "' is used twice; this song (number " + std::to_string(song->number) +
                        ") is skipped. Give every song its own name");
      continue;
    }
    const auto claim = [&](std::optional<int>& program, const std::string& who, int at) {
      if (!program) return;
      auto [it, fresh] = programs.emplace(*program, who);
      if (!fresh) {
        src.error(at, "program " + std::to_string(*program) + " is given to both " + it->second + " and " + who +
                          "; it stays with " + it->second);
        program.reset();
      }
    };
    claim(song->program, "song " + std::to_string(song->number), song->line);
    for (Part& part : song->parts)
      claim(part.program, "song " + std::to_string(song->number) + " part '" + part.name + "'", part.line);
    nextNumber = song->number + 1;
    set.songs.push_back(std::move(*song));
  }
  if (set.songs.empty()) {
    report.error(path, 0, "none of its songs can be played");
    return notLoaded();
  }
  return set;
}

int SetList::partCount() const {
  int n = 0;
  for (const auto& s : songs) n += static_cast<int>(s.parts.size());
  return n;
}

std::vector<std::string> SetList::models() const {
  std::vector<std::string> out;
  for (const auto& s : songs)
    for (const auto& p : s.parts)
      for (const std::string* m : {&p.preset.model, &p.preset.modelB})
        if (!m->empty() && std::find(out.begin(), out.end(), *m) == out.end()) out.push_back(*m);
  return out;
}

std::vector<std::pair<std::string, std::string>> SetList::modelChoices() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : songs)
    for (const auto& p : s.parts) {
      const std::pair<std::string, std::string> c{p.preset.model, p.preset.modelB};
      if (!c.first.empty() && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
  return out;
}

int SetList::songIndexByNumber(int number) const {
  for (size_t i = 0; i < songs.size(); ++i)
    if (songs[i].number == number) return static_cast<int>(i);
  return -1;
}

}  // namespace mm
