#include "MappingFile.h"
#include "Suggest.h"

#include "TomlRead.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "ControlDecoding.h"

namespace fs = std::filesystem;

namespace mm {

namespace {

// Format 2 (this musicmill): select_preset's value is the preset's number as on the screen,
// from 1. Format 1 files (value from 0) still load: their values are moved up by one.
constexpr int kFormat = 2;
constexpr size_t kMaxMappingBytes = 1u << 20;  // a mapping is a few KiB; more is a wrong file

const TomlFileKind kMappingKind{"a mapping", "`format = 2` (see mappings/README.md)",
                                "; `musicmill learn PARAM --mapping FILE` creates one.", kMaxMappingBytes};

int lineOf(const toml::node& n) { return TomlSource::lineOf(n); }

// Collects messages for one file (engine/TomlRead's checks, and the MIDI channel).
struct Checker {
  TomlSource src;
  LoadReport& report;
  void error(int line, const std::string& m) const { src.error(line, m); }
  void warn(int line, const std::string& m) const { src.warn(line, m); }
  void warnUnknown(const toml::table& t, std::initializer_list<const char*> known, const std::string& where) const {
    warnUnknownKeys(t, known, src, where);
  }
  std::optional<long long> integer(const toml::node& n, const std::string& what, long long lo, long long hi) const {
    return integerValue(n, src, what, lo, hi);
  }
  std::optional<double> number(const toml::node& n, const std::string& what) const { return numberValue(n, src, what); }
  std::optional<bool> boolean(const toml::node& n, const std::string& what) const { return booleanValue(n, src, what); }
  std::optional<std::string> string(const toml::node& n, const std::string& what) const {
    return stringValue(n, src, what);
  }
  // 1..16 or "any" -> 0..15 or -1.
  std::optional<int> channel(const toml::node& n) const {
    if (auto s = n.value_exact<std::string>()) {
      if (*s == "any") return -1;
      error(lineOf(n), "channel = \"" + *s + "\": give 1..16, or \"any\"");
      return std::nullopt;
    }
    if (auto c = integer(n, "channel", 1, 16)) return static_cast<int>(*c) - 1;
    return std::nullopt;
  }
};

// "dim.12" / "dim.12.scale" when the model has fewer dimensions: skipped, not an error.
bool isMissingLatentDim(const std::string& id) {
  unsigned n = 0;
  char rest[16] = {0};
  return std::sscanf(id.c_str(), "dim.%u%15s", &n, rest) >= 1 && (rest[0] == 0 || std::strcmp(rest, ".scale") == 0);
}

int latentDims(const ParameterRegistry& reg) {
  int d = 0;
  while (reg.indexOf("dim." + std::to_string(d)) >= 0) ++d;
  return d;
}

// Reads one [[control]] table; returns nothing when it is wrong (errors reported) or
// skipped (warning reported).
std::optional<MidiBinding> readControl(const toml::table& t, int defaultChannel, const Checker& c,
                                       const ParameterRegistry& reg) {
  const int line = lineOf(t);
  const std::string where = "[[control]] at line " + std::to_string(line);
  c.warnUnknown(t, {"cc", "cc14", "note", "pitchbend", "aftertouch", "channel", "param", "action", "value",
                    "range", "invert", "curve", "takeover", "relative", "step", "mode", "velocity"},
                where);
  const int errorsBefore = c.report.errorCount();
  MidiBinding b;
  b.line = line;
  b.channel = defaultChannel;

  int sources = 0;
  if (auto n = t.get("cc")) {
    ++sources;
    if (auto v = c.integer(*n, "cc", 0, 127)) b.number = static_cast<int>(*v);
    b.source = ControlSource::Cc;
  }
  if (auto n = t.get("cc14")) {
    ++sources;
    if (auto v = c.integer(*n, "cc14 (the MSB's controller number; its LSB is that + 32)", 0, 31))
      b.number = static_cast<int>(*v);
    b.source = ControlSource::Cc14;
  }
  if (auto n = t.get("note")) {
    ++sources;
    if (auto v = c.integer(*n, "note", 0, 127)) b.number = static_cast<int>(*v);
    b.source = ControlSource::Note;
  }
  for (const char* key : {"pitchbend", "aftertouch"}) {
    if (auto n = t.get(key)) {
      ++sources;
      auto v = c.boolean(*n, key);
      if (v && !*v) c.error(lineOf(*n), std::string(key) + " = false binds nothing; remove the control or set it to true");
      b.source = key[0] == 'p' ? ControlSource::PitchBend : ControlSource::Aftertouch;
    }
  }
  if (sources == 0)
    c.error(line, where + " names no control: give one of cc, cc14, note, pitchbend = true, aftertouch = true");
  if (sources > 1) c.error(line, where + " names " + std::to_string(sources) + " controls; give exactly one");
  if (auto n = t.get("channel"))
    if (auto ch = c.channel(*n)) b.channel = *ch;

  const bool isButtonSource = b.source == ControlSource::Cc || b.source == ControlSource::Note;
  if (auto n = t.get("relative")) {
    if (auto s = c.string(*n, "relative")) {
      if (!parseRelative(s->c_str(), b.relative))
        c.error(lineOf(*n), "relative = \"" + *s + "\": use \"twos_complement\", \"sign_magnitude\" or \"binary_offset\"");
      else if (b.source != ControlSource::Cc)
        c.error(lineOf(*n), "relative applies to cc controls only");
    }
  }
  if (auto n = t.get("mode")) {
    if (auto s = c.string(*n, "mode")) {
      if (!parseButton(s->c_str(), b.button) || b.button == ButtonMode::None)
        c.error(lineOf(*n), "mode = \"" + *s + "\": use \"trigger\", \"toggle\" or \"momentary\"");
      else if (!isButtonSource)
        c.error(lineOf(*n), "mode applies to note and cc controls only");
      else if (b.relative != RelativeMode::Absolute)
        c.error(lineOf(*n), "a control is either relative or a button (mode), not both");
    }
  }
  if (b.source == ControlSource::Note && b.button == ButtonMode::None) b.button = ButtonMode::Momentary;
  if (auto n = t.get("velocity")) {
    if (auto v = c.boolean(*n, "velocity")) {
      b.velocity = *v;
      if (*v && b.source != ControlSource::Note) c.error(lineOf(*n), "velocity applies to note controls only");
    }
  }
  if (auto n = t.get("invert"))
    if (auto v = c.boolean(*n, "invert")) b.invert = *v;
  if (auto n = t.get("curve")) {
    if (auto s = c.string(*n, "curve"); s && !parseCurve(s->c_str(), b.curve))
      c.error(lineOf(*n), "curve = \"" + *s + "\": use \"linear\", \"exponential\", \"logarithmic\" or \"s_curve\"");
  }
  if (auto n = t.get("takeover")) {
    if (auto s = c.string(*n, "takeover"); s && !parseTakeover(s->c_str(), b.takeover))
      c.error(lineOf(*n), "takeover = \"" + *s + "\": use \"pickup\", \"scale\" or \"jump\"");
  } else if (b.source == ControlSource::PitchBend || b.source == ControlSource::Aftertouch) {
    b.takeover = Takeover::Jump;  // spring-loaded: they rest at the centre / zero
  }
  if (auto n = t.get("step")) {
    if (auto v = c.number(*n, "step")) {
      if (*v <= 0.0 || *v > 1.0) c.error(lineOf(*n), "step must lie in (0, 1]: the fraction of the range one encoder step moves");
      else if (b.relative == RelativeMode::Absolute) c.error(lineOf(*n), "step applies to relative controls only");
      else b.step = static_cast<float>(*v);
    }
  }

  const auto paramNode = t.get("param");
  const auto actionNode = t.get("action");
  if (paramNode && actionNode) c.error(line, where + " has both param and action; give one");
  if (!paramNode && !actionNode) c.error(line, where + " has no target: give param = \"id\" or action = \"next_part\" ...");
  if (actionNode) {
    if (auto s = c.string(*actionNode, "action")) {
      if (!parseAction(s->c_str(), b.action) || b.action == MidiAction::ProgramChange ||
          b.action == MidiAction::BankSelect)
        c.error(lineOf(*actionNode), "action = \"" + *s + "\": use next_part, prev_part, next_song, prev_song, "
                                     "goto_song or select_preset");
      else if (!isButtonSource || b.relative != RelativeMode::Absolute)
        c.error(lineOf(*actionNode), "an action needs a button: a note or a cc (pressed = value 64 or more)");
    }
    const bool numbered = b.action == MidiAction::GotoSong || b.action == MidiAction::SelectPreset;
    if (auto n = t.get("value")) {
      if (auto v = c.integer(*n, "value (song or preset number)", 0, 100000)) b.actionValue = static_cast<int>(*v);
    } else if (numbered) {
      c.error(line, where + ": action \"" + std::string(actionName(b.action)) + "\" needs value = NUMBER");
    }
  }
  if (paramNode) {
    if (auto id = c.string(*paramNode, "param")) {
      b.param = *id;
      b.paramIndex = reg.indexOf(*id);
      if (b.paramIndex < 0 && isMissingLatentDim(*id)) {
        if (c.report.errorCount() == errorsBefore)
          c.warn(lineOf(*paramNode), "param \"" + *id + "\" is skipped: this model has " + std::to_string(latentDims(reg)) +
                                         " latent dimensions (dim.0 .. dim." + std::to_string(latentDims(reg) - 1) + ")");
        return std::nullopt;
      }
      if (b.paramIndex < 0)
        c.error(lineOf(*paramNode), "there is no parameter \"" + *id + "\"." + suggestParams(reg, *id) +
                                        " `musicmill params` lists every id.");
    }
  }
  if (b.paramIndex >= 0) {
    const ParamSpec& spec = reg.spec(b.paramIndex);
    b.lo = spec.min;
    b.hi = spec.max;
    auto inRange = [&](const toml::node& n, double v, const char* what) {
      if (v < spec.min || v > spec.max) {
        std::ostringstream m;
        m << what << " " << v << " is outside " << spec.id << "'s range " << spec.min << " .. " << spec.max;
        c.error(lineOf(n), m.str());
        return false;
      }
      return true;
    };
    if (auto n = t.get("range")) {
      const toml::array* a = n->as_array();
      if (!a || a->size() != 2) {
        c.error(lineOf(*n), "range must be a list of two numbers, e.g. range = [0.2, 0.8]");
      } else {
        auto lo = c.number(*a->get(0), "range's first value");
        auto hi = c.number(*a->get(1), "range's second value");
        if (lo && hi && inRange(*a->get(0), *lo, "range") && inRange(*a->get(1), *hi, "range")) {
          if (*lo == *hi) c.error(lineOf(*n), "range's two ends are equal; a control needs room to move");
          b.lo = static_cast<float>(*lo);
          b.hi = static_cast<float>(*hi);
        }
      }
    }
    if (auto n = t.get("value")) {
      if (auto v = c.number(*n, "value"); v && inRange(*n, *v, "value")) {
        if (b.button != ButtonMode::Trigger && b.button != ButtonMode::Momentary)
          c.error(lineOf(*n), "value (the value a press sets) applies to mode = \"trigger\" or \"momentary\"");
        b.hasOnValue = true;
        b.onValue = static_cast<float>(*v);
      }
    }
  }
  if (c.report.errorCount() != errorsBefore) return std::nullopt;
  if (b.relative != RelativeMode::Absolute && t.get("curve"))
    c.warn(lineOf(*t.get("curve")), "curve is ignored for relative controls (each step moves by `step`)");
  if ((b.relative != RelativeMode::Absolute || b.button != ButtonMode::None) && t.get("takeover"))
    c.warn(lineOf(*t.get("takeover")), "takeover is ignored for relative controls and buttons (they never jump)");
  return b;
}

}  // namespace


std::string suggestParams(const ParameterRegistry& reg, const std::string& id) {
  std::vector<std::string> ids;
  for (int i = 0; i < reg.size(); ++i) ids.push_back(reg.spec(i).id);
  std::string out;
  for (const std::string& c : closeMatches(id, ids, 5)) out += (out.empty() ? " Did you mean " : ", ") + c;
  return out.empty() ? "" : out + "?";
}

namespace {

std::optional<MidiMap> mappingFromTable(const toml::table& root, const std::string& fileName,
                                        const ParameterRegistry& reg, LoadReport& report) {
  const Checker c{TomlSource{fileName, "", &report}, report};
  const int errorsBefore = report.errorCount();
  MidiMap map;
  map.path = fileName;
  c.warnUnknown(root, {"format", "name", "description", "port", "channel", "program_change", "bank_select",
                       "program_channel", "control"},
                "the file");
  if (auto n = root.get("format")) {
    if (auto f = c.integer(*n, "format", 0, 1000000); f && *f != 1 && *f != kFormat)
      c.error(lineOf(*n), "format = " + std::to_string(*f) + " is not a format this musicmill reads (it reads format = 1 and 2)");
    else if (f) map.format = static_cast<int>(*f);
  } else {
    c.error(1, "missing `format = 2` at the top: it tells which version of the mapping format the file uses");
  }
  if (auto n = root.get("name"))
    if (auto s = c.string(*n, "name")) map.name = *s;
  if (auto n = root.get("description")) c.string(*n, "description");
  if (auto n = root.get("port"))
    if (auto s = c.string(*n, "port")) map.port = *s;
  if (auto n = root.get("program_change"))
    if (auto v = c.boolean(*n, "program_change")) map.programChange = *v;
  if (auto n = root.get("bank_select"))
    if (auto v = c.boolean(*n, "bank_select")) map.bankSelect = *v;
  if (auto n = root.get("program_channel"))
    if (auto ch = c.channel(*n)) map.programChannel = *ch;
  int defaultChannel = -1;
  if (auto n = root.get("channel"))
    if (auto ch = c.channel(*n)) defaultChannel = *ch;
  if (auto n = root.get("control")) {
    const toml::array* controls = n->as_array();
    if (!controls) {
      c.error(lineOf(*n), "write each control as [[control]] (double brackets: a list of controls), not [control]");
    } else {
      for (const toml::node& item : *controls) {
        const toml::table* t = item.as_table();
        if (!t) {
          c.error(lineOf(item), "each control must be a [[control]] table, not " + describe(item));
          continue;
        }
        if (auto b = readControl(*t, defaultChannel, c, reg)) {
          if (b->action == MidiAction::SelectPreset) {
            if (map.format == 1) ++b->actionValue;  // format 1 counted presets from 0
            else if (b->actionValue < 1)
              c.error(b->line, "select_preset value = " + std::to_string(b->actionValue) +
                                   ": presets count from 1, as on the screen (format 2)");
          }
          for (const MidiBinding& other : map.bindings)
            if (sameControl(other, *b) && other.param == b->param && other.action == b->action)
              c.warn(b->line, describeSource(*b) + " is bound to the same target at line " + std::to_string(other.line) +
                                  " too; both apply");
          map.bindings.push_back(*b);
        }
      }
    }
  }
  if (report.errorCount() != errorsBefore) return std::nullopt;
  if (map.name.empty()) map.name = fs::path(fileName).stem().string();
  return map;
}

}  // namespace

std::optional<MidiMap> parseMappingText(const std::string& text, const std::string& fileName,
                                        const ParameterRegistry& reg, LoadReport& report) {
  const auto root = parseTomlText(text, fileName, report, kMappingKind);
  return root ? mappingFromTable(*root, fileName, reg, report) : std::nullopt;
}

std::optional<MidiMap> loadMappingFile(const std::string& path, const ParameterRegistry& reg, LoadReport& report) {
  const auto root = readTomlFile(path, report, kMappingKind);
  return root ? mappingFromTable(*root, path, reg, report) : std::nullopt;
}

}  // namespace mm
