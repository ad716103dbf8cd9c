#include "TriggerProfile.h"

#include "TomlRead.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "AtomicFile.h"
#include "TomlWrite.h"

namespace mm {

int TriggerProfile::exampleCount() const {
  int n = 0;
  for (const auto& c : classes) n += static_cast<int>(c.examples.size());
  return n;
}

int TriggerProfile::classIndex(const std::string& name) const {
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == name) return static_cast<int>(i);
  return -1;
}

int defaultTriggerNote(const std::string& name, int index) {
  static const std::pair<const char*, int> kGm[] = {{"kick", 36}, {"bass", 36},     {"rim", 37},     {"snare", 38},
                                                    {"clap", 39}, {"hihat", 42},    {"hat", 42},     {"closed_hat", 42},
                                                    {"tom", 45},  {"open_hat", 46}, {"openhat", 46}, {"crash", 49},
                                                    {"ride", 51}, {"cowbell", 56}};
  for (const auto& [n, note] : kGm)
    if (name == n) return note;
  return 36 + index;
}

TriggerProfile starterTriggerProfile() {
  TriggerProfile p;
  for (const char* n : {"kick", "snare", "hihat"}) {
    TriggerClass c;
    c.name = n;
    c.note = defaultTriggerNote(n, static_cast<int>(p.classes.size()));
    p.classes.push_back(c);
  }
  return p;
}

std::string validateTriggerProfile(const TriggerProfile& p) {
  const TriggerSettings& s = p.settings;
  auto range = [](double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; };
  if (!range(s.listenMs, 2, 100)) return "listen_ms must lie in 2 .. 100";
  if (!range(s.preMs, 0, 20)) return "pre_ms must lie in 0 .. 20";
  if (s.hop < 32 || s.hop > 512) return "hop must lie in 32 .. 512 samples";
  if (s.window < s.hop || s.window > 4096) return "window must lie in hop .. 4096 samples";
  if (!range(s.onsetThreshold, 0.001, 10)) return "onset_threshold must lie in 0.001 .. 10";
  if (!range(s.silenceDb, -120, 0)) return "silence_db must lie in -120 .. 0";
  if (!range(s.minGapMs, 0, 1000)) return "min_gap_ms must lie in 0 .. 1000";
  if (!range(s.minRiseDb, -60, 60)) return "min_rise_db must lie in -60 .. 60 dB";
  if (!range(s.holdMs, 0, 300)) return "hold_ms must lie in 0 .. 300 (0: no hold)";
  if (!range(s.holdDecayDb, 0, 80)) return "hold_decay_db must lie in 0 .. 80 dB";
  if (s.k < 1 || s.k > 16) return "k must lie in 1 .. 16";
  if (!range(s.rejectDistance, 0, 1000)) return "reject_distance must lie in 0 .. 1000 (0: never reject)";
  if (!range(s.velocityFloorDb, -120, 0) || !range(s.velocityCeilDb, -120, 0) || s.velocityCeilDb <= s.velocityFloorDb)
    return "velocity_floor_db < velocity_ceil_db, both in -120 .. 0";
  if (!range(s.noteLengthMs, 1, 5000)) return "note_length_ms must lie in 1 .. 5000";
  if (s.midiChannel < 1 || s.midiChannel > 16) return "midi_channel must lie in 1 .. 16";
  if (p.classes.size() > static_cast<size_t>(kMaxTriggerClasses))
    return "at most " + std::to_string(kMaxTriggerClasses) + " classes";
  for (size_t i = 0; i < p.classes.size(); ++i) {
    const auto& c = p.classes[i];
    if (c.name.empty()) return "class " + std::to_string(i + 1) + " has no name";
    for (size_t j = 0; j < i; ++j)
      if (p.classes[j].name == c.name) return "two classes are called '" + c.name + "'";
    if (c.note < 0 || c.note > 127) return "class '" + c.name + "': note must lie in 0 .. 127";
    if (c.examples.size() > static_cast<size_t>(kMaxTriggerExamples))
      return "class '" + c.name + "': at most " + std::to_string(kMaxTriggerExamples) + " examples";
    for (const auto& e : c.examples) {
      if (e.size() != static_cast<size_t>(kTriggerFeatureCount))
        return "class '" + c.name + "': an example has " + std::to_string(e.size()) + " numbers, not " +
               std::to_string(kTriggerFeatureCount);
      for (float v : e)
        if (!std::isfinite(v)) return "class '" + c.name + "': an example holds a number that is not finite";
    }
  }
  return "";
}

