// Writes presets as readable TOML in a fixed order (see sets/README.md).
#include <filesystem>
#include <sstream>

#include "AtomicFile.h"
#include "PresetFile.h"
#include "PresetText.h"
#include "TomlWrite.h"

namespace fs = std::filesystem;

namespace mm {

void writePresetBody(std::ostringstream& o, const Preset& p, const std::string& dir, const std::string& prefix) {
  // `prefix` is "" for a preset file and e.g. "song.part.preset." for an inline preset, so
  // the same code writes both: section headers become [song.part.preset.params] there.
  if (!p.name.empty()) o << "name = " << tomlString(p.name) << "\n";
  if (!p.notes.empty()) o << "notes = " << tomlString(p.notes) << "\n";
  if (!p.model.empty())
    o << "model = " << tomlString(p.modelName.empty() ? pathForFile(p.model, dir) : p.modelName) << "\n";
  if (!p.modelB.empty())
    o << "model_b = " << tomlString(p.modelBName.empty() ? pathForFile(p.modelB, dir) : p.modelBName) << "\n";
  if (p.rampMs) o << "ramp_ms = " << tomlDouble(*p.rampMs) << "\n";
  if (!p.mapping.empty()) o << "mapping = " << tomlString(pathForFile(p.mapping, dir)) << "\n";
  if (!p.params.empty() || !p.paramTargets.empty()) {
    o << "\n[" << prefix << "params]\n";
    for (const auto& [id, v] : p.params) o << tomlKey(id) << " = " << tomlFloat(v) << "\n";
    for (const auto& [id, target] : p.paramTargets) o << tomlKey(id) << " = " << tomlString(target) << "\n";
  }
  if (!p.style.empty()) {
    o << "\n[" << prefix << "style]\n";
    if (!p.style.a.empty()) o << "anchor_a = " << tomlString(pathForFile(p.style.a, dir)) << "\n";
    if (!p.style.b.empty()) o << "anchor_b = " << tomlString(pathForFile(p.style.b, dir)) << "\n";
  }
  if (p.learn) {
    o << "\n[" << prefix << "learn]\nattribute = " << tomlString(p.learn->attribute) << "\n";
    if (!p.learn->reset.empty()) o << "reset = " << tomlString(p.learn->reset) << "\n";
    if (!p.learn->file.empty()) o << "file = " << tomlString(pathForFile(p.learn->file, dir)) << "\n";
    else o << "seconds = " << tomlDouble(p.learn->seconds) << "\n";
  }
  for (const PatternSlot& s : p.patterns) {
    o << "\n[[" << prefix << "pattern]]\nslot = " << s.slot << "\ndims = " << s.dims << "\nframes = [\n";
    for (const auto& frame : s.frames) {
      o << "  [";
      for (size_t d = 0; d < frame.size(); ++d) o << (d ? ", " : "") << tomlFloat(frame[d]);
      o << "],\n";
    }
    o << "]\n";
  }
  for (const ModRoute& r : p.modulation) {
    o << "\n[[" << prefix << "modulation]]\nsource = " << tomlString(routeSourceName(r)) << "\ntarget = "
      << tomlString(r.target) << "\ndepth = " << tomlFloat(r.depth) << "\npolarity = "
      << tomlString(r.bipolar ? "bipolar" : "unipolar") << "\ncurve = " << tomlString(routeCurveName(r.curve)) << "\nsmoothing_ms = " << tomlFloat(r.smoothingMs)
      << "\ndecay_ms = " << tomlFloat(r.decayMs) << "\ninvert = " << (r.invert ? "true" : "false") << "\n";
  }
}

std::string presetToToml(const Preset& preset, const std::string& dir) {
  std::ostringstream o;
  o << "# MusicMill preset (format described in sets/README.md)\nformat = " << kPresetFormat << "\n";
  writePresetBody(o, preset, dir, "");
  return o.str();
}

std::string savePreset(const std::string& path, const Preset& preset) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  return writeTextAtomically(path, presetToToml(preset, (ec ? fs::path(path) : abs).parent_path().string()));
}

}  // namespace mm
