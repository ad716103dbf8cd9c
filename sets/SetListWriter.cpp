// Writes set lists in the same order a performer writes them: the set's settings, then
// each song with its parts; preset files stay references, inline presets stay inline.
#include <filesystem>
#include <sstream>

#include "AtomicFile.h"
#include "PresetText.h"
#include "SetList.h"
#include "TomlWrite.h"

namespace fs = std::filesystem;

namespace mm {

std::string setListToToml(const SetList& set, const std::string& dir) {
  std::ostringstream o;
  o << "# MusicMill set list (format described in sets/README.md)\nformat = " << kSetListFormat << "\n";
  if (!set.name.empty()) o << "name = " << tomlString(set.name) << "\n";
  if (!set.notes.empty()) o << "notes = " << tomlString(set.notes) << "\n";
  o << "ramp_ms = " << tomlDouble(set.rampMs) << "\ncrossfade_ms = " << tomlDouble(set.crossfadeMs) << "\n";
  for (const Song& s : set.songs) {
    o << "\n[[song]]\nnumber = " << s.number << "\nname = " << tomlString(s.name) << "\n";
    if (s.tempo) o << "tempo = " << tomlFloat(*s.tempo) << "\n";
    if (s.program) o << "program = " << *s.program << "\n";
    if (!s.notes.empty()) o << "notes = " << tomlString(s.notes) << "\n";
    for (const Part& p : s.parts) {
      o << "\n  [[song.part]]\n  name = " << tomlString(p.name) << "\n";
      if (!p.notes.empty()) o << "  notes = " << tomlString(p.notes) << "\n";
      if (p.program) o << "  program = " << *p.program << "\n";
      if (p.rampMs) o << "  ramp_ms = " << tomlDouble(*p.rampMs) << "\n";
      if (!p.presetFile.empty()) {
        o << "  preset = " << tomlString(pathForFile(p.presetFile, dir)) << "\n";
      } else {
        o << "\n  [song.part.preset]\n";
        std::ostringstream body;
        writePresetBody(body, p.preset, dir, "song.part.preset.");
        o << body.str();
      }
    }
  }
  return o.str();
}

std::string saveSetList(const std::string& path, const SetList& set) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  return writeTextAtomically(path, setListToToml(set, (ec ? fs::path(path) : abs).parent_path().string()));
}

}  // namespace mm