namespace {

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.9g", v);
  std::string s = b;
  // TOML floats need a fraction or exponent; keep them floats so that types round-trip.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}


}  // namespace

std::string triggerProfileToToml(const TriggerProfile& p) {
  const TriggerSettings& s = p.settings;
  std::ostringstream o;
  o << "# MusicMill Live beatbox trigger profile (musicmill triggers learn, or the Triggers panel).\n"
    << "# Each example is one recorded hit, measured as the numbers named in feature_names.\n"
    << "format = 1\n"
    << "feature_set = " << tomlString(kTriggerFeatureSet) << "\n"
    << "sample_rate = " << num(p.sampleRate) << "\n"
    << "feature_names = [";
  for (int i = 0; i < kTriggerFeatureCount; ++i) o << (i ? ", " : "") << tomlString(triggerFeatureName(i));
  o << "]\n\n[settings]\n"
    << "listen_ms = " << num(s.listenMs) << "   # classify this long after each onset\n"
    << "pre_ms = " << num(s.preMs) << "\n"
    << "onset_method = " << tomlString(s.onsetMethod) << "\n"
    << "hop = " << s.hop << "\n"
    << "window = " << s.window << "\n"
    << "onset_threshold = " << num(s.onsetThreshold) << "\n"
    << "silence_db = " << num(s.silenceDb) << "\n"
    << "min_gap_ms = " << num(s.minGapMs) << "\n"
    << "min_rise_db = " << num(s.minRiseDb) << "   # a hit rises this far above what sounded before it\n"
    << "hold_ms = " << num(s.holdMs) << "   # an onset this soon after a hit is the same sound...\n"
    << "hold_decay_db = " << num(s.holdDecayDb) << "   # ...unless the sound fell this far below the hit between\n"
    << "k = " << s.k << "   # nearest neighbours that vote\n"
    << "reject_distance = " << num(s.rejectDistance) << "   # 0: every hit gets a class\n"
    << "velocity_floor_db = " << num(s.velocityFloorDb) << "\n"
    << "velocity_ceil_db = " << num(s.velocityCeilDb) << "\n"
    << "note_length_ms = " << num(s.noteLengthMs) << "\n"
    << "midi_channel = " << s.midiChannel << "\n";
  for (const auto& c : p.classes) {
    o << "\n[[class]]\nname = " << tomlString(c.name) << "\nnote = " << c.note << "\nexamples = [";
    for (const auto& e : c.examples) {
      o << "\n  [";
      for (size_t i = 0; i < e.size(); ++i) o << (i ? ", " : "") << num(e[i]);
      o << "],";
    }
    o << (c.examples.empty() ? "]\n" : "\n]\n");
  }
  return o.str();
}

