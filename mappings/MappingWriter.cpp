#include "AtomicFile.h"
#include "MappingFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ControlDecoding.h"

namespace fs = std::filesystem;

namespace mm {

namespace {
std::string quoteless(std::string s) {
  for (char& ch : s)
    if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20) ch = '_';
  return s;
}

}  // namespace

std::string bindingToToml(const MidiBinding& b) {
  std::ostringstream o;
  o << "[[control]]\n";
  switch (b.source) {
    case ControlSource::Cc: o << "cc = " << b.number << "\n"; break;
    case ControlSource::Cc14: o << "cc14 = " << b.number << "\n"; break;
    case ControlSource::Note: o << "note = " << b.number << "\n"; break;
    case ControlSource::PitchBend: o << "pitchbend = true\n"; break;
    case ControlSource::Aftertouch: o << "aftertouch = true\n"; break;
  }
  if (b.channel >= 0) o << "channel = " << b.channel + 1 << "\n";
  else o << "channel = \"any\"\n";
  if (b.relative != RelativeMode::Absolute) o << "relative = \"" << relativeName(b.relative) << "\"\n";
  const bool noteDefault = b.source == ControlSource::Note && b.button == ButtonMode::Momentary;
  if (b.button != ButtonMode::None && !noteDefault) o << "mode = \"" << buttonName(b.button) << "\"\n";
  if (b.action != MidiAction::None) {
    o << "action = \"" << actionName(b.action) << "\"\n";
    if (b.action == MidiAction::GotoSong || b.action == MidiAction::SelectPreset) o << "value = " << b.actionValue << "\n";
  } else {
    o << "param = \"" << b.param << "\"\n";
  }
  return o.str();
}

// writeTextAtomically lives in engine/AtomicFile (shared by every save in the project).


std::string addBindingToFile(const std::string& path, const MidiBinding& b, const ParameterRegistry& reg,
                             std::string* notes) {
  std::error_code ec;
  std::string text;
  int fileFormat = 2;
  if (fs::exists(path, ec)) {
    std::ifstream f(path, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    LoadReport before;
    auto map = parseMappingText(text, path, reg, before);
    if (!map) return before.text() + "The mapping was not changed; fix the file first.";
    fileFormat = map->format;
    // Drop the earlier [[control]] blocks of this control with this target: from their
    // header line to the line before the next table header.
    // One control drives one thing: what this control drove before is replaced. Another
    // control on the same target stays (both move it) and is named.
    std::vector<int> drop;
    std::string said;
    const auto targetOf = [](const MidiBinding& x) { return x.action != MidiAction::None ? std::string(actionName(x.action)) : x.param; };
    for (const MidiBinding& old : map->bindings) {
      if (sameControl(old, b)) {
        drop.push_back(old.line);
        if (old.param != b.param || old.action != b.action)
          said += "replaces " + describeSource(old) + " -> " + targetOf(old) + " (line " + std::to_string(old.line) + "); ";
      } else if (old.param == b.param && old.action == b.action && old.actionValue == b.actionValue) {
        said += targetOf(b) + " is also moved by " + describeSource(old) + " (line " + std::to_string(old.line) +
                "): both move it; ";
      }
    }
    if (notes && !said.empty()) *notes = said.substr(0, said.size() - 2);
    if (!drop.empty()) {
      // Comments and blank lines at the end of a dropped block belong to the next one.
      std::istringstream in(text);
      std::string out, line, held;
      bool dropping = false;
      for (int n = 1; std::getline(in, line); ++n) {
        const size_t first = line.find_first_not_of(" \t");
        const bool header = first != std::string::npos && line[first] == '[';
        const bool loose = first == std::string::npos || line[first] == '#';
        if (header) {
          if (dropping) out += held;
          held.clear();
          dropping = std::find(drop.begin(), drop.end(), n) != drop.end();
        }
        if (!dropping) out += line + "\n";
        else if (loose) held += line + "\n";
        else held.clear();
      }
      text = out;
    }
    if (!text.empty() && text.back() != '\n') text += "\n";
  } else {
    text = "# MusicMill Live MIDI mapping (format: mappings/README.md), made by `musicmill learn`.\n"
           "format = 2\nname = \"" + quoteless(fs::path(path).stem().string()) + "\"\n";
  }
  MidiBinding written = b;
  if (fileFormat == 1 && b.action == MidiAction::SelectPreset) --written.actionValue;  // that file counts from 0
  text += "\n" + bindingToToml(written);
  LoadReport after;
  if (!parseMappingText(text, path, reg, after))
    return "the learned mapping would not load again, so it was not saved:\n" + after.text();
  return writeTextAtomically(path, text);
}

}  // namespace mm
