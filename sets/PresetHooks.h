// PresetHooks: how a preset's sections that belong to other subsystems reach them. The
// style, pattern, modulation and mapping subsystems each set their member once, at attach
// time; the set-list player calls it whenever a preset is applied. An unset hook means
// that subsystem is not part of this build or session: its section is carried (and saved
// again) but has no effect.
//
// The optional capture hooks let autosave and "save as preset" record the live state of
// those subsystems; without them the sections of the last applied preset are saved.
//
// Threads: set on the main thread before the show; called on the main thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "Preset.h"

namespace mm {

struct PresetHooks {
  std::function<void(const StyleAnchors&)> applyStyle;
  std::function<void(const std::vector<PatternSlot>&)> applyPatterns;
  std::function<void(const std::vector<ModRoute>&)> applyModulation;
  std::function<void(const std::string& mappingPath)> applyMapping;  // "" = no override
  // [learn]: once each time the preset is applied (not when its sections are sent again),
  // with the model file the preset plays ("" = whatever plays).
  std::function<void(const LearnAction&, const std::string& modelPath)> learn;

  std::function<StyleAnchors()> captureStyle;
  std::function<std::vector<PatternSlot>()> capturePatterns;
  std::function<std::vector<ModRoute>()> captureModulation;
  std::function<std::string()> captureMapping;
};

}  // namespace mm