namespace {

const TomlFileKind kTriggerProfileKind{"a trigger profile", "`format = 1` (`musicmill triggers learn` writes one)",
                                       "; `musicmill triggers learn --out FILE` writes one.", 1u << 20};

// Collects "NAME:LINE: message" lines: engine/TomlRead's checks through `src`, and the
// profile's own through add(); count() is every error reported since the start.
struct Problems {
  TomlSource src;
  LoadReport& report;
  int errorsBefore = report.errorCount();
  void add(const toml::source_region& where, const std::string& what) {
    // Problems with the file as a whole (an empty file) point at its first line.
    report.error(src.file, static_cast<int>(std::max<size_t>(1, where.begin.line)), what);
  }
  int count() const { return report.errorCount() - errorsBefore; }
};

void readSettings(const toml::table& t, TriggerSettings& s, Problems& pr) {
  for (auto&& [key, value] : t) {
    // A plain reference: lambdas cannot capture structured bindings before C++20 (clang
    // refuses; the fuzz targets build with clang).
    const toml::node& node = value;
    const std::string k(key.str());
    const auto where = key.source().begin.line ? key.source() : node.source();
    auto number = [&](float& field, const char* unit) {
      if (auto v = numberValue(node, pr.src, k + " (" + unit + ")")) field = static_cast<float>(*v);
    };
    auto integer = [&](int& field) {
      // Checked before narrowing: 4294967360 must not become 64.
      if (auto v = integerValue(node, pr.src, k, -1000000, 1000000)) field = static_cast<int>(*v);
    };
    if (k == "listen_ms")
      number(s.listenMs, "milliseconds");
    else if (k == "pre_ms")
      number(s.preMs, "milliseconds");
    else if (k == "onset_method") {
      if (auto v = stringValue(node, pr.src, "onset_method (such as \"hfc\")")) s.onsetMethod = *v;
    } else if (k == "hop")
      integer(s.hop);
    else if (k == "window")
      integer(s.window);
    else if (k == "onset_threshold")
      number(s.onsetThreshold, "aubio threshold");
    else if (k == "silence_db")
      number(s.silenceDb, "dB");
    else if (k == "min_gap_ms")
      number(s.minGapMs, "milliseconds");
    else if (k == "min_rise_db")
      number(s.minRiseDb, "dB");
    else if (k == "hold_ms")
      number(s.holdMs, "milliseconds");
    else if (k == "hold_decay_db")
      number(s.holdDecayDb, "dB");
    else if (k == "k")
      integer(s.k);
    else if (k == "reject_distance")
      number(s.rejectDistance, "0 = never");
    else if (k == "velocity_floor_db")
      number(s.velocityFloorDb, "dBFS");
    else if (k == "velocity_ceil_db")
      number(s.velocityCeilDb, "dBFS");
    else if (k == "note_length_ms")
      number(s.noteLengthMs, "milliseconds");
    else if (k == "midi_channel")
      integer(s.midiChannel);
    else
      pr.add(where, "unknown setting '" + k + "' (see input/TriggerProfile.h for the settings)");
  }
}

void readClass(const toml::table& t, int index, TriggerClass& c, Problems& pr) {
  bool hasNote = false;
  for (auto&& [key, node] : t) {
    const std::string k(key.str());
    const auto where = key.source().begin.line ? key.source() : node.source();
    if (k == "name") {
      if (auto v = stringValue(node, pr.src, "name")) c.name = *v;
    } else if (k == "note") {
      hasNote = true;
      // Checked before narrowing (2^32 + 60 is not 60).
      const auto note = integerValue(node, pr.src, "note (MIDI note)", 0, 127);
      c.note = note ? static_cast<int>(*note) : -1;
    } else if (k == "examples") {
      const toml::array* rows = node.as_array();
      if (!rows) {
        pr.add(where, "examples must be a list of lists of numbers");
        continue;
      }
      for (const toml::node& row : *rows) {
        const toml::array* a = row.as_array();
        if (!a) {
          pr.add(row.source(), "each example must be a list of numbers");
          continue;
        }
        std::vector<float> e;
        bool ok = true;
        for (const toml::node& x : *a) {
          auto v = x.value<double>();
          if (!v || !std::isfinite(*v)) {
            pr.add(x.source(), "an example holds something that is not a finite number");
            ok = false;
            break;
          }
          e.push_back(static_cast<float>(*v));
        }
        if (ok && e.size() != static_cast<size_t>(kTriggerFeatureCount)) {
          pr.add(row.source(), "an example has " + std::to_string(e.size()) + " numbers, not " +
                                   std::to_string(kTriggerFeatureCount) + "; record the class again");
          ok = false;
        }
        if (ok) c.examples.push_back(std::move(e));
      }
      if (c.examples.size() > static_cast<size_t>(kMaxTriggerExamples))
        pr.add(where, "at most " + std::to_string(kMaxTriggerExamples) + " examples per class");
    } else {
      pr.add(where, "unknown key '" + k + "' in a [[class]] (name, note, examples)");
    }
  }
  if (c.name.empty()) pr.add(t.source(), "class " + std::to_string(index + 1) + " has no name");
  if (!hasNote) c.note = defaultTriggerNote(c.name, index);
}

}  // namespace

