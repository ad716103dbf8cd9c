// Preset: one complete sound of the instrument as plain data (format in sets/README.md).
// Parameter values are interpreted here (applied through the registry); the sections that
// belong to other subsystems (style anchors, pattern memory, modulation routes, mapping
// overrides) are validated and carried, and handed to those subsystems through
// PresetHooks, never interpreted by sets/. Modulation routes are the instrument's one
// route type, ModRoute, read and written with every option.
//
// Threads: a plain value; built by the loader, applied on the main thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ModulationRoute.h"

namespace mm {

// Reference audio the style control blends toward (DESIGN.md "style"). Absolute paths;
// empty = no anchor.
struct StyleAnchors {
  std::string a, b;
  bool empty() const { return a.empty() && b.empty(); }
  bool operator==(const StyleAnchors& o) const { return a == o.a && b == o.b; }
};

// One pattern-memory slot: `frames` latent frames of `dims` values each, stored
// frame-major (frames[f][d]) because that is how a performer reads and edits them.
struct PatternSlot {
  int slot = 0;  // 0 .. kPatternSlots-1, the value of the pattern.slot parameter
  int dims = 0;
  std::vector<std::vector<float>> frames;
  bool operator==(const PatternSlot& o) const {
    return slot == o.slot && dims == o.dims && frames == o.frames;
  }
};
// What a preset asks the playing model to learn when it is applied (RAVE 2.3 style
// matching, ModelAttributes.h): `reset` (a bool attribute such as reset_target, "" for none)
// is pressed first, then the bool attribute `attribute` (learn_target) learns from the
// audio file `file` (absolute) or, without a file, from the input for `seconds`.
struct LearnAction {
  std::string attribute, reset, file;
  double seconds = 0;
  bool operator==(const LearnAction& o) const {
    return attribute == o.attribute && reset == o.reset && file == o.file && seconds == o.seconds;
  }
};
constexpr double kMaxLearnSeconds = 60.0;

constexpr int kPatternSlots = 8;
constexpr int kMaxPatternFrames = 4096;
constexpr int kMaxPatternDims = 256;

struct Preset {
  std::string name;
  std::string notes;
  // Absolute path of the model file; empty = this preset keeps whatever model plays.
  std::string model;
  // The model library's short name it was named by ("drums"), "" when it was a path: a
  // save writes the name again, so the preset still means that library model elsewhere.
  std::string modelName;
  // A second model sounding with the first (multi-model blending, `--model-b`), and its
  // library name as above; empty = the preset's model plays alone. Needs `model`.
  std::string modelB;
  std::string modelBName;
  // Parameter id -> value. Parameters the preset does not list take their defaults when
  // it is applied, so switching to a preset always gives the same sound.
  std::map<std::string, float> params;
  // Parameters whose value names another parameter (lfo.N.target): id -> the target's id,
  // "" for none. Saved by id, not by registry index, so that a preset means the same on a
  // model with another latent size. (Files from before keep a number in `params`.)
  std::map<std::string, std::string> paramTargets;
  StyleAnchors style;
  std::vector<PatternSlot> patterns;  // sorted by slot, unique slots
  std::vector<ModRoute> modulation;  // the one route type (engine/ModulationRoute.h)
  std::string mapping;  // absolute path of a mapping-override file; empty = none
  std::optional<double> rampMs;  // parameter ramp when switching to this preset
  std::optional<LearnAction> learn;  // [learn]: done each time the preset is applied

  bool operator==(const Preset& o) const {
    return name == o.name && notes == o.notes && model == o.model && modelName == o.modelName && modelB == o.modelB &&
           modelBName == o.modelBName && params == o.params &&
           paramTargets == o.paramTargets &&
           style == o.style && patterns == o.patterns && modulation == o.modulation &&
           mapping == o.mapping && rampMs == o.rampMs && learn == o.learn;
  }
  bool operator!=(const Preset& o) const { return !(*this == o); }
};

constexpr int kPresetFormat = 1;
constexpr double kMaxRampMs = 10000.0;

}  // namespace mm
