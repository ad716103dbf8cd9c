// Reads presets: validation happens here, once, before the show, so that applying a
// preset during the show can never fail on its content.
#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <tuple>

#include "ModelLibrary.h"
#include "Parameters.h"
#include "PresetTable.h"

namespace fs = std::filesystem;

namespace mm {

namespace {

bool isRegularFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// Parameter ids contain dots ("dim.0", "lfo.1.rate"), which TOML reads as nested tables
// when unquoted. Both spellings are accepted: nested tables are flattened back to the id.
void readParams(const toml::table& t, const std::string& prefix, const TomlSource& src,
                const PresetChecks& checks, const std::string& where, Preset& p) {
  for (auto&& [k, v] : t) {
    const std::string id = prefix + std::string(k.str());
    if (const toml::table* sub = v.as_table()) {
      readParams(*sub, id + ".", src, checks, where, p);
      continue;
    }
    // A parameter that aims at another one (lfo.N.target) names it by id.
    const int self = checks.registry ? checks.registry->indexOf(id) : -1;
    const bool aims = self >= 0 ? checks.registry->spec(self).unit == kParamIndexUnit
                                : id.size() > 7 && id.compare(id.size() - 7, 7, ".target") == 0;
    if (const auto text = v.value<std::string>(); text && aims) {
      if (checks.registry && !text->empty() && checks.registry->indexOf(*text) < 0)
        src.warn(v, where + ": '" + id + "' aims at '" + *text +
                        "', which is not a parameter of this model (kept; it has no target while this model plays)");
      p.paramTargets[id] = *text;
      continue;
    }
    const auto value = numberValue(v, src, where + ": parameter '" + id + "'");
    if (!value) continue;  // reported; the parameter takes its default
    if (checks.registry) {
      const int index = checks.registry->indexOf(id);
      if (index < 0) {
        src.warn(v, where + ": unknown parameter '" + id +
                        "' (kept in the file, ignored when playing; `musicmill params` lists every id)");
      } else {
        const ParamSpec& s = checks.registry->spec(index);
        if (*value < s.min || *value > s.max) {
          std::ostringstream m;
          m << where << ": parameter '" << id << "' = " << *value << " is out of range; it must lie in "
            << s.min << " .. " << s.max << (s.unit.empty() ? "" : " " + s.unit)
            << " (value dropped: the parameter takes its default " << s.def << ")";
          src.error(v, m.str());
          continue;
        }
      }
    }
    p.params[id] = static_cast<float>(*value);
  }
}

void readStyle(const toml::node& n, const TomlSource& src, const std::string& where, Preset& p) {
  const toml::table* t = n.as_table();
  if (!t) {
    src.error(n, where + ": [style] must be a table with anchor_a / anchor_b, not " + describe(n));
    return;
  }
  warnUnknownKeys(*t, {"anchor_a", "anchor_b"}, src, where + " [style]");
  for (const char* key : {"anchor_a", "anchor_b"}) {
    const auto written = readString(*t, key, src, where + " [style]");
    if (!written || written->empty()) continue;
    const std::string path = resolvePath(*written, src.baseDir);
    if (!isRegularFile(path)) {
      src.error(*t->get(key), where + ": style anchor '" + *written + "' does not exist (looked for " + path +
                                  "); the anchor is left empty");
      continue;
    }
    (key[7] == 'a' ? p.style.a : p.style.b) = path;
  }
}

void readLearn(const toml::node& n, const TomlSource& src, const std::string& where, Preset& p) {
  const toml::table* t = n.as_table();
  const std::string here = where + " [learn]";
  if (!t) {
    src.error(n, where + ": [learn] must be a table (attribute, file or seconds, reset), not " + describe(n) +
                     "; nothing is learned");
    return;
  }
  warnUnknownKeys(*t, {"attribute", "reset", "file", "seconds"}, src, here);
  LearnAction a;
  const auto attribute = readString(*t, "attribute", src, here);
  if (!attribute || attribute->empty()) {
    src.error(*t, here + ": needs 'attribute', the model's on/off attribute that learns (e.g. \"learn_target\"); "
                         "nothing is learned");
    return;
  }
  a.attribute = *attribute;
  if (const auto reset = readString(*t, "reset", src, here)) a.reset = *reset;
  const bool hasFile = t->get("file") != nullptr, hasSeconds = t->get("seconds") != nullptr;
  if (hasFile == hasSeconds) {
    src.error(*t, here + ": give either 'file' (learn from an audio file) or 'seconds' (learn from the input), "
                         "one of them; nothing is learned");
    return;
  }
  if (hasFile) {
    const auto written = readString(*t, "file", src, here);
    if (!written) return;
    const std::string path = resolvePath(*written, src.baseDir);
    if (written->empty() || !isRegularFile(path)) {
      src.error(*t->get("file"), here + ": audio file '" + *written + "' does not exist (looked for " + path +
                                     "); nothing is learned");
      return;
    }
    a.file = path;
  } else {
    const auto secs = readNumber(*t, "seconds", src, here, 0.1, kMaxLearnSeconds);
    if (!secs) return;
    a.seconds = *secs;
  }
  p.learn = a;
}

std::optional<PatternSlot> readPattern(const toml::table& t, const TomlSource& src, const std::string& where) {
  warnUnknownKeys(t, {"slot", "dims", "frames"}, src, where);
  PatternSlot s;
  if (!t.get("slot")) {
    src.error(t, where + ": needs 'slot' (0 .. " + std::to_string(kPatternSlots - 1) + "); slot skipped");
    return std::nullopt;
  }
  const auto slot = readInteger(t, "slot", src, where, 0, kPatternSlots - 1);
  if (!slot) return std::nullopt;
  s.slot = static_cast<int>(*slot);
  const std::string here = where + " (slot " + std::to_string(s.slot) + ")";
  const toml::node* framesNode = t.get("frames");
  if (!framesNode) {
    src.error(t, here + ": needs 'frames', an array of latent frames; slot skipped");
    return std::nullopt;
  }
  const toml::array* frames = framesNode->as_array();
  if (!frames || frames->empty()) {
    src.error(*framesNode, here + ": 'frames' must be a non-empty array of frames like [[0.1, -0.4], ...], not " +
                               (frames ? std::string("an empty array") : describe(*framesNode)) + "; slot skipped");
    return std::nullopt;
  }
  if (frames->size() > static_cast<size_t>(kMaxPatternFrames)) {
    src.error(*framesNode, here + ": " + std::to_string(frames->size()) + " frames; at most " +
                               std::to_string(kMaxPatternFrames) + "; slot skipped");
    return std::nullopt;
  }
  if (t.get("dims")) {
    const auto dims = readInteger(t, "dims", src, here, 1, kMaxPatternDims);
    if (!dims) return std::nullopt;
    s.dims = static_cast<int>(*dims);
  }
  for (size_t f = 0; f < frames->size(); ++f) {
    const toml::node& fn = *frames->get(f);
    const toml::array* frame = fn.as_array();
    const std::string what = here + " frame " + std::to_string(f);
    if (!frame) {
      src.error(fn, what + " must be an array of numbers, not " + describe(fn) + "; slot skipped");
      return std::nullopt;
    }
    if (s.dims == 0) s.dims = static_cast<int>(frame->size());
    if (frame->size() != static_cast<size_t>(s.dims) || s.dims == 0 || s.dims > kMaxPatternDims) {
      src.error(fn, what + " has " + std::to_string(frame->size()) + " values; every frame needs " +
                        std::to_string(s.dims) + " (the latent size); slot skipped");
      return std::nullopt;
    }
    std::vector<float> values;
    values.reserve(frame->size());
    for (const toml::node& vn : *frame) {
      const auto v = numberValue(vn, src, what + " value");
      if (!v) return std::nullopt;
      values.push_back(static_cast<float>(*v));
    }
    s.frames.push_back(std::move(values));
  }
  return s;
}

std::optional<ModRoute> readRoute(const toml::table& t, const TomlSource& src, const PresetChecks& checks,
                                  const std::string& where) {
  warnUnknownKeys(t, {"source", "target", "depth", "polarity", "curve", "smoothing_ms", "decay_ms", "invert"}, src,
                  where);
  ModRoute r;
  const LoadReport* before = src.report;
  const size_t errorsBefore = before ? static_cast<size_t>(before->errorCount()) : 0;
  const auto source = readString(t, "source", src, where);
  const auto target = readString(t, "target", src, where);
  // Depth is in the target's own units, as --mod plays it (bpm 40 = 40 BPM): files that
  // kept to -1 .. 1 mean what they always played.
  const auto depth = readNumber(t, "depth", src, where, -1e6, 1e6);
  if (!t.get("source") || (source && source->empty()))
    src.error(t, where + ": needs a 'source' (e.g. \"lfo.1\", \"voice.energy\")");
  else if (source && !parseRouteSource(*source, r))
    src.error(*t.get("source"), where + ": source '" + *source +
                                    "' is not one of voice.onset, voice.envelope, voice.pitch, lfo.1, lfo.2, "
                                    "midi.cc.0 .. midi.cc.127, trigger.0 .. trigger.7");
  if (!t.get("target") || (target && target->empty()))
    src.error(t, where + ": needs a 'target' parameter id (e.g. \"energy\")");
  if (!t.get("depth")) src.error(t, where + ": needs a 'depth' in the target's units (e.g. 0.3 for energy)");
  if (const auto pol = readString(t, "polarity", src, where)) {
    if (*pol == "unipolar" || *pol == "bipolar") r.bipolar = *pol == "bipolar";
    else src.error(*t.get("polarity"), where + ": polarity '" + *pol + "' is not \"unipolar\" or \"bipolar\"");
  }
  if (const auto curve = readString(t, "curve", src, where)) {
    if (auto v = parseRouteCurve(*curve)) r.curve = *v;
    else
      src.error(*t.get("curve"), where + ": curve '" + *curve +
                                     "' is not one of \"linear\", \"exponential\", \"logarithmic\", \"s-curve\"");
  }
  const auto smoothing = readNumber(t, "smoothing_ms", src, where, 0.0, 10000.0);
  const auto decay = readNumber(t, "decay_ms", src, where, 0.0, 10000.0);
  std::optional<bool> invert;
  if (const toml::node* n = t.get("invert")) {
    if (const auto b = n->value<bool>()) invert = *b;
    else src.error(*n, where + ": invert must be true or false");
  }
  if (before && static_cast<size_t>(before->errorCount()) != errorsBefore) {
    src.error(t, where + ": route skipped");
    return std::nullopt;
  }
  r.target = *target;
  r.depth = static_cast<float>(*depth);
  if (smoothing) r.smoothingMs = static_cast<float>(*smoothing);
  if (decay) r.decayMs = static_cast<float>(*decay);
  if (invert) r.invert = *invert;
  if (checks.registry && checks.registry->indexOf(r.target) < 0)
    src.warn(*t.get("target"), where + ": target '" + r.target + "' is not a parameter of this model (kept, has no effect)");
  return r;
}

}  // namespace

std::optional<Preset> readPresetTable(const toml::table& t, const TomlSource& src, const PresetChecks& checks,
                                      const std::string& where, const std::string& defaultName,
                                      bool formatRequired) {
  if (!checkFormat(t, src, kPresetFormat, formatRequired)) return std::nullopt;
  warnUnknownKeys(t, {"format", "name", "notes", "model", "model_b", "ramp_ms", "mapping", "params", "style", "pattern", "modulation",
                     "learn"},
                  src, where);
  Preset p;
  p.name = readString(t, "name", src, where).value_or(defaultName);
  p.notes = readString(t, "notes", src, where).value_or("");
  // `model` and `model_b`: a path (relative to this file) or a library name.
  for (const auto& [key, file, name] : {std::tuple{"model", &p.model, &p.modelName},
                                        std::tuple{"model_b", &p.modelB, &p.modelBName}}) {
    if (!t.get(key)) continue;
    const auto written = readString(t, key, src, where);
    if (!written) return std::nullopt;  // wrong type: reported; the preset cannot know its model
    std::string path = resolvePath(*written, src.baseDir);
    if (!written->empty() && !isRegularFile(path) && checks.models)
      if (std::string named = checks.models->resolve(*written, src.baseDir); !named.empty()) {
        path = named;
        *name = *written;  // a library name: saved as the name again
      }
    if (written->empty() || !isRegularFile(path)) {
      src.error(*t.get(key), where + ": " + (std::string(key) == "model" ? "model" : "model_b") + " file '" + *written +
                                 "' does not exist (looked for " + path +
                                 "). Fix the path (relative to this file) or copy the model there" +
                                 (checks.models ? ", or name a model `musicmill models` lists" : ""));
      return std::nullopt;
    }
    *file = path;
  }
  if (!p.modelB.empty() && p.model.empty()) {
    src.error(*t.get("model_b"), where + ": model_b names the second model of a blend; name the first with `model` "
                                         "too (model = \"synth\", model_b = \"drums\")");
    return std::nullopt;
  }
  if (t.get("ramp_ms")) p.rampMs = readNumber(t, "ramp_ms", src, where, 0.0, kMaxRampMs);
  if (const auto mapping = readString(t, "mapping", src, where); mapping && !mapping->empty()) {
    const std::string path = resolvePath(*mapping, src.baseDir);
    if (isRegularFile(path)) p.mapping = path;
    else
      src.error(*t.get("mapping"), where + ": mapping file '" + *mapping + "' does not exist (looked for " + path +
                                       "); no mapping override");
  }
  if (const toml::node* n = t.get("params")) {
    if (const toml::table* params = n->as_table()) readParams(*params, "", src, checks, where, p);
    else src.error(*n, where + ": [params] must be a table of id = value, not " + describe(*n));
  }
  if (const toml::node* n = t.get("style")) readStyle(*n, src, where, p);
  if (const toml::node* n = t.get("learn")) readLearn(*n, src, where, p);
  if (const toml::node* n = t.get("pattern")) {
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      src.error(*n, where + ": pattern memory is written as [[pattern]] sections, not " + describe(*n));
    } else {
      std::set<int> seen;
      for (const toml::node& e : *arr) {
        auto slot = readPattern(*e.as_table(), src, where + " [[pattern]]");
        if (!slot) continue;
        if (!seen.insert(slot->slot).second) {
          src.error(e, where + ": pattern slot " + std::to_string(slot->slot) +
                           " appears twice; the later one is skipped");
          continue;
        }
        p.patterns.push_back(std::move(*slot));
      }
      std::sort(p.patterns.begin(), p.patterns.end(),
                [](const PatternSlot& a, const PatternSlot& b) { return a.slot < b.slot; });
    }
  }
  if (const toml::node* n = t.get("modulation")) {
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      src.error(*n, where + ": modulation routes are written as [[modulation]] sections, not " + describe(*n));
    } else {
      for (const toml::node& e : *arr)
        if (auto r = readRoute(*e.as_table(), src, checks, where + " [[modulation]]")) p.modulation.push_back(*r);
    }
  }
  return p;
}

std::optional<Preset> loadPreset(const std::string& path, LoadReport& report, const PresetChecks& checks) {
  const auto table = readTomlFile(path, report);
  if (!table) return std::nullopt;
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  TomlSource src{path, (ec ? fs::path(path) : abs).parent_path().string(), &report};
  auto preset = readPresetTable(*table, src, checks, "preset", fs::path(path).stem().string(), true);
  if (!preset) report.error(path, 0, "preset not loaded");
  return preset;
}

}  // namespace mm