namespace {

bool profileFromTable(const toml::table& root, const std::string& name, TriggerProfile& out, LoadReport& report) {
  Problems pr{TomlSource{name, "", &report}, report};
  TriggerProfile p;
  bool hasFormat = false, hasSet = false;
  for (auto&& [key, node] : root) {
    const std::string k(key.str());
    const auto where = key.source().begin.line ? key.source() : node.source();
    if (k == "format") {
      hasFormat = true;
      if (!node.is_integer())
        pr.add(where, "format must be the whole number 1");
      else if (*node.value<int64_t>() > 1)
        pr.add(where, "format " + std::to_string(*node.value<int64_t>()) +
                          " was written by a newer musicmill; update musicmill to read it");
      else if (*node.value<int64_t>() < 1)
        pr.add(where, "format must be 1");
    } else if (k == "feature_set") {
      hasSet = true;
      auto v = node.value<std::string>();
      if (!v || *v != kTriggerFeatureSet)
        pr.add(where, "feature_set is '" + (v ? *v : std::string("?")) + "', this musicmill measures '" +
                          kTriggerFeatureSet + "'; learn the classes again (musicmill triggers learn)");
    } else if (k == "sample_rate") {
      auto v = node.value<double>();
      if (!v || *v < 0 || *v > 768000)
        pr.add(where, "sample_rate must be a rate in Hz (0: none yet)");
      else
        p.sampleRate = *v;
    } else if (k == "feature_names") {
      // Informational (for people reading the file); the set name above is what counts.
    } else if (k == "settings") {
      if (const toml::table* t = node.as_table())
        readSettings(*t, p.settings, pr);
      else
        pr.add(where, "settings must be a table: [settings]");
    } else if (k == "class") {
      const toml::array* a = node.as_array();
      if (!a || !a->is_array_of_tables()) {
        pr.add(where, "classes are written [[class]] tables");
        continue;
      }
      int i = 0;
      for (const toml::node& c : *a) {
        TriggerClass tc;
        readClass(*c.as_table(), i++, tc, pr);
        p.classes.push_back(std::move(tc));
      }
    } else {
      pr.add(where, "unknown key '" + k + "' (format, feature_set, sample_rate, [settings], [[class]])");
    }
  }
  if (!hasFormat) pr.add(root.source(), "no 'format = 1' line: is this a musicmill trigger profile?");
  if (!hasSet) pr.add(root.source(), std::string("no feature_set line (expected '") + kTriggerFeatureSet + "')");
  if (pr.count() == 0) {
    const std::string bad = validateTriggerProfile(p);
    if (!bad.empty()) {
      // Point at the line the problem is about: the setting it starts with, the class
      // whose name is repeated or the first class over the limit; else the top.
      toml::source_region where = root.source();
      const std::string first = bad.substr(0, bad.find(' '));
      if (const toml::table* s = root["settings"].as_table())
        if (const toml::node* n = s->get(first)) where = n->source();
      if (const toml::array* classes = root["class"].as_array()) {
        for (size_t i = 0; i < classes->size() && i < p.classes.size(); ++i) {
          const bool repeated =
              bad.rfind("two classes", 0) == 0 && p.classIndex(p.classes[i].name) != static_cast<int>(i);
          const bool overLimit = bad.rfind("at most", 0) == 0 && i == static_cast<size_t>(kMaxTriggerClasses);
          if (repeated || overLimit) {
            where = (*classes)[i].source();
            break;
          }
        }
      }
      pr.add(where, bad);
    }
  }
  if (pr.count()) return false;
  out = std::move(p);
  return true;
}

}  // namespace

bool parseTriggerProfile(const std::string& text, const std::string& name, TriggerProfile& out,
                         LoadReport& report) {
  const auto root = parseTomlText(text, name, report, kTriggerProfileKind);
  return root && profileFromTable(*root, name, out, report);
}

bool loadTriggerProfile(const std::string& path, TriggerProfile& out, LoadReport& report) {
  const auto root = readTomlFile(path, report, kTriggerProfileKind);
  return root && profileFromTable(*root, path, out, report);
}

std::string saveTriggerProfile(const std::string& path, const TriggerProfile& profile) {
  if (const std::string bad = validateTriggerProfile(profile); !bad.empty()) return path + ": not saved: " + bad;
  return writeTextAtomically(path, triggerProfileToToml(profile));
}

}  // namespace mm
